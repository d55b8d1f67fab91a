"""Recording overhead: the same notebook in a plain kernel and through the Elastic Notebook agent.

    npm run bench -- overhead                  # bench/notebooks/overhead-full.ipynb: ~2 GB, 100+ variables
    npm run bench -- overhead --small          # bench/notebooks/overhead-small.ipynb: ~200 MB
    npm run bench -- overhead --notebook X.ipynb --rounds 3

Each round starts two fresh ipykernels driven with jupyter_client: a plain one, and a recorded one
that loads the agent with the extension's bootstrap code (records kept in memory, no companion)
and receives every cell behind the ``%%intercept --cell-index N --cell-id ID`` line, exactly as
JupyterLab sends it. The two run the notebook cell by cell in alternation (which one goes first
alternates too), so that drift on the machine (2 cores, page cache, memory zeroing) hits both
alike; per cell the median over the rounds is kept. Printed side by side: per-cell and total
wall time, the agent's own time per cell (measured inside the kernel), added latency of a trivial
cell with the full namespace (p50/p95), and kernel memory (RSS after the run and peak, /proc).
The figures also go to ``bench/results/overhead-<time>.json``.
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
from elastic_notebook.bootstrap import bootstrap_code  # noqa: E402

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


class Session:
    """One fresh kernel, plain or recorded."""

    def __init__(self, recorded: bool) -> None:
        self.recorded = recorded
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        if recorded:
            reply = self.execute(bootstrap_code(self.km.kernel_id or "bench", None, None), silent=True)
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

    times: dict[str, list[float]] = field(default_factory=lambda: {"plain": [], "recorded": []})
    trivial: dict[str, list[float]] = field(default_factory=lambda: {"plain": [], "recorded": []})
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)
    agent: list[float] = field(default_factory=list)
    names: int = 0


def run_round(cells: list[Cell], trivial_runs: int, number: int) -> Round:
    """Both kernels side by side, alternating per cell."""
    result = Round()
    sessions = {"plain": Session(recorded=False), "recorded": Session(recorded=True)}
    try:
        for i, cell in enumerate(cells):
            order = ["plain", "recorded"] if (i + number) % 2 == 0 else ["recorded", "plain"]
            for mode in order:
                result.times[mode].append(sessions[mode].run_cell(cell))
            if sys.stderr.isatty():
                print(f"  round {number + 1}: cell {cell.index} done", file=sys.stderr, end="\r")
        trivial = Cell(len(cells) + 1, None, "x_trivial = 1")
        for i in range(trivial_runs):
            for mode in (["plain", "recorded"] if i % 2 == 0 else ["recorded", "plain"]):
                result.trivial[mode].append(sessions[mode].run_cell(trivial))
        for mode, session in sessions.items():
            result.memory[mode] = session.memory_mb()
        result.agent = sessions["recorded"].agent_ms()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="the ~200 MB notebook instead of the ~2 GB one")
    parser.add_argument("--notebook", type=Path, help="benchmark this notebook instead")
    parser.add_argument("--rounds", type=int, default=2, help="rounds with fresh kernels (per-cell median kept)")
    parser.add_argument("--trivial", type=int, default=200, help="trivial cells timed per mode and round")
    args = parser.parse_args()
    path = args.notebook or NOTEBOOKS / ("overhead-small.ipynb" if args.small else "overhead-full.ipynb")
    if not path.is_file():
        parser.error(f"notebook not found: {path} (generate it with bench/overhead_notebook.py)")
    cells = read_cells(path)
    rounds = [run_round(cells, args.trivial, n) for n in range(args.rounds)]

    def per_cell(mode: str) -> list[float]:
        return [statistics.median(r.times[mode][i] for r in rounds) for i in range(len(cells))]

    plain, recorded = per_cell("plain"), per_cell("recorded")
    agent = [statistics.median(r.agent[i] for r in rounds) for i in range(len(cells))]
    trivial_agent = [ms for r in rounds for ms in r.agent[len(cells) :]]
    triv = {mode: [t * 1000 for r in rounds for t in r.trivial[mode]] for mode in ("plain", "recorded")}
    memory = {mode: tuple(statistics.median(r.memory[mode][k] for r in rounds) for k in (0, 1)) for mode in ("plain", "recorded")}

    print(f"\nRecording overhead: {path.name}, {len(cells)} cells, {rounds[0].names} user variables, "
          f"median of {args.rounds} round(s), plain and recorded alternating per cell\n")
    print(f"{'cell':>4}  {'plain s':>8}  {'recorded s':>10}  {'added ms':>9}  {'added %':>8}  {'agent ms':>9}  code")
    for cell, p, r, a in zip(cells, plain, recorded, agent):
        first = cell.source.splitlines()[0][:44]
        print(f"{cell.index:>4}  {p:>8.3f}  {r:>10.3f}  {1000 * (r - p):>9.1f}  {100 * (r - p) / p:>7.1f}%  {a:>9.2f}  {first}")
    total_p, total_r, total_a = sum(plain), sum(recorded), sum(agent) / 1000
    total_pct = 100 * (total_r - total_p) / total_p
    agent_pct = 100 * total_a / total_p
    p50 = statistics.median(triv["recorded"]) - statistics.median(triv["plain"])
    p95 = percentile(triv["recorded"], 0.95) - percentile(triv["plain"], 0.95)
    rss_pct = 100 * (memory["recorded"][0] - memory["plain"][0]) / memory["plain"][0]
    peak_pct = 100 * (memory["recorded"][1] - memory["plain"][1]) / memory["plain"][1]

    print("\n| measure | plain | recorded | overhead | target | |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(f"| total wall time | {total_p:.2f} s | {total_r:.2f} s | {total_pct:+.2f}% | <= {TARGET_TOTAL_PCT}% | {verdict(total_pct, TARGET_TOTAL_PCT)} |")
    print(f"| agent's own time (in-kernel) | | {total_a:.3f} s | {agent_pct:.2f}% | <= {TARGET_TOTAL_PCT}% | {verdict(agent_pct, TARGET_TOTAL_PCT)} |")
    print(f"| trivial cell p50 ({rounds[0].names} variables) | {statistics.median(triv['plain']):.2f} ms | "
          f"{statistics.median(triv['recorded']):.2f} ms | {p50:+.2f} ms (agent's own {statistics.median(trivial_agent):.2f} ms) "
          f"| <= {TARGET_TRIVIAL_P50_MS} ms | {verdict(p50, TARGET_TRIVIAL_P50_MS)} |")
    print(f"| trivial cell p95 | {percentile(triv['plain'], 0.95):.2f} ms | {percentile(triv['recorded'], 0.95):.2f} ms | {p95:+.2f} ms | | |")
    print(f"| kernel RSS after the run | {memory['plain'][0]:.0f} MB | {memory['recorded'][0]:.0f} MB | {rss_pct:+.2f}% | <= {TARGET_MEMORY_PCT}% | {verdict(rss_pct, TARGET_MEMORY_PCT)} |")
    print(f"| kernel peak RSS | {memory['plain'][1]:.0f} MB | {memory['recorded'][1]:.0f} MB | {peak_pct:+.2f}% | <= {TARGET_MEMORY_PCT}% | {verdict(peak_pct, TARGET_MEMORY_PCT)} |")

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"overhead-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({
        "notebook": str(path), "rounds": args.rounds, "variables": rounds[0].names,
        "cells": [{"index": c.index, "plainS": p, "recordedS": r, "agentMs": a} for c, p, r, a in zip(cells, plain, recorded, agent)],
        "total": {"plainS": total_p, "recordedS": total_r, "overheadPct": total_pct, "agentPct": agent_pct},
        "trivial": {"p50AddedMs": p50, "p95AddedMs": p95, "plainMs": triv["plain"], "recordedMs": triv["recorded"]},
        "memoryMb": {"plain": memory["plain"], "recorded": memory["recorded"], "rssPct": rss_pct, "peakPct": peak_pct},
    }, indent=1))
    print(f"\n(figures saved to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
