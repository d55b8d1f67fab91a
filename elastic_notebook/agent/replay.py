"""The ``restore`` call: a restore's steps run in order inside the kernel, in one call
(docs/checkpoint.md sections 4 and 5).

Each step is a re-run (random generators set to their state before the execution, then its code
run as its execute request ran it: ``shell.run_cell(code, store_history=False)``, so IPython's
transformations, magics, shell lines and execute hooks apply, with its last value formatted but
neither shown nor kept; see ``run_code``) or a load of copied groups. The call stops early,
saying why, when

* a load fails (the orchestrator falls back to recomputing that group in a fresh kernel),
* the next re-run needs the kernel's own event loop (top-level ``await``: ipykernel runs such a
  cell on its running loop, which code inside a request cannot do), so the orchestrator runs it
  as a separate execute request and calls again for the rest,
* the time budget is spent, so that the orchestrator can report progress and honour a
  cancellation between chunks.

After the last step it verifies every variable and makes the kernel continue the recorded run
(``adopt``), when asked to: a small restore is one round trip.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from . import restore as _restore
from .checkpoint import Hashed, elapsed_ms
from .payload import PayloadError
from .preimport import modules_to_import, preimport


def _needs_event_loop(shell: Any, code: str) -> bool:
    """Whether ipykernel would run ``code`` on its event loop (top-level await)."""
    if getattr(shell, "trio_runner", None):
        return True
    try:
        transformed, problem = shell.transform_cell(code), None
    except Exception:  # noqa: BLE001 - run_cell reports it; only the runner choice matters here
        transformed, problem = code, sys.exc_info()
    try:
        return bool(shell.should_run_async(code, transformed_cell=transformed, preprocessing_exc_tuple=problem))
    except Exception:  # noqa: BLE001 - an older IPython: no top-level await at all
        return False


def _error_summary(error: BaseException) -> str:
    """``"ExcType: first line of the message"``, as the orchestrator's silent runs report it."""
    text = f"{type(error).__name__}: {error}"
    return next((line for line in text.split("\n") if line.strip()), text)


class _FormatOnly:
    """A display hook that formats the cell's value as the notebook's display did (its
    ``_repr_*_`` methods run, and may fill caches, or draw a figure) and sends and keeps nothing."""

    def __init__(self, shell: Any, quiet: bool) -> None:
        self.shell = shell
        self.quiet = quiet

    def __call__(self, value: Any = None) -> None:
        if value is None or self.quiet:
            return
        try:
            self.shell.display_formatter.format(value)
        except Exception:  # noqa: BLE001 - the notebook showed a traceback and went on
            pass


def _ends_quietly(code: str) -> bool:
    """Whether the cell's last expression ends with ``;`` (the notebook displayed nothing)."""
    check = getattr(getattr(sys.modules.get("IPython.core.displayhook"), "DisplayHook", None), "semicolon_at_end_of_expression", None)
    try:
        return bool(check(code)) if check is not None else code.rstrip().endswith(";")
    except Exception:  # noqa: BLE001 - cannot tell: display, as most cells do
        return False


def run_code(shell: Any, code: str) -> str | None:
    """Run ``code`` as its recorded execute request ran it, minus what that sent to the notebook;
    the error summary when it raised.

    Not silently: a silent run displays nothing and skips the execute hooks, and both change
    state. Displaying a value runs its ``_repr_*_`` methods (statsmodels fills result caches,
    matplotlib draws), and after each cell matplotlib's inline backend shows and closes the
    cell's figures (the next ``plt.plot`` makes a new one). So the last expression is formatted
    and dropped, and the hooks run; history and ``Out`` stay as they are.
    """
    trap = getattr(shell, "display_trap", None)
    hook = _FormatOnly(shell, _ends_quietly(code))
    saved_hook, saved_sys = getattr(trap, "hook", None), sys.displayhook
    if trap is not None:
        trap.hook = hook
    sys.displayhook = hook
    try:
        result = shell.run_cell(code, store_history=False, silent=False)
    finally:
        if trap is not None:
            trap.hook = saved_hook
        sys.displayhook = saved_sys
    error = result.error_before_exec if result.error_before_exec is not None else result.error_in_exec
    return None if error is None else _error_summary(error)


def imports(agent: Any, codes: list[str], available: list[str]) -> dict:
    """The ``imports`` call: import early what the re-run ``codes`` import (see preimport.py)."""
    return {"ok": True, "error": None, **preimport(modules_to_import(agent.shell, codes, available))}


def run_steps(agent: Any, args: dict) -> dict:
    """Run the checked ``restore`` arguments (see calls.py); returns the per-step results."""
    shell = agent.shell
    namespace = shell.user_ns
    started = time.perf_counter()
    result: dict[str, Any] = {"ok": True, "error": None, "steps": [], "stopped": None}
    if args.get("imports"):
        result["imports"] = imports(agent, **args["imports"])
    random_file, random_checksum = args.get("randomFile"), args.get("randomChecksum")
    steps: list[dict] = args["steps"]
    budget = args.get("budgetMs")
    for position, step in enumerate(steps):
        if budget is not None and position > 0 and elapsed_ms(started) >= budget:
            result["stopped"] = "budget"
            return result
        t0 = time.perf_counter()
        if step["kind"] == "rerun":
            execution = step["execution"]
            if _needs_event_loop(shell, step["code"]):
                result["stopped"] = "event-loop"
                return result
            try:
                _restore.prepare(agent.randomness, execution, random_file, random_checksum)
            except (_restore.RestoreError, PayloadError, OSError) as err:  # an unreadable random.pkl
                raise _restore.RestoreError(f"could not restore the random state before execution {execution}: {err}") from None
            error = run_code(shell, step["code"])
            result["steps"].append({"kind": "rerun", "execution": execution, "error": error, "ms": elapsed_ms(t0)})
        else:
            loaded = _restore.load(namespace, args["dir"], step["groups"])["groups"]
            result["steps"].append({"kind": "load", "groups": loaded, "ms": elapsed_ms(t0)})
            if not all(group["ok"] for group in loaded):
                result["stopped"] = "load-failed"
                return result
    finish = args.get("finish")
    if finish:
        t0 = time.perf_counter()
        if random_file is not None:
            try:
                _restore.finish_random(random_file, random_checksum)
            except (_restore.RestoreError, PayloadError, OSError) as err:
                raise _restore.RestoreError(f"could not restore the random state of the checkpoint: {err}") from None
        hashed = Hashed()
        result["verification"] = _restore.verify(namespace, shell.user_ns_hidden, finish["fingerprints"], hashed)
        result["verifyMs"] = elapsed_ms(t0)
        result["hashed"] = hashed.json()  # of verifying: hashing array memory
        adopt = finish.get("adopt")
        if adopt:
            t0 = time.perf_counter()
            try:
                records = _restore.adopt(agent, adopt["history"], adopt.get("random"), adopt.get("checksums", {}))["records"]
                result["adopted"] = {"ok": True, "error": None, "records": records}
            except (_restore.RestoreError, PayloadError, OSError) as err:
                result["adopted"] = {"ok": False, "error": str(err)}
            result["adoptMs"] = elapsed_ms(t0)
    return result
