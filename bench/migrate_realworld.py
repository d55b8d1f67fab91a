"""The real-world part of the migration benchmark (bench/migrate.py): per notebook, Elastic
Notebook's restore beside re-running every cell, both from a started kernel and both with the
session's imports, so that their ratio is like for like.

* **restore**: ``elastic-notebook restore`` through the CLI, ``--repeat`` times (median), each in a
  fresh kernel; its time is the CLI's ``totalMs`` minus ``kernelStartMs`` (reading the bundle,
  loading the agent, the imports, loads, re-runs, verification and adoption all count).
* **re-run**: every cell in a fresh plain kernel, ``--repeat`` times (median), timing the cell
  requests from the first to the last (the kernel's start is not counted; the cells' imports are).

Correct = ``verification.ok`` and the independent state comparison finds the restored state
isomorphic to the checkpointed one. The notebooks are the real-world corpus of tests/realworld
(``harness.load_realworld``); until it exists, the fast notebooks of tests/corpus stand in.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "corpus"))
sys.path.insert(0, str(ROOT / "tests" / "python"))

import harness  # noqa: E402
from harness import Kernel  # noqa: E402

TARGET_RESTORE_VS_RERUN = 0.5
_PARTS = (("agent", "bootstrapMs"), ("imports", "importMs"), ("loads", "loadMs"), ("re-runs", "rerunMs"), ("verify", "verifyMs"))


def corpus() -> tuple[list, str]:
    """The real-world notebooks (or the stand-ins) and what they are."""
    loader = getattr(harness, "load_realworld", None)
    if loader is not None:
        return list(loader()), "the real-world corpus (tests/realworld)"
    return [n for n in harness.load_corpus() if "fast" in n.tags], "the fast corpus notebooks (tests/realworld is not there yet)"


def stage(notebook, folder: Path) -> Path:
    """A copy of the notebook (and its data) to run from."""
    staging = getattr(harness, "stage_realworld", None)
    return staging(notebook, folder) if staging is not None else harness.stage(notebook, folder)


def rerun_seconds(notebook, folder: Path, repeat: int, log) -> list[float]:
    """Every cell in a fresh plain kernel, ``repeat`` times; the seconds of each run."""
    times = []
    for attempt in range(repeat):
        log(f"re-running every cell in a plain kernel ({attempt + 1} of {repeat})")
        kernel = Kernel.start(folder)
        try:
            seconds, _ = kernel.run_cells(notebook.cells)
        finally:
            kernel.shutdown()
        times.append(seconds)
    return times


def run(notebooks: list, jupyter, work: Path, run_ours, repeat: int, objective: str, log) -> list[dict]:
    """Checkpoint, restore and re-run each notebook; one row each. ``run_ours`` is migrate.py's
    checkpoint-and-restore of one notebook (it returns the outcome and the checkpointed state)."""
    rows = []
    for number, notebook in enumerate(notebooks, 1):
        print(f"[real-world {number}/{len(notebooks)}] {notebook.name}", file=sys.stderr, flush=True)
        folder = stage(notebook, jupyter.root / "work" / "realworld" / notebook.name).parent
        bundle = jupyter.root / "bundles" / "realworld" / notebook.name
        env = {"ELASTIC_NOTEBOOK_DATA_DIR": str(work / "data-realworld")}
        ours, _ = run_ours(notebook, folder, jupyter, str(bundle), env, bundle, objective, repeat)
        shutil.rmtree(bundle, ignore_errors=True)
        reruns = rerun_seconds(notebook, folder, repeat, log)
        shutil.rmtree(folder, ignore_errors=True)
        rows.append({"notebook": notebook.name, "ours": ours, "rerun_s": statistics.median(reruns), "rerunTimes": reruns})
    return rows


def _ratio(row: dict) -> float | None:
    restore = row["ours"].restore_s
    return restore / row["rerun_s"] if restore is not None and row["rerun_s"] else None


def _imports_s(row: dict) -> float | None:
    """The restore's first imports, s: the session's libraries, which re-running imports too."""
    timings = row["ours"].extra.get("restoreTimings") or {}
    return timings["importMs"] / 1000 if "importMs" in timings else None


def _floor(row: dict) -> float | None:
    """The imports alone over re-running every cell: no restore of this session can go below it."""
    imports = _imports_s(row)
    return imports / row["rerun_s"] if imports is not None and row["rerun_s"] else None


def _ratio_outside_imports(row: dict) -> float | None:
    """Restore over re-running every cell, both without the session's imports."""
    imports, restore = _imports_s(row), row["ours"].restore_s
    if imports is None or restore is None or row["rerun_s"] - imports <= 0:
        return None
    return max(restore - imports, 0.0) / (row["rerun_s"] - imports)


def table(rows: list[dict], fmt_s, aligned) -> str:
    """Per notebook: restore (and its parts) beside re-running every cell, and their ratio."""
    header = ("notebook", "restore s", *(f"{name} s" for name, _ in _PARTS), "re-run all s", "restore/re-run",
              "imports/re-run", "ok")
    lines = [header]
    for row in rows:
        ours = row["ours"]
        timings = ours.extra.get("restoreTimings") or {}
        ratio = _ratio(row)
        lines.append((row["notebook"], fmt_s(ours.restore_s),
                      *(fmt_s(timings[key] / 1000) if key in timings else "-" for _, key in _PARTS),
                      fmt_s(row["rerun_s"]), f"{ratio:.2f}x" if ratio is not None else "-",
                      f"{_floor(row):.2f}x" if _floor(row) is not None else "-",
                      {True: "yes", False: "NO", None: "-"}[ours.correct]))
    return aligned(lines)


def summary(rows: list[dict], fmt_s) -> tuple[str, bool]:
    """The medians and the target line."""
    ratios = [r for r in map(_ratio, rows) if r is not None]
    restores = [row["ours"].restore_s for row in rows if row["ours"].restore_s is not None]
    reruns = [row["rerun_s"] for row in rows]
    if not ratios:
        return "  [n/a ] median restore time <= 0.5x re-running every cell (real-world): not measurable", True
    median = statistics.median(ratios)
    passed = median <= TARGET_RESTORE_VS_RERUN
    wrong = [f"{row['notebook']}: {row['ours'].problem}" for row in rows if not row["ours"].correct]
    lines = [
        f"Medians over {len(rows)} notebook(s): restore {fmt_s(statistics.median(restores) if restores else None)} s, "
        f"re-run every cell {fmt_s(statistics.median(reruns))} s, ratio {median:.2f}x",
        f"  [{'PASS' if passed else 'FAIL'}] median restore time <= {TARGET_RESTORE_VS_RERUN}x re-running every cell "
        f"(real-world, both from a started kernel, imports included): {median:.2f}x",
        f"         importing the session's libraries alone takes a median {_median_of(rows, _floor)} of re-running every "
        f"cell (a restore imports them too: no plan goes below that); outside the imports, restore / re-run "
        f"{_median_of(rows, _ratio_outside_imports)}",
        f"  [{'FAIL' if wrong else 'PASS'}] ours correct on every real-world notebook: "
        + ("; ".join(wrong) if wrong else f"{len(rows)} of {len(rows)}"),
    ]
    return "\n".join(lines), passed and not wrong


def _median_of(rows: list[dict], ratio) -> str:
    values = [v for v in map(ratio, rows) if v is not None]
    return f"{statistics.median(values):.2f}x" if values else "-"
