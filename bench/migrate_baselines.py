"""The baselines of the migration benchmark (bench/migrate.py), each in plain kernels (no agent):

* **re-run**: run every cell of the notebook in a fresh kernel, in order (cells that raise do not
  stop the run), timing each request;
* **dill**: ``dill.dump_session`` in that kernel, then ``dill.load_session`` in another fresh one;
* **pickle**: ``pickle.dump`` (protocol 5) of every user variable to its own file, then
  ``pickle.load`` of each in another fresh kernel (a variable that fails either way is missing).

Dump and load times are measured inside the kernel (``time.perf_counter`` around the call, the
import of dill outside it); the kernel's start is not counted, as for Elastic Notebook's restore.
The code that runs in the kernels lives in the hidden module ``_en_bench`` (no user-visible name).
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "corpus"))
sys.path.insert(0, str(ROOT / "tests" / "python"))

import state_compare  # noqa: E402
from harness import Kernel, Notebook  # noqa: E402

KERNEL_SOURCE = r'''
import json, os, pickle, sys, time, types

def _shell():
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None

def _names(ns, hidden):
    skip = {"In", "Out", "exit", "quit", "get_ipython"}
    return sorted(k for k, v in ns.items() if isinstance(k, str) and not k.startswith("_") and k not in skip
                  and k not in hidden and not isinstance(v, types.ModuleType))

def _error(exc):
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]

def _dill(operation, path):
    import dill
    started = time.perf_counter()
    try:
        getattr(dill, operation)(path, main=sys.modules["__main__"])
    except Exception as exc:
        return json.dumps({"ok": False, "error": _error(exc), "seconds": time.perf_counter() - started})
    result = {"ok": True, "seconds": time.perf_counter() - started}
    if operation == "dump_session":
        result["bytes"] = os.path.getsize(path)
    return json.dumps(result)

def dill_dump(path):
    return _dill("dump_session", path)

def dill_load(path):
    return _dill("load_session", path)

def pickle_dump(folder):
    shell = _shell()
    ns = shell.user_ns
    os.makedirs(folder, exist_ok=True)
    failed, size = {}, 0
    started = time.perf_counter()
    for name in _names(ns, shell.user_ns_hidden):
        path = os.path.join(folder, name + ".pkl")
        try:
            with open(path, "wb") as fh:
                pickle.dump(ns[name], fh, protocol=5)
            size += os.path.getsize(path)
        except Exception as exc:
            failed[name] = _error(exc)
            try:
                os.remove(path)
            except OSError:
                pass
    return json.dumps({"ok": not failed, "seconds": time.perf_counter() - started, "bytes": size, "failed": failed})

def pickle_load(folder):
    ns = _shell().user_ns
    failed = {}
    started = time.perf_counter()
    for file in sorted(os.listdir(folder)):
        name = file[:-4]
        try:
            with open(os.path.join(folder, file), "rb") as fh:
                ns[name] = pickle.load(fh)
        except Exception as exc:
            failed[name] = _error(exc)
    return json.dumps({"ok": not failed, "seconds": time.perf_counter() - started, "failed": failed})
'''

INSTALL = (
    "(lambda s, t: s.modules.get('_en_bench') or (lambda m: (s.modules.__setitem__('_en_bench', m), "
    "exec(compile(%r, '<en-bench>', 'exec'), m.__dict__)))(t.ModuleType('_en_bench')))(__import__('sys'), __import__('types'))"
    % KERNEL_SOURCE
)


def call(kernel: Kernel, function: str, argument: str) -> dict:
    """Run ``_en_bench.<function>(argument)`` in the kernel; its JSON result."""
    reply = kernel.execute(INSTALL, silent=True)
    if reply["status"] != "ok":
        raise RuntimeError(f"could not load the benchmark helper: {reply.get('ename')}: {reply.get('evalue')}")
    return json.loads(kernel.evaluate(f"__import__('sys').modules['_en_bench'].{function}({argument!r})"))


def load_repeatedly(folder: Path, repeat: int, log, what: str, function: str, argument: str, judge) -> list[float]:
    """``_en_bench.<function>(argument)`` in up to ``repeat`` fresh kernels; the seconds of each.
    ``judge(result, kernel)`` looks at each result while its kernel still runs, and says whether
    to go on."""
    times = []
    for attempt in range(repeat):
        log(f"{what} in a fresh kernel ({attempt + 1} of {repeat})")
        kernel = Kernel.start(folder)
        try:
            loaded = call(kernel, function, argument)
            times.append(loaded["seconds"])
            go_on = judge(loaded, kernel)
        finally:
            kernel.shutdown()
        if not go_on:
            break
    return times


@dataclass
class Outcome:
    """One method on one notebook."""

    checkpoint_s: float | None = None
    bytes: int | None = None
    restore_s: float | None = None
    correct: bool | None = None
    problem: str | None = None  # why it is not correct (or failed)
    extra: dict = field(default_factory=dict)


def verdict(original: dict, restored: dict) -> tuple[bool, str | None]:
    """(isomorphic?, the differences in a few words)."""
    differences = state_compare.compare(original, restored, limit=6)
    if not differences:
        return True, None
    return False, f"{len(differences) if len(differences) <= 6 else 'many'} difference(s): " + " | ".join(d[:200] for d in differences[:6])


def warm_up(notebook: Notebook, folder: Path, log) -> None:
    """Run every cell once in a plain kernel, unmeasured. On a VM the first process to touch
    gigabytes of fresh memory runs its cells several times slower (here: a cell allocating 1.5 GB
    took 4.1 s, then 0.5-1.6 s in later processes), so the first measured run of a large notebook
    would record durations no later run sees."""
    log("warm-up: every cell once in a plain kernel (not measured)")
    kernel = Kernel.start(folder)
    try:
        kernel.run_cells(notebook.cells)
    finally:
        kernel.shutdown()


def run_baselines(notebook: Notebook, folder: Path, reference: dict | None, log, repeat: int = 1) -> dict[str, Outcome]:
    """Re-run, dill and pickle for one staged notebook (``folder`` holds the copy).
    ``reference``: the state Elastic Notebook checkpointed, to say whether a plain re-run gives it.
    Loads run ``repeat`` times, each in a fresh kernel; their median is the restore time."""
    results = {"rerun": Outcome(), "dill": Outcome(), "pickle": Outcome()}
    scratch = folder / ".bench"
    scratch.mkdir(exist_ok=True)
    dill_file, pickle_dir = scratch / "session.dill", scratch / "pickles"

    log("re-running every cell in a plain kernel")
    kernel = Kernel.start(folder)
    try:
        seconds, cells = kernel.run_cells(notebook.cells)
        results["rerun"].restore_s = seconds
        results["rerun"].extra["cells"] = cells
        log("dill.dump_session")
        dumped = call(kernel, "dill_dump", str(dill_file))
        log("pickling every variable")
        pickled = call(kernel, "pickle_dump", str(pickle_dir))
        dumped_state = state_compare.dump_kernel(kernel.client)
    finally:
        kernel.shutdown()
    if reference is not None:
        results["rerun"].correct, results["rerun"].problem = verdict(reference, dumped_state)

    dill = results["dill"]
    dill.checkpoint_s = dumped["seconds"]
    if not dumped["ok"]:
        dill.correct, dill.problem = False, f"dump failed: {dumped['error']}"
    else:
        dill.bytes = dumped["bytes"]

        def judge_dill(loaded: dict, kernel: Kernel) -> bool:
            if loaded["ok"]:
                correct, problem = verdict(dumped_state, state_compare.dump_kernel(kernel.client))
            else:
                correct, problem = False, f"load failed: {loaded['error']}"
            if dill.correct is not False:
                dill.correct, dill.problem = correct, problem
            return loaded["ok"]  # a session that does not load will not load next time either

        times = load_repeatedly(folder, repeat, log, "dill.load_session", "dill_load", str(dill_file), judge_dill)
        dill.restore_s = statistics.median(times)
        dill_file.unlink(missing_ok=True)

    pick = results["pickle"]
    pick.checkpoint_s, pick.bytes = pickled["seconds"], pickled["bytes"]

    def judge_pickle(loaded: dict, kernel: Kernel) -> bool:
        if pick.correct is not False:
            pick.correct, pick.problem = verdict(dumped_state, state_compare.dump_kernel(kernel.client))
        failures = {**{k: f"dump: {v}" for k, v in pickled["failed"].items()}, **{k: f"load: {v}" for k, v in loaded["failed"].items()}}
        if failures:
            pick.correct = False
            first = next(iter(failures.items()))
            pick.problem = f"{len(failures)} variable(s) failed ({', '.join(sorted(failures)[:6])}{', ...' if len(failures) > 6 else ''}); {first[0]}: {first[1]}"
        pick.extra["failed"] = failures
        return True  # the variables that do load are timed every time

    times = load_repeatedly(folder, repeat, log, "loading every pickle", "pickle_load", str(pickle_dir), judge_pickle)
    pick.restore_s = statistics.median(times)
    for file in pickle_dir.glob("*.pkl"):
        file.unlink()
    return results

