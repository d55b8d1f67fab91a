"""Recording overhead: the same notebook in a plain kernel and through the Elastic Notebook agent.

    npm run bench -- overhead                  # bench/notebooks/overhead-full.ipynb: ~2 GB, 100+ variables
    npm run bench -- overhead --small          # bench/notebooks/overhead-small.ipynb: ~200 MB
    npm run bench -- overhead --notebook X.ipynb --rounds 3
    npm run bench -- overhead --baseline-agent /path/to/other/elastic_notebook/agent

Each round starts fresh ipykernels driven with jupyter_client: a plain one, and a recorded one
that loads the agent with the extension's bootstrap code (records kept in memory, no companion)
and receives every cell behind the ``%%intercept --cell-index N --cell-id ID`` line, exactly as
JupyterLab sends it. With ``--baseline-agent DIR`` a third kernel records with the agent loaded
from DIR (e.g. a checkout of the previous commit), for before/after figures from one run. The
kernels run the notebook cell by cell in alternation (which one goes first rotates too), so that
drift on the machine (2 cores, page cache, memory zeroing, other jobs) hits all alike; per cell
the median over the rounds is kept. Printed side by side: per-cell and total wall time, the
agent's own time per cell (``agentMs``, measured inside the kernel), the CPU time of all the
agent's hooks per cell (thread CPU time: on a shared machine it does not count waiting for a
core), added latency of a trivial cell with the full namespace (p50/p95), and kernel memory (RSS
after the run and peak, /proc). The figures also go to ``bench/results/overhead-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from elastic_notebook.bootstrap import AGENT_DIR, bootstrap_code  # noqa: E402

NOTEBOOKS = ROOT / "bench" / "notebooks"
RESULTS = ROOT / "bench" / "results"

TARGET_TOTAL_PCT = 1.0
TARGET_TRIVIAL_P50_MS = 5.0
TARGET_MEMORY_PCT = 5.0


@dataclass
class Cell:
    """A code cell of the benchmark notebook."""

    index: int
    cell_id: str | None
    source: str


def read_cells(path: Path) -> list[Cell]:
    """The non-blank code cells of a notebook, with their 0-based index among all cells."""
    nb = json.loads(path.read_text())
    out = []
    for index, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and source.strip():
            out.append(Cell(index, cell.get("id"), source))
    return out


# Wraps the agent's pre/post_run_cell hooks (in the kernel, after the bootstrap) to add up their
# thread CPU time per recorded cell; kept on the agent object, never in the user namespace.
CPU_PROBE = """
def _elastic_notebook_cpu_probe():
    import sys, time
    agent = sys.modules["_elastic_notebook_agent"]._agent
    spent, pending = [], [0.0]

    def timed(callback, closes):
        def run(*args, **kwargs):
            t0 = time.thread_time()
            try:
                return callback(*args, **kwargs)
            finally:
                pending[0] += time.thread_time() - t0
                if closes:
                    spent.append(pending[0] * 1000.0)
                    pending[0] = 0.0
        return run

    callbacks = agent.shell.events.callbacks
    for event, closes in (("pre_run_cell", False), ("post_run_cell", True)):
        hooks = callbacks[event]
        for i, hook in enumerate(hooks):
            if getattr(hook, "__self__", None) is agent:
                hooks[i] = timed(hook, closes)
    agent.bench_cpu_ms = spent
try:
    _elastic_notebook_cpu_probe()
finally:
    del _elastic_notebook_cpu_probe
"""


class Session:
    """One fresh kernel: plain, or recorded by the agent in ``agent_dir`` (None: this checkout's)."""

    def __init__(self, recorded: bool, agent_dir: Path | None = None) -> None:
        self.recorded = recorded
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        if recorded:
            code = bootstrap_code(self.km.kernel_id or "bench", None, None)
            if agent_dir is not None:  # the same loader, pointed at another copy of the agent
                code = code.replace(repr(str(AGENT_DIR)), repr(str(agent_dir)))
                code = code.replace(repr(str(AGENT_DIR / "__init__.py")), repr(str(agent_dir / "__init__.py")))
            for step in (code, CPU_PROBE):
                reply = self.execute(step, silent=True)
                if reply["status"] != "ok":
                    raise RuntimeError(f"agent bootstrap failed: {reply.get('ename')}: {reply.get('evalue')}")

    def execute(self, code: str, silent: bool = False, user_expressions: dict | None = None) -> dict:
        reply = self.kc.execute_interactive(
            code,
            silent=silent,
            store_history=not silent,
            user_expressions=user_expressions or {},
            timeout=1800,
            output_hook=lambda msg: None,
        )
        return reply["content"]

    def run_cell(self, cell: Cell) -> float:
        """Run one notebook cell as the frontend would; returns wall seconds (request to reply)."""
        code = cell.source
        if self.recorded:
            header = f"%%intercept --cell-index {cell.index}" + (f" --cell-id {cell.cell_id}" if cell.cell_id else "")
            code = f"{header}\n{cell.source}"
        start = time.perf_counter()
        reply = self.execute(code)
        elapsed = time.perf_counter() - start
        if reply["status"] != "ok":
            raise RuntimeError(f"cell {cell.index} failed: {reply.get('ename')}: {reply.get('evalue')}")
        return elapsed

    def evaluate(self, expression: str) -> str:
        reply = self.execute("", silent=True, user_expressions={"v": expression})
        value = reply["user_expressions"]["v"]
        if value["status"] != "ok":
            raise RuntimeError(f"{expression}: {value.get('ename')}: {value.get('evalue')}")
        return value["data"]["text/plain"]

    def agent_ms(self) -> list[float]:
        """The agent's own time per recorded execution, in order."""
        text = self.evaluate(
            "[r['agentMs'] for r in __import__('sys').modules['_elastic_notebook_agent'].records()]"
        )
        return json.loads(text)

    def agent_cpu_ms(self) -> list[float]:
        """CPU time of all the agent's hooks per recorded execution, in order."""
        return json.loads(self.evaluate("__import__('sys').modules['_elastic_notebook_agent']._agent.bench_cpu_ms"))

    def user_names(self) -> int:
        return int(self.evaluate("len([k for k in globals() if not k.startswith('_') and k not in ('In', 'Out', 'exit', 'quit', 'get_ipython')])"))

    def memory_mb(self) -> tuple[float, float]:
        """(RSS now, peak RSS) of the kernel process, in MB."""
        pid = self.km.provisioner.process.pid  # type: ignore[union-attr]
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
        )
        return float(fields["VmRSS"].split()[0]) / 1024, float(fields["VmHWM"].split()[0]) / 1024

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@dataclass
class Round:
    """What one round measured, per mode."""

    modes: list[str]
    times: dict[str, list[float]] = field(default_factory=dict)
    trivial: dict[str, list[float]] = field(default_factory=dict)
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)
    agent: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    names: int = 0

    def __post_init__(self) -> None:
        for mode in self.modes:
            self.times[mode], self.trivial[mode] = [], []


def rotation(modes: list[str], i: int) -> list[str]:
    """The modes in the order they run step ``i``: each goes first in turn."""
    k = i % len(modes)
    return modes[k:] + modes[:k]


def run_round(cells: list[Cell], trivial_runs: int, number: int, baseline: Path | None) -> Round:
    """All kernels side by side, alternating per cell."""
    modes = ["plain", "recorded"] + (["baseline"] if baseline else [])
    result = Round(modes)
    sessions = {"plain": Session(recorded=False), "recorded": Session(recorded=True)}
    if baseline:
        sessions["baseline"] = Session(recorded=True, agent_dir=baseline)
    try:
        for i, cell in enumerate(cells):
            for mode in rotation(modes, i + number):
                result.times[mode].append(sessions[mode].run_cell(cell))
            if sys.stderr.isatty():
                print(f"  round {number + 1}: cell {cell.index} done", file=sys.stderr, end="\r")
        trivial = Cell(len(cells) + 1, None, "x_trivial = 1")
        for i in range(trivial_runs):
            for mode in rotation(modes, i):
                result.trivial[mode].append(sessions[mode].run_cell(trivial))
        for mode, session in sessions.items():
            result.memory[mode] = session.memory_mb()
            if session.recorded:
                result.agent[mode] = session.agent_ms()
                result.cpu[mode] = session.agent_cpu_ms()
        result.names = sessions["recorded"].user_names()
    finally:
        for session in sessions.values():
            session.close()
    print(f"round {number + 1}: {len(cells)} cells and {trivial_runs} trivial cells per kernel", file=sys.stderr)
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


@dataclass
class Figures:
    """Per-mode results over all rounds (medians per cell)."""

    wall: list[float]
    wall_best: list[float]  # per cell, the least disturbed round (other jobs only ever add time)
    trivial_ms: list[float]
    memory: tuple[float, float]
    agent: list[float] = field(default_factory=list)  # agentMs per cell
    cpu: list[float] = field(default_factory=list)  # hooks' CPU ms per cell
    trivial_agent: list[float] = field(default_factory=list)


def figures(rounds: list[Round], mode: str, cells: int) -> Figures:
    def median_per_cell(series: list[list[float]]) -> list[float]:
        return [statistics.median(values[i] for values in series) for i in range(cells)]

    result = Figures(
        wall=median_per_cell([r.times[mode] for r in rounds]),
        wall_best=[min(r.times[mode][i] for r in rounds) for i in range(cells)],
        trivial_ms=[t * 1000 for r in rounds for t in r.trivial[mode]],
        memory=(statistics.median(r.memory[mode][0] for r in rounds), statistics.median(r.memory[mode][1] for r in rounds)),
    )
    if mode in rounds[0].agent:
        result.agent = median_per_cell([r.agent[mode] for r in rounds])
        result.cpu = median_per_cell([r.cpu[mode] for r in rounds])
        result.trivial_agent = [ms for r in rounds for ms in r.agent[mode][cells:]]
    return result


def summary_rows(plain: Figures, rec: Figures, names: int) -> list[tuple[str, str, str, float | None, float | None]]:
    """(measure, plain, recorded, overhead, target) rows of the summary table for one agent."""
    total_p, total_r = sum(plain.wall), sum(rec.wall)
    best_p, best_r = sum(plain.wall_best), sum(rec.wall_best)
    agent_s, cpu_s = sum(rec.agent) / 1000, sum(rec.cpu) / 1000
    p50 = statistics.median(rec.trivial_ms) - statistics.median(plain.trivial_ms)
    return [
        ("total wall time", f"{total_p:.2f} s", f"{total_r:.2f} s", 100 * (total_r - total_p) / total_p, TARGET_TOTAL_PCT),
        ("total wall time, best round per cell", f"{best_p:.2f} s", f"{best_r:.2f} s", 100 * (best_r - best_p) / best_p, None),
        ("agent's own time (agentMs, in-kernel)", "", f"{agent_s:.3f} s", 100 * agent_s / total_p, TARGET_TOTAL_PCT),
        ("agent hooks' CPU time (in-kernel)", "", f"{cpu_s:.3f} s", 100 * cpu_s / total_p, TARGET_TOTAL_PCT),
        (f"trivial cell p50 added ({names} variables)", f"{statistics.median(plain.trivial_ms):.2f} ms",
         f"{statistics.median(rec.trivial_ms):.2f} ms (agent's own {statistics.median(rec.trivial_agent):.2f} ms)",
         p50, TARGET_TRIVIAL_P50_MS),
        ("trivial cell p95 added", f"{percentile(plain.trivial_ms, 0.95):.2f} ms", f"{percentile(rec.trivial_ms, 0.95):.2f} ms",
         percentile(rec.trivial_ms, 0.95) - percentile(plain.trivial_ms, 0.95), None),
        ("kernel RSS after the run", f"{plain.memory[0]:.0f} MB", f"{rec.memory[0]:.0f} MB",
         100 * (rec.memory[0] - plain.memory[0]) / plain.memory[0], TARGET_MEMORY_PCT),
        ("kernel peak RSS", f"{plain.memory[1]:.0f} MB", f"{rec.memory[1]:.0f} MB",
         100 * (rec.memory[1] - plain.memory[1]) / plain.memory[1], TARGET_MEMORY_PCT),
    ]


def overhead_text(measure: str, value: float) -> str:
    return f"{value:+.2f} ms" if "trivial" in measure else f"{value:+.2f}%"


def target_text(measure: str, target: float | None) -> str:
    if target is None:
        return ""
    return f"<= {target} ms" if "trivial" in measure else f"<= {target}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="the ~200 MB notebook instead of the ~2 GB one")
    parser.add_argument("--notebook", type=Path, help="benchmark this notebook instead")
    parser.add_argument("--rounds", type=int, default=2, help="rounds with fresh kernels (per-cell median kept)")
    parser.add_argument("--trivial", type=int, default=200, help="trivial cells timed per mode and round")
    parser.add_argument("--baseline-agent", type=Path, metavar="DIR",
                        help="also record with the agent in DIR (an elastic_notebook/agent folder), side by side")
    args = parser.parse_args()
    path = args.notebook or NOTEBOOKS / ("overhead-small.ipynb" if args.small else "overhead-full.ipynb")
    if not path.is_file():
        parser.error(f"notebook not found: {path} (generate it with bench/overhead_notebook.py)")
    baseline = args.baseline_agent.resolve() if args.baseline_agent else None
    if baseline is not None and not (baseline / "__init__.py").is_file():
        parser.error(f"not an agent folder (no __init__.py): {baseline}")
    cells = read_cells(path)
    rounds = [run_round(cells, args.trivial, n, baseline) for n in range(args.rounds)]
    names = rounds[0].names
    res = {mode: figures(rounds, mode, len(cells)) for mode in rounds[0].modes}
    plain, rec = res["plain"], res["recorded"]
    base = res.get("baseline")

    print(f"\nRecording overhead: {path.name}, {len(cells)} cells, {names} user variables, "
          f"median of {args.rounds} round(s), {', '.join(rounds[0].modes)} kernels alternating per cell")
    if base is not None:
        print(f"baseline agent: {baseline}")
    extra = f"  {'base s':>8}  {'base agent':>10}" if base is not None else ""
    print(f"\n{'cell':>4}  {'plain s':>8}  {'recorded s':>10}  {'added ms':>9}  {'added %':>8}  {'agent ms':>9}  {'agent CPU':>9}{extra}  code")
    for i, cell in enumerate(cells):
        p, r = plain.wall[i], rec.wall[i]
        more = f"  {base.wall[i]:>8.3f}  {base.agent[i]:>10.2f}" if base is not None else ""
        print(f"{cell.index:>4}  {p:>8.3f}  {r:>10.3f}  {1000 * (r - p):>9.1f}  {100 * (r - p) / p:>7.1f}%  "
              f"{rec.agent[i]:>9.2f}  {rec.cpu[i]:>9.2f}{more}  {cell.source.splitlines()[0][:44]}")

    rows = summary_rows(plain, rec, names)
    base_rows = summary_rows(plain, base, names) if base is not None else None
    head = "| measure | plain | recorded | overhead | target | |"
    rule = "| --- | --- | --- | --- | --- | --- |"
    if base_rows:
        head += " baseline agent | baseline overhead | |"
        rule += " --- | --- | --- |"
    print("\n" + head + "\n" + rule)
    for k, (measure, p_text, r_text, value, target) in enumerate(rows):
        line = (f"| {measure} | {p_text} | {r_text} | {overhead_text(measure, value)} | {target_text(measure, target)} | "
                f"{verdict(value, target) if target is not None else ''} |")
        if base_rows:
            _, _, b_text, b_value, _ = base_rows[k]
            line += f" {b_text} | {overhead_text(measure, b_value)} | {verdict(b_value, target) if target is not None else ''} |"
        print(line)

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"overhead-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({
        "notebook": str(path), "rounds": args.rounds, "variables": names,
        "baselineAgent": str(baseline) if baseline else None,
        "cells": [
            {"index": c.index, "plainS": plain.wall[i], "recordedS": rec.wall[i], "agentMs": rec.agent[i], "agentCpuMs": rec.cpu[i],
             **({"baselineS": base.wall[i], "baselineAgentMs": base.agent[i], "baselineAgentCpuMs": base.cpu[i]} if base else {})}
            for i, c in enumerate(cells)
        ],
        "summary": {mode: [{"measure": m, "plain": p_, "recorded": r_, "overhead": v, "target": t} for m, p_, r_, v, t in rows_]
                    for mode, rows_ in (("recorded", rows), ("baseline", base_rows)) if rows_},
        "trivialMs": {mode: f.trivial_ms for mode, f in res.items()},
        "memoryMb": {mode: f.memory for mode, f in res.items()},
    }, indent=1))
    print(f"\n(figures saved to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
