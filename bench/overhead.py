"""Recording overhead: the same notebook in a plain kernel and through the Elastic Notebook agent.

    npm run bench -- overhead            # ~2 GB of arrays and dataframes in 100+ variables
    npm run bench -- overhead --small    # ~200 MB, for a quick look

Both runs use fresh ipykernels driven with jupyter_client; the recorded run loads the agent with
the same bootstrap code as the extension and sends every cell behind the ``%%intercept`` line,
exactly as JupyterLab does. Printed side by side: per-cell and total wall time, the agent's own
time per cell (measured inside the kernel), added latency of a trivial cell with the full
namespace (p50/p95), and the kernel's memory (RSS after the run and peak).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from elastic_notebook.bootstrap import bootstrap_code  # noqa: E402

TARGET_TOTAL_PCT = 1.0
TARGET_TRIVIAL_P50_MS = 5.0
TARGET_MEMORY_PCT = 5.0


def workload(scale: float) -> list[str]:
    """Cells of a realistic analysis session; ``scale=1`` holds about 2 GB in 100+ variables."""
    n = int(6_250_000 * scale)  # floats per large array (50 MB at scale 1)
    rows = int(1_000_000 * scale)
    cells = [
        "import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import Ridge\n"
        "from sklearn.cluster import MiniBatchKMeans\nrng = np.random.default_rng(42)",
    ]
    # 30 large arrays, 3 per cell.
    for c in range(10):
        cells.append("\n".join(f"a{3 * c + k} = rng.standard_normal({n})" for k in range(3)))
    # 6 dataframes with numeric and string columns.
    for d in range(6):
        cells.append(
            f"df{d} = pd.DataFrame({{'x': rng.standard_normal({rows}), 'y': rng.standard_normal({rows}),"
            f" 'g': rng.integers(0, 50, {rows}), 'label': rng.choice(['red', 'green', 'blue'], {rows})}})"
        )
    # 60 small variables: parameters, lists, dicts.
    cells.append("\n".join(f"p{i} = {{'alpha': {i / 10}, 'tags': ['t{i}'] * 5}}" for i in range(30)))
    cells.append("\n".join(f"s{i} = list(range({i * 100}))" for i in range(30)))
    # Realistic work: reductions, in-place updates, group-bys, models, linear algebra.
    cells += [
        "means = [a.mean() for a in (a0, a1, a2, a3, a4, a5)]",
        "a0 *= 1.01\na1 += a2",
        "stats0 = df0.groupby('g')[['x', 'y']].agg(['mean', 'std'])",
        "stats1 = df1.groupby('label').x.describe()",
        "df2['z'] = df2.x * 2 + df2.y",
        "X = np.column_stack([df3.x.values, df3.y.values, df3.g.values])\ny_t = df3.x.values * 3 + rng.standard_normal(len(df3))",
        "model = Ridge(alpha=1.0).fit(X, y_t)\nscore = model.score(X, y_t)",
        "km = MiniBatchKMeans(n_clusters=8, n_init=3, random_state=0).fit(X[:200_000])",
        "m = rng.standard_normal((1500, 1500))\nu, sv, vt = np.linalg.svd(m)",
        "order = np.argsort(a3)\nsorted_a3 = a3[order]",
        "top = df4.nlargest(1000, 'x')",
        "corr = np.corrcoef(a5[:2_000_000], a6[:2_000_000])",
        "hist, edges = np.histogram(a7, bins=200)",
        "counts = df5.g.value_counts().rename('n').reset_index()\nmerged = df5.merge(counts, on='g').head(100_000)",
        "total = sum(float(a.sum()) for a in (a8, a9, a10, a11))",
        "print(score, total, len(top))",
    ]
    return cells


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
            assert reply["status"] == "ok", reply

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

    def run_cell(self, source: str) -> float:
        """Run one notebook cell as the frontend would; returns wall seconds."""
        code = ("%%intercept\n" + source) if self.recorded else source
        start = time.perf_counter()
        reply = self.execute(code)
        elapsed = time.perf_counter() - start
        if reply["status"] != "ok":
            raise RuntimeError(f"cell failed: {reply.get('ename')}: {reply.get('evalue')}\n{source}")
        return elapsed

    def agent_ms(self) -> list[float]:
        expr = "__import__('json').dumps([r['agentMs'] for r in __import__('sys').modules['_elastic_notebook_agent'].records()])"
        reply = self.execute("", silent=True, user_expressions={"v": expr})
        return json.loads(eval(reply["user_expressions"]["v"]["data"]["text/plain"]))  # noqa: S307 - our own repr

    def memory_mb(self) -> tuple[float, float]:
        """(RSS now, peak RSS) of the kernel process, in MB."""
        pid = self.km.provisioner.process.pid  # type: ignore[union-attr]
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
        )
        kb = lambda name: float(fields[name].split()[0]) / 1024  # noqa: E731
        return kb("VmRSS"), kb("VmHWM")

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="about 200 MB instead of 2 GB")
    parser.add_argument("--trivial", type=int, default=200, help="trivial cells to time per mode and round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating plain/recorded rounds (per-cell minimum kept)")
    args = parser.parse_args()
    cells = workload(0.1 if args.small else 1.0)
    results: dict[str, dict] = {}
    # Alternate modes so that machine-wide effects (page cache, memory zeroing) hit both alike.
    for mode in ["plain", "recorded"] * args.rounds:
        session = Session(recorded=mode == "recorded")
        try:
            times = [session.run_cell(cell) for cell in cells]
            nvars = session.execute(
                "", silent=True, user_expressions={"n": "len([k for k in globals() if not k.startswith('_')])"}
            )["user_expressions"]["n"]["data"]["text/plain"]
            trivial = [session.run_cell("x_trivial = 1") for _ in range(args.trivial)]
            rss, peak = session.memory_mb()
            agent = session.agent_ms() if session.recorded else []
        finally:
            session.close()
        previous = results.get(mode)
        if previous:
            times = [min(a, b) for a, b in zip(previous["times"], times)]
            trivial = previous["trivial"] + trivial
            agent = [min(a, b) for a, b in zip(previous["agent"], agent)] if agent else []
            rss, peak = min(previous["rss"], rss), min(previous["peak"], peak)
        results[mode] = {"times": times, "trivial": trivial, "rss": rss, "peak": peak, "agent": agent, "nvars": nvars}
        print(f"[{mode}] ran {len(cells)} cells, {nvars} names in the namespace", file=sys.stderr)

    plain, rec = results["plain"], results["recorded"]
    print(
        f"\nRecording overhead ({'small' if args.small else 'full'} workload, {len(cells)} cells, "
        f"best of {args.rounds} alternating rounds per mode)\n"
    )
    print(f"{'cell':>4}  {'plain s':>9}  {'recorded s':>10}  {'diff %':>7}  {'agent ms':>9}  {'agent %':>7}  code")
    work_agent = rec["agent"][: len(cells)]
    for i, cell in enumerate(cells):
        p, r, a = plain["times"][i], rec["times"][i], work_agent[i]
        first = cell.splitlines()[0][:48]
        print(f"{i:>4}  {p:>9.3f}  {r:>10.3f}  {100 * (r - p) / p:>6.1f}%  {a:>9.2f}  {100 * a / 1000 / p:>6.2f}%  {first}")
    total_p, total_r = sum(plain["times"]), sum(rec["times"])
    total_agent = sum(work_agent) / 1000
    triv_p = [t * 1000 for t in plain["trivial"]]
    triv_r = [t * 1000 for t in rec["trivial"]]
    triv_agent = rec["agent"][len(cells) :]
    mem_pct = 100 * (rec["rss"] - plain["rss"]) / plain["rss"]
    peak_pct = 100 * (rec["peak"] - plain["peak"]) / plain["peak"]
    print("\n| measure | plain | recorded | overhead | target |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| total wall time | {total_p:.2f} s | {total_r:.2f} s | {100 * (total_r - total_p) / total_p:+.2f}% "
        f"(agent's own time: {100 * total_agent / total_p:.2f}%) | <= {TARGET_TOTAL_PCT}% |"
    )
    print(
        f"| trivial cell p50 ({rec['nvars']} names) | {statistics.median(triv_p):.2f} ms | {statistics.median(triv_r):.2f} ms "
        f"| {statistics.median(triv_r) - statistics.median(triv_p):+.2f} ms (agent's own: {statistics.median(triv_agent):.2f} ms) "
        f"| <= {TARGET_TRIVIAL_P50_MS} ms |"
    )
    print(
        f"| trivial cell p95 | {percentile(triv_p, 0.95):.2f} ms | {percentile(triv_r, 0.95):.2f} ms "
        f"| {percentile(triv_r, 0.95) - percentile(triv_p, 0.95):+.2f} ms | |"
    )
    print(f"| kernel RSS after the run | {plain['rss']:.0f} MB | {rec['rss']:.0f} MB | {mem_pct:+.2f}% | <= {TARGET_MEMORY_PCT}% |")
    print(f"| kernel peak RSS | {plain['peak']:.0f} MB | {rec['peak']:.0f} MB | {peak_pct:+.2f}% | <= {TARGET_MEMORY_PCT}% |")


if __name__ == "__main__":
    main()
