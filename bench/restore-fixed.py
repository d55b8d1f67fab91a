"""Fixed-cost benchmark: what a restore of a session holding only a few KB spends outside the
kernel's start and the session's own imports.

    npm run bench -- restore-fixed               # 5 restores by each path
    npm run bench -- restore-fixed --repeat 9

A small notebook (six cells: three copied groups of a few hundred bytes each, three cheap cells
re-run) is checkpointed once on a Jupyter server with this extension, then restored ``--repeat``
times by each path a user has:

* **cli**: ``elastic-notebook restore --server URL`` (a fresh kernel per restore);
* **jupyterlab**: the companion's restore job, as the panel starts it (the user's kernel is
  restarted).

Per restore the timings of the result are printed (kernel start, agent bootstrap, fetch, imports,
loads, re-runs, verify, adopt, agent round trips), and the fixed cost = ``totalMs -
kernelStartMs - importMs``. The medians are printed beside the target (under 150 ms). Everything
also goes to ``bench/results/restore-fixed-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "corpus"))
sys.path.insert(0, str(ROOT / "tests" / "python"))

from harness import run_cli  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_MS = 150.0

# Slow cells make small values (copied); cheap ones are re-run, one of them reading two copies.
CELLS = [
    "import json, time\nconfig = {'rate': 0.5, 'names': ['alpha', 'beta', 'gamma']}",
    "time.sleep(0.3)\ntable = {f'{n}{i}': i * config['rate'] for i, n in enumerate(config['names'] * 10)}",
    "time.sleep(0.3)\nwords = sorted(set('the quick brown fox jumps over the lazy dog'.split()))",
    "summary = json.dumps({'table': len(table), 'words': words})",
    "time.sleep(0.3)\nmatrix = [[i * j for j in range(10)] for i in range(10)]",
    "squares = [x * x for x in range(50)]",
]
PHASES = ("kernelStartMs", "bootstrapMs", "fetchMs", "importMs", "loadMs", "rerunMs", "verifyMs", "adoptMs")


def log(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def notebook() -> dict:
    cells = [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
             for i, s in enumerate(CELLS)]
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def fixed_ms(timings: dict) -> float:
    """The restore's time outside the kernel's start and the session's own imports."""
    return timings["totalMs"] - timings["kernelStartMs"] - timings["importMs"]


def restore_by_cli(jupyter: JupyterServer, bundle: Path, env: dict) -> dict:
    run = run_cli(["restore", str(bundle), "--server", jupyter.url, "--token", jupyter.token, "--json"], env=env)
    assert run.json["verification"]["ok"], run.json["verification"]
    return run.json["timings"]


def restore_by_job(jupyter: JupyterServer, bundle: Path) -> dict:
    """The panel's path: a kernel of the server, restored by a companion job."""
    kernel = jupyter.request("POST", "/api/kernels", {"name": "python3"}).json()["id"]
    try:
        started = jupyter.request("POST", f"/elastic-notebook/api/kernels/{kernel}/restore", {"uri": str(bundle), "trust": True})
        assert started.status == 202, started.body
        job_id = started.json()["jobId"]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            job = jupyter.request("GET", f"/elastic-notebook/api/jobs/{job_id}").json()
            if job["state"] != "running":
                break
            time.sleep(0.05)
        assert job["state"] == "done", job
        assert job["result"]["verification"]["ok"], job["result"]["verification"]
        return job["result"]["timings"]
    finally:
        jupyter.request("DELETE", f"/api/kernels/{kernel}")


def table(rows: list[tuple[str, dict]]) -> str:
    header = ("path", "total", "kernel start", "bootstrap", "fetch", "imports", "loads", "re-runs", "verify", "adopt",
              "round trips", "fixed")
    lines = [header]
    for name, t in rows:
        lines.append((name, *(f"{t.get(k, 0):.0f}" for k in ("totalMs", *PHASES)), str(t.get("roundTrips", "-")), f"{fixed_ms(t):.0f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(line)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="restores per path (default: 5); medians are reported")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    work = Path(tempfile.mkdtemp(prefix="en-bench-restore-fixed-"))
    jupyter = JupyterServer(work / "server").start()
    env = {"ELASTIC_NOTEBOOK_DATA_DIR": str(work / "data")}
    runs: dict[str, list[dict]] = {"cli": [], "jupyterlab": []}
    try:
        folder = jupyter.root / "work"
        path = folder / "few_kb.ipynb"
        path.write_text(json.dumps(notebook()))
        bundle = folder / "few_kb.bundle"
        log("elastic-notebook checkpoint")
        checkpoint = run_cli(["checkpoint", str(path), "--out", str(bundle), "--server", jupyter.url,
                              "--token", jupyter.token, "--json"], env=env).json
        plan = checkpoint["plan"]
        state = sum(f.stat().st_size for f in bundle.rglob("*.pkl") if "random" not in f.name)
        for attempt in range(args.repeat):
            log(f"restore {attempt + 1} of {args.repeat}: cli")
            runs["cli"].append(restore_by_cli(jupyter, bundle, env))
            log(f"restore {attempt + 1} of {args.repeat}: jupyterlab (companion job)")
            runs["jupyterlab"].append(restore_by_job(jupyter, bundle))
    finally:
        jupyter.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nRestore fixed cost: a session of {len(CELLS)} cells, copied {', '.join(plan['copy'])} "
          f"({state} payload bytes), re-runs executions {plan['rerun']}; {args.repeat} restores per path.")
    print("Times in ms from the restore's own timings; fixed = total - kernel start - imports.\n")
    print(table([(f"{name} #{i + 1}", t) for name, ts in runs.items() for i, t in enumerate(ts)]))
    print()
    passed = True
    medians = {}
    for name, ts in runs.items():
        medians[name] = {k: statistics.median(t.get(k, 0) for t in ts) for k in ("totalMs", *PHASES)}
        median_fixed = statistics.median(fixed_ms(t) for t in ts)
        ok = median_fixed < TARGET_MS
        passed &= ok
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}: median fixed cost {median_fixed:.0f} ms vs target < {TARGET_MS:.0f} ms "
              f"(median total {medians[name]['totalMs']:.0f} ms, kernel start {medians[name]['kernelStartMs']:.0f} ms, "
              f"bootstrap {medians[name]['bootstrapMs']:.0f} ms)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"restore-fixed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"passed": passed, "targetMs": TARGET_MS, "plan": plan, "runs": runs}, indent=1))
    print(f"\nResults: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
