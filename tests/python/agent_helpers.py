"""A real ipykernel driven over ZeroMQ, for the kernel-agent tests.

:class:`KernelSession` starts a kernel with ``jupyter_client`` (the venv's ``python3`` kernelspec),
runs code the way the frontend does, and collects what the user would see: the execute reply and
every output message of that execution.
"""

from __future__ import annotations

import ast
import json
import queue
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client import KernelManager

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from elastic_notebook.bootstrap import bootstrap_code  # noqa: E402

AGENT = "__import__('sys').modules['_elastic_notebook_agent']"
TIMEOUT = 60


@dataclass
class Execution:
    """What one execute request produced."""

    reply: dict
    outputs: list[dict] = field(default_factory=list)
    record: dict | None = None

    @property
    def status(self) -> str:
        return self.reply["status"]

    @property
    def stdout(self) -> str:
        return "".join(o["text"] for o in self.outputs if o["type"] == "stream" and o["name"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(o["text"] for o in self.outputs if o["type"] == "stream" and o["name"] == "stderr")

    @property
    def results(self) -> list[str]:
        """``text/plain`` of each execute_result."""
        return [o["data"].get("text/plain", "") for o in self.outputs if o["type"] == "execute_result"]

    @property
    def error(self) -> dict | None:
        errors = [o for o in self.outputs if o["type"] == "error"]
        return errors[0] if errors else None

    # Sets, the way the tests compare them.
    @property
    def reads(self) -> set[str]:
        return set(self._record()["reads"])

    @property
    def writes(self) -> set[str]:
        return set(self._record()["writes"])

    @property
    def deletes(self) -> set[str]:
        return set(self._record()["deletes"])

    @property
    def groups(self) -> set[frozenset[str]]:
        return {frozenset(g) for g in self._record()["groups"]}

    def _record(self) -> dict:
        assert self.record is not None, "this execution was not recorded"
        return self.record


class KernelSession:
    """One running ipykernel and a blocking client for it."""

    def __init__(self, kernel_id: str = "test-kernel") -> None:
        self.kernel_id = kernel_id
        self.manager = KernelManager(kernel_name="python3")
        self.client: Any = None
        self.seen = 0  # records already returned by run()

    def start(self, cwd: Path | None = None) -> "KernelSession":
        self.manager.start_kernel(cwd=str(cwd) if cwd else None)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=TIMEOUT)
        return self

    def stop(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    # -- executing -----------------------------------------------------------------------------
    def execute(
        self,
        code: str,
        *,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
    ) -> Execution:
        """Run ``code`` and return its reply and outputs (like a notebook cell)."""
        client = self.client
        msg_id = client.execute(
            code, silent=silent, store_history=store_history, user_expressions=user_expressions or {}
        )
        outputs: list[dict] = []
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                msg = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no idle status for {code[:60]!r}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                outputs.append({"type": "stream", "name": content["name"], "text": content["text"]})
            elif kind in ("execute_result", "display_data"):
                outputs.append({"type": kind, "data": content["data"]})
            elif kind == "error":
                outputs.append({"type": "error", **content})
        while True:
            reply = client.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        return Execution(reply=reply["content"], outputs=outputs)

    def evaluate(self, expression: str) -> Any:
        """Evaluate a JSON-producing Python expression silently in the kernel."""
        ex = self.execute("", silent=True, store_history=False, user_expressions={"v": expression})
        value = ex.reply["user_expressions"]["v"]
        assert value["status"] == "ok", value
        return json.loads(_literal(value["data"]["text/plain"]))

    # -- the agent -----------------------------------------------------------------------------
    def bootstrap(self, companion_url: str | None = None, token: str | None = None) -> Execution:
        ex = self.execute(bootstrap_code(self.kernel_id, companion_url, token), silent=True, store_history=False)
        assert ex.status == "ok", ex.reply
        return ex

    def records(self) -> list[dict]:
        return self.evaluate(f"__import__('json').dumps({AGENT}.records())")

    def run(self, source: str, header: str = "%%intercept") -> Execution:
        """Run ``source`` as the frontend does (behind the hidden header) and attach its record."""
        expression = f"__import__('json').dumps({AGENT}.records()[{self.seen}:])"
        ex = self.execute(f"{header}\n{source}", user_expressions={"new": expression})
        value = ex.reply.get("user_expressions", {}).get("new")
        if value is None:
            # ipykernel skips user_expressions when the cell raised: ask in a separate request.
            new = self.evaluate(expression)
        else:
            assert value["status"] == "ok", value
            new = json.loads(_literal(value["data"]["text/plain"]))
        assert len(new) == 1, f"expected one new record, got {len(new)}: {new}"
        self.seen += 1
        ex.record = new[0]
        return ex

    def reset(self) -> None:
        """Empty the user namespace (``%reset -f``) and re-run the bootstrap."""
        ex = self.execute("%reset -f", silent=True, store_history=False)
        assert ex.status == "ok", ex.reply
        self.bootstrap()
        self.seen = len(self.records())


def _literal(text_plain: str) -> str:
    """user_expressions give the repr of the JSON string: turn it back into the string."""
    return ast.literal_eval(text_plain)
