"""Helpers for the checkpoint/restore suites: agent calls the way the orchestrator makes them,
and an independent reader of the payload file format (docs/checkpoint.md section 3)."""

from __future__ import annotations

import ast
import base64
import contextlib
import json
import secrets
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent_helpers import AGENT, KernelSession


def agent_call(session: KernelSession, name: str, args: dict | None = None) -> dict:
    """``call(name, base64 JSON)`` as a silent user expression; returns the decoded result."""
    encoded = base64.b64encode(json.dumps(args or {}).encode()).decode()
    expression = f"{AGENT}.call({name!r}, {encoded!r})"
    ex = session.execute("", silent=True, store_history=False, user_expressions={"r": expression})
    value = ex.reply["user_expressions"]["r"]
    assert value["status"] == "ok", value
    return json.loads(base64.b64decode(ast.literal_eval(value["data"]["text/plain"])))


def new_checkpoint_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)


def checkpoint(
    session: KernelSession, bundle: Path, groups: list[list[str]], variables: list[str] | None = None
) -> dict:
    """Checkpoint ``groups`` (indexes 0, 1, ...) into ``bundle``; fingerprints ``variables``."""
    args = {
        "stagingDir": str(bundle),
        "checkpointId": new_checkpoint_id(),
        "groups": [{"index": i, "members": members} for i, members in enumerate(groups)],
        "variables": variables if variables is not None else sorted({n for g in groups for n in g}),
    }
    result = agent_call(session, "checkpoint", args)
    assert result.get("error") is None, result
    return result


def transfer(source: KernelSession, target: KernelSession, bundle: Path, groups: list[list[str]]) -> dict:
    """Checkpoint ``groups`` from ``source`` and load them all into ``target``; both must succeed."""
    written = checkpoint(source, bundle, groups)
    assert all(g["ok"] for g in written["groups"]), written
    loaded = load(target, bundle, written, groups)
    assert all(g["ok"] for g in loaded["groups"]), loaded
    return written


def load(session: KernelSession, bundle: Path, written: dict, groups: list[list[str]], only: list[int] | None = None) -> dict:
    """Load the written groups (all, or the indexes in ``only``) into ``session``."""
    entries = [
        {"index": g["index"], "members": groups[g["index"]], "file": g["file"], "checksum": g["checksum"]}
        for g in written["groups"]
        if only is None or g["index"] in only
    ]
    return agent_call(session, "load", {"dir": str(bundle), "groups": entries})


def value(session: KernelSession, expression: str) -> Any:
    """A JSON-serializable Python expression evaluated in the kernel."""
    return session.evaluate(f"__import__('json').dumps({expression})")


def rerun(session: KernelSession, code: str) -> None:
    """Run code the way the orchestrator re-runs an execution (silent, outside history)."""
    ex = session.execute(code, silent=True, store_history=False)
    assert ex.status == "ok", ex.reply


def read_header(path: Path) -> tuple[dict, int]:
    """(header, offset of the pickle stream) of a payload file, read by the format's definition."""
    data = path.read_bytes()
    assert data[:6] == b"ENPL\x01\n"
    (length,) = struct.unpack("<Q", data[6:14])
    return json.loads(data[14 : 14 + length]), 14 + length


@contextlib.contextmanager
def running_kernel(kernel_id: str, cwd: Path, companion_url: str | None = None, token: str | None = None) -> Iterator[KernelSession]:
    """A new kernel with the agent bootstrapped, stopped on exit."""
    session = KernelSession(kernel_id).start(cwd=cwd)
    try:
        session.bootstrap(companion_url, token)
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def target_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelSession]:
    """A second kernel with the agent, where checkpoints are restored."""
    with running_kernel("target-kernel", tmp_path_factory.mktemp("target-kernel")) as session:
        yield session


@pytest.fixture
def target(target_kernel: KernelSession) -> KernelSession:
    """The restore kernel with an empty namespace."""
    target_kernel.reset()
    return target_kernel
