"""Elastic Notebook kernel agent.

Loaded into a kernel from this folder (see ``elastic_notebook.bootstrap``) under the module name
``_elastic_notebook_agent``; standard library only. It records every cell sent with the hidden
``%%intercept`` header (docs/internals.md sections 2-4) and never changes what user code sees:
no names in the user namespace, no wrappers, no flags on user objects.
"""

from __future__ import annotations

import uuid
from typing import Any

from .intercept import fix_history, is_intercepted, parse_header, strip_header
from .recorder import Recorder
from .transport import RecordSender

__all__ = ["activate", "records", "flush", "status"]


class _Agent:
    """Everything the agent keeps for this kernel process."""

    def __init__(self, shell: Any, kernel_id: str) -> None:
        self.shell = shell
        self.run_id = uuid.uuid4().hex
        self.sender = RecordSender(kernel_id, self.run_id)
        self.recorder = Recorder(shell, self.sender.send)
        self.active_cell: str | None = None

    def install(self) -> None:
        shell = self.shell
        cleanup = shell.input_transformers_cleanup
        if strip_header not in cleanup:
            cleanup.insert(0, strip_header)
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        shell.register_magic_function(self.intercept_magic, magic_kind="cell", magic_name="intercept")

    def pre_run_cell(self, info: Any) -> None:
        raw = getattr(info, "raw_cell", None) or ""
        if not is_intercepted(raw):
            return
        self.active_cell = raw
        try:
            self.recorder.before(raw, parse_header(raw))
        except Exception as err:  # noqa: BLE001 - recording must never break the user's cell
            self.recorder._pending = None
            self.last_error = f"pre_run_cell: {type(err).__name__}: {err}"

    def post_run_cell(self, result: Any) -> None:
        raw, self.active_cell = self.active_cell, None
        if raw is None:
            return
        try:
            fix_history(self.shell, raw)
            self.recorder.after(result)
        except Exception as err:  # noqa: BLE001
            self.last_error = f"post_run_cell: {type(err).__name__}: {err}"

    def intercept_magic(self, line: str, cell: str) -> None:
        """Fallback when the header was not stripped: run the body as a normal cell would."""
        self.shell.run_cell(cell, store_history=False)

    last_error: str | None = None


_agent: _Agent | None = None


def activate(shell: Any, kernel_id: str, companion_url: str | None = None, ingest_token: str | None = None) -> str:
    """Start recording in this kernel (idempotent); returns the run id."""
    global _agent
    if _agent is None:
        _agent = _Agent(shell, kernel_id)
        _agent.install()
    _agent.sender.configure(companion_url, ingest_token)
    return _agent.run_id


def records() -> list[dict]:
    """Every record of this run so far (for tests and the CLI)."""
    return list(_agent.sender.all) if _agent else []


def flush(timeout: float = 10.0) -> bool:
    """Wait until the companion has acknowledged every record."""
    return _agent.sender.flush(timeout) if _agent else False


def status() -> dict:
    """Small status summary for the frontend."""
    if _agent is None:
        return {"active": False}
    return {
        "active": True,
        "runId": _agent.run_id,
        "recorded": len(_agent.sender.all),
        "acknowledged": _agent.sender.acked,
        "lastError": _agent.last_error or _agent.sender.last_error,
    }

