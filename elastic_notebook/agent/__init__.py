"""Elastic Notebook kernel agent.

Loaded into a kernel from this folder (see ``elastic_notebook.bootstrap``) under the module name
``_elastic_notebook_agent``; standard library only. It records every cell sent with the hidden
``%%intercept`` header (docs/internals.md sections 2-4) and never changes what user code sees:
no names in the user namespace, no wrappers, no flags on user objects.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from . import calls as _calls
from .history import HistoryFixer
from .intercept import CellNamer, is_intercepted, parse_header, strip_header
from .randomness import RandomHistory
from .recorder import Recorder
from .transport import RecordSender

__all__ = ["activate", "records", "flush", "status", "call"]


class _Agent:
    """Everything the agent keeps for this kernel process."""

    def __init__(self, shell: Any, kernel_id: str, run_id: str | None = None) -> None:
        self.shell = shell
        self.run_id = run_id or uuid.uuid4().hex
        self.sender = RecordSender(kernel_id, self.run_id)
        self.recorder = Recorder(shell, self.sender.send)
        self.history = HistoryFixer(shell)
        self.randomness = RandomHistory()
        self.active_cell: str | None = None
        self.last_error: str | None = None  # the last recording failure, for status()

    def install(self) -> None:
        shell = self.shell
        cleanup = shell.input_transformers_cleanup
        if strip_header not in cleanup:
            cleanup.insert(0, strip_header)
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        shell.register_magic_function(self.intercept_magic, magic_kind="cell", magic_name="intercept")
        self.randomness.watch_imports()
        compiler = getattr(shell, "compile", None)
        if compiler is not None and not isinstance(vars(compiler).get("get_code_name"), CellNamer):
            compiler.get_code_name = CellNamer(compiler.get_code_name, self.code_named)

    def code_named(self, raw_cell: str, execution_count: int) -> None:
        """The cell is in history and about to run: show the user's source in history already."""
        if raw_cell is self.active_cell:
            self.history.fix(raw_cell, execution_count)

    def pre_run_cell(self, info: Any) -> None:
        raw = getattr(info, "raw_cell", None) or ""
        if not is_intercepted(raw):
            return
        self.active_cell = raw
        t0 = time.perf_counter()
        try:
            self.randomness.capture(self.recorder.seq)  # before anything the cell runs
        except Exception as err:  # noqa: BLE001 - replay is best effort; recording goes on
            self.last_error = f"random state: {type(err).__name__}: {err}"
        try:
            self.history.hold()
            self.recorder.before(
                raw, parse_header(raw), spent=time.perf_counter() - t0, transformed=getattr(info, "transformed_cell", None)
            )
        except Exception as err:  # noqa: BLE001 - recording must never break the user's cell
            self.recorder._pending = None
            self.last_error = f"pre_run_cell: {type(err).__name__}: {err}"

    def post_run_cell(self, result: Any) -> None:
        raw = self.active_cell
        # A cell run from inside the intercepted one (the fallback magic) is not ours to close.
        if raw is None or getattr(getattr(result, "info", None), "raw_cell", raw) is not raw:
            return
        self.active_cell = None
        self.randomness.finished()
        try:
            self.history.fix(raw, getattr(result, "execution_count", None))
            self.recorder.after(result)
        except Exception as err:  # noqa: BLE001
            self.last_error = f"post_run_cell: {type(err).__name__}: {err}"

    def intercept_magic(self, line: str, cell: str) -> None:
        """Fallback when the header was not stripped: run the body as a normal cell would."""
        self.shell.run_cell(cell, store_history=False)


_agent: _Agent | None = None


def activate(
    shell: Any,
    kernel_id: str,
    companion_url: str | None = None,
    ingest_token: str | None = None,
    run_id: str | None = None,
) -> str:
    """Start recording in this kernel (idempotent); returns the run id.

    ``run_id`` names the run on the first call (default: a fresh random id per process). A second
    call keeps the current run and only updates where records are sent. Raises
    ``ValueError``/``TypeError`` on bad arguments, before changing anything.
    """
    global _agent
    _check_arguments(shell, kernel_id, companion_url, ingest_token)
    if run_id is not None and (not isinstance(run_id, str) or not run_id):
        raise ValueError(f"run_id must be a non-empty string or None, got {run_id!r}")
    if _agent is None:
        _agent = _Agent(shell, kernel_id, run_id)
        _agent.install()
    _agent.sender.kernel_id = kernel_id
    _agent.sender.configure(companion_url, ingest_token)
    return _agent.run_id


def _check_arguments(shell: Any, kernel_id: Any, companion_url: Any, ingest_token: Any) -> None:
    if shell is None or not hasattr(shell, "events") or not hasattr(shell, "input_transformers_cleanup"):
        raise TypeError("activate() needs the IPython shell: pass get_ipython()")
    if not isinstance(kernel_id, str) or not kernel_id or "/" in kernel_id:
        raise ValueError(f"kernel_id must be a non-empty string without '/', got {kernel_id!r}")
    if companion_url is not None:
        if not isinstance(companion_url, str) or not companion_url.startswith(("http://", "https://")):
            raise ValueError(f"companion_url must be an http(s) URL or None, got {companion_url!r}")
        if not isinstance(ingest_token, str) or not ingest_token:
            raise ValueError("ingest_token is required (a non-empty string) when companion_url is set")
    elif ingest_token is not None and not isinstance(ingest_token, str):
        raise ValueError(f"ingest_token must be a string or None, got {type(ingest_token).__name__}")


def call(name: str, b64args: str = "") -> str:
    """Checkpoint and restore calls (docs/checkpoint.md section 4): base64 JSON in and out."""
    return _calls.call(name, b64args, _agent)


def records() -> list[dict]:
    """Every record of this run so far (for tests and the CLI)."""
    return list(_agent.sender.all) if _agent else []


def flush(timeout: float = 10.0) -> bool:
    """Wait until the companion has acknowledged every record."""
    return _agent.sender.flush(timeout) if _agent else False


def status() -> dict:
    """Small status summary for the frontend (the same as ``call("status")``)."""
    return _calls.status_of(_agent)

