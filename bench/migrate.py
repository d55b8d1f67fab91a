"""Migration benchmark: Elastic Notebook's checkpoint and restore beside three baselines, on the
corpus of tests/corpus/ (the slow notebooks and the 2 GB session included), in one run.

    npm run bench -- migrate                          # the whole corpus
    npm run bench -- migrate --only 21_simulation,22_training
    npm run bench -- migrate --skip-huge              # without the 2 GB session
    npm run bench -- migrate --store s3               # our bundles in s3rver instead of a folder
    npm run bench -- migrate --objective fast-migrate # the plan's objective (default: balanced)
    npm run bench -- migrate --corpus realworld       # only the real-world part (see below)

Per notebook (each from its own copy of the notebook and its data; a large one, >= 100 MB of
state, first runs once in a plain kernel, unmeasured: on a VM the first process to touch
gigabytes of fresh memory runs its cells several times slower, and its history would be one no
later run records):

* **ours**: ``elastic-notebook checkpoint --keep-kernel --objective O`` on a Jupyter server started
  once for the run, with a data folder of its own (the planner starts from its default costs and
  learns from the run's own transfers, notebook after notebook); checkpoint time = the CLI's ``timings.totalMs`` (plan, serialize, write, commit: the cell
  runs are not included); bundle size = the bytes of the bundle on disk (manifest, history,
  payloads). Then ``restore --keep-kernel``; restore time = the CLI's total minus the kernel's
  start (fetch + re-runs + loads + verify when the CLI does not report the start separately).
  Correct = ``verification.ok`` and the independent state comparison (tests/python/
  state_compare.py) finds the restored state isomorphic to the checkpointed one.
* **re-run**: every cell in a fresh plain kernel (time of the cell requests, kernel start excluded).
  Its "correct" says whether re-running reproduces the checkpointed state (unseeded randomness
  does not).
* **dill**: ``dill.dump_session`` in the re-run kernel, ``dill.load_session`` in a fresh one.
* **pickle**: ``pickle.dump`` of every variable to its own file, ``pickle.load`` of each in a fresh
  kernel. Baselines are correct when the loaded state is isomorphic to the dumped one.

Restores and loads are each run ``--repeat`` times (default 3), every one in a fresh kernel, and
their median is reported: single runs of a few hundred ms swing by 2-3x on a shared VM (fresh
memory is slow to fault in). Checkpoints and dumps run once.

Then ``--rounds`` (default 5) rounds of checkpoint + restore of the unchanged notebook (the first
is the one above): the plan must be the same in every round, and the plan's estimated checkpoint
and restore times (its ``estimate``, priced with what the run measured so far) must be within 2x
of the measured ones.

After the corpus, the real-world notebooks (bench/migrate_realworld.py): per notebook and as a
median, our restore time beside re-running every cell, both from a started kernel and both with
the session's imports (target: median at most 0.5x); bundles in a local folder.

Printed: one row per notebook, then medians over the notebooks holding at least 100 MB of state
(tag ``large``) and over all, the ratios against the targets with PASS/FAIL, and which baselines
fail where. Everything also goes to ``bench/results/migrate-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "corpus"))
sys.path.insert(0, str(ROOT / "tests" / "python"))

import migrate_realworld  # noqa: E402
import state_compare  # noqa: E402
from harness import CliFailed, S3Server, load_corpus, run_cli, stage  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402
from migrate_baselines import Outcome, run_baselines, verdict, warm_up  # noqa: E402

RESULTS = ROOT / "bench" / "results"

TARGET_CHECKPOINT_VS_DILL = 0.3
TARGET_RESTORE_VS_RERUN = 0.1
METHODS = ("ours", "rerun", "dill", "pickle")


def log(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def restore_seconds(timings: dict) -> tuple[float, str]:
    """Restore time without the kernel's start, and how it was obtained."""
    for key in ("kernelMs", "openMs", "startMs", "kernelStartMs"):
        if key in timings:
            return (timings["totalMs"] - timings[key]) / 1000, f"totalMs - {key}"
    parts = [k for k in ("fetchMs", "rerunMs", "loadMs", "verifyMs", "adoptMs") if k in timings]
    return sum(timings[k] for k in parts) / 1000, "+".join(parts)


def run_ours(notebook, folder: Path, jupyter: JupyterServer, bundle: str, env: dict, local_bundle: Path | None,
             objective: str, repeat: int) -> tuple[Outcome, dict | None]:
    """Checkpoint, then restore ``repeat`` times, through the CLI; returns the outcome (restore
    time: the median; correct: every restore was) and the checkpointed state."""
    outcome = Outcome()
    server = ["--server", jupyter.url, "--token", jupyter.token, "--json", "--keep-kernel"]
    log(f"elastic-notebook checkpoint --objective {objective}")
    try:
        checkpoint = run_cli(["checkpoint", str(folder / notebook.path.name), "--out", bundle, "--objective", objective, *server], env=env)
    except CliFailed as err:
        outcome.correct, outcome.problem = False, f"checkpoint failed: {str(err).splitlines()[1][:300] if len(str(err).splitlines()) > 1 else err}"
        return outcome, None
    result = checkpoint.json
    try:
        original = state_compare.dump_connection_file(result["connectionFile"])
    finally:
        jupyter.request("DELETE", f"/api/kernels/{result['kernelId']}")
    outcome.checkpoint_s = result["timings"]["totalMs"] / 1000
    outcome.bytes = folder_bytes(local_bundle) if local_bundle is not None else result.get("bytes")
    outcome.extra.update(plan={"copy": result["plan"]["copy"], "rerun": result["plan"]["rerun"]},
                         checkpointTimings=result["timings"], cliBytes=result.get("bytes"),
                         estimate=estimates(result["plan"]))
    times, verdicts = [], []
    for attempt in range(repeat):
        log(f"elastic-notebook restore ({attempt + 1} of {repeat})" if repeat > 1 else "elastic-notebook restore")
        restore = run_cli(["restore", bundle, *server], env=env, check=False)
        data = restore.json or {}
        kernel_id = data.get("kernelId")
        try:
            restored = state_compare.dump_connection_file(data["connectionFile"]) if kernel_id else None
        finally:
            if kernel_id:
                jupyter.request("DELETE", f"/api/kernels/{kernel_id}")
        if "timings" in data:
            seconds, how = restore_seconds(data["timings"])
            times.append(seconds)
            outcome.extra.update(restoreTimings=data["timings"], restoreTimeIs=how, fallback=data.get("fallback"),
                                 loaded=data.get("loaded"), rerun=data.get("rerun"))
        if restore.returncode != 0 or restored is None:
            verdicts.append((False, f"restore failed: {restore.stderr.strip()[-300:]}"))
            break
        correct, problem = verdict(original, restored)
        if not data.get("verification", {}).get("ok"):
            correct = False
            problem = (problem + "; " if problem else "") + f"verification: {data.get('verification')}"
        verdicts.append((correct, problem))
    outcome.restore_s = statistics.median(times) if times else None
    outcome.extra["restoreTimes"] = times
    wrong = next(((c, p) for c, p in verdicts if not c), None)
    outcome.correct, outcome.problem = wrong or (True, None)
    return outcome, original


TARGET_ESTIMATE_FACTOR = 2.0


def estimates(plan: dict) -> dict:
    """The plan's estimated checkpoint and restore times, in seconds."""
    estimate = plan.get("estimate", {})
    return {"checkpoint_s": estimate.get("migrateMs", 0) / 1000, "restore_s": estimate.get("restoreMs", 0) / 1000}


def plan_of(plan: dict) -> dict:
    """What must not change between rounds: the copied variables and the re-run executions."""
    return {"copy": plan["copy"], "rerun": plan["rerun"]}


def run_rounds(notebook, folder: Path, jupyter: JupyterServer, bundle: str, env: dict, objective: str,
               rounds: int, first: Outcome) -> None:
    """Rounds 2..``rounds`` of checkpoint + restore on the unchanged notebook (its history is the
    same code in the same order each time); records each round's plan and estimated beside
    measured times in ``first.extra["rounds"]``."""
    first_round = {"plan": first.extra.get("plan"), "estimate": first.extra.get("estimate"),
                   "checkpoint_s": first.checkpoint_s, "restore_s": first.restore_s}
    history = [first_round]
    server = ["--server", jupyter.url, "--token", jupyter.token, "--json"]
    for number in range(2, rounds + 1):
        stage(notebook, folder)
        log(f"round {number} of {rounds}: checkpoint + restore")
        entry: dict = {}
        try:
            checkpoint = run_cli(["checkpoint", str(folder / notebook.path.name), "--out", bundle, "--objective", objective,
                                  *server], env=env).json
            restore = run_cli(["restore", bundle, *server], env=env).json
        except CliFailed as err:
            entry["problem"] = str(err)[:300]
            history.append(entry)
            break
        entry.update(plan=plan_of(checkpoint["plan"]), estimate=estimates(checkpoint["plan"]),
                     stability=checkpoint["plan"].get("stability"), notes=checkpoint["plan"].get("notes"),
                     checkpoint_s=checkpoint["timings"]["totalMs"] / 1000,
                     restore_s=restore_seconds(restore["timings"])[0])
        history.append(entry)
    first.extra["rounds"] = history


def estimate_ratios(outcome: Outcome) -> tuple[float | None, float | None]:
    """Estimated over measured checkpoint and restore time of the first round."""
    est = outcome.extra.get("estimate")
    if not est:
        return None, None
    ck = est["checkpoint_s"] / outcome.checkpoint_s if outcome.checkpoint_s else None
    rs = est["restore_s"] / outcome.restore_s if outcome.restore_s else None
    return ck, rs


def stable(outcome: Outcome) -> bool | None:
    """Whether every round made the same plan (None without rounds)."""
    rounds = outcome.extra.get("rounds")
    if not rounds or len(rounds) < 2:
        return None
    return all(r.get("plan") == rounds[0]["plan"] for r in rounds)


def estimate_table(rows: list[dict]) -> str:
    """Per notebook: estimated beside measured checkpoint and restore times, and plan stability."""
    header = ("notebook", "ckpt est s", "measured s", "est/meas", "restore est s", "measured s", "est/meas",
              "rounds", "plan same")
    lines = [header]
    for row in rows:
        o = row["methods"]["ours"]
        est = o.extra.get("estimate") or {}
        ck, rs = estimate_ratios(o)
        rounds = o.extra.get("rounds") or []
        same = stable(o)
        lines.append((row["notebook"], fmt_s(est.get("checkpoint_s")), fmt_s(o.checkpoint_s), f"{ck:.2f}" if ck else "-",
                      fmt_s(est.get("restore_s")), fmt_s(o.restore_s), f"{rs:.2f}" if rs else "-",
                      str(len(rounds)) if rounds else "-", {True: "yes", False: "NO", None: "-"}[same]))
    return aligned(lines)


def aligned(lines: list[tuple]) -> str:
    """Rows as text columns: the first left-aligned, the others right-aligned; a rule under the header."""
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(line)))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def fmt_s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_mb(value: int | None) -> str:
    if value is None:
        return "-"
    mb = value / 1e6
    return f"{mb:.3f}" if mb < 1 else f"{mb:.1f}"


def fmt_ok(outcome: Outcome) -> str:
    return {True: "yes", False: "NO", None: "-"}[outcome.correct]


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def table(rows: list[dict]) -> str:
    header = ("notebook", "state MB",
              "ours ckpt s", "/dill", "bundle MB", "restore s", "/rerun", "/dill", "ok",
              "rerun s", "ok",
              "dill dump s", "MB", "load s", "ok",
              "pickle dump s", "MB", "load s", "ok")
    lines = [header]
    for row in rows:
        o, r, d, p = (row["methods"][m] for m in METHODS)
        lines.append((row["notebook"] + (" *" if row["large"] else ""), fmt_mb(row["stateBytes"]),
                      fmt_s(o.checkpoint_s), ratio(o.checkpoint_s, d.checkpoint_s), fmt_mb(o.bytes), fmt_s(o.restore_s),
                      ratio(o.restore_s, r.restore_s), ratio(o.restore_s, d.restore_s), fmt_ok(o),
                      fmt_s(r.restore_s), fmt_ok(r),
                      fmt_s(d.checkpoint_s), fmt_mb(d.bytes), fmt_s(d.restore_s), fmt_ok(d),
                      fmt_s(p.checkpoint_s), fmt_mb(p.bytes), fmt_s(p.restore_s), fmt_ok(p)))
    return aligned(lines)


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary(rows: list[dict]) -> tuple[str, bool]:
    large = [r for r in rows if r["large"]]
    lines = []
    passed = True

    def check(name: str, ok: bool | None, detail: str) -> None:
        nonlocal passed
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[ok]
        if ok is False:
            passed = False
        lines.append(f"  [{mark}] {name}: {detail}")

    def med(subset, method, attr):
        return median([getattr(r["methods"][method], attr) for r in subset])

    for title, subset in (("notebook(s) with >= 100 MB of state", large), ("notebook(s), all of this run", rows)):
        if not subset:
            continue
        names = ", ".join(r["notebook"] for r in subset) if subset is large else "the table"
        lines.append(f"Medians over {len(subset)} {title} ({names}):")
        lines.append("  " + "   ".join(
            f"{m}: checkpoint {fmt_s(med(subset, m, 'checkpoint_s'))} s, size {fmt_mb(med(subset, m, 'bytes'))} MB, restore {fmt_s(med(subset, m, 'restore_s'))} s"
            for m in ("ours", "dill", "pickle")) + f"   rerun: {fmt_s(med(subset, 'rerun', 'restore_s'))} s")
    lines.append("")
    lines.append("Targets:")
    if large:
        ours_ck, dill_ck = med(large, "ours", "checkpoint_s"), med(large, "dill", "checkpoint_s")
        ratio = ours_ck / dill_ck if ours_ck is not None and dill_ck else None
        check("median checkpoint time <= 0.3x dill.dump_session (>= 100 MB)", None if ratio is None else ratio <= TARGET_CHECKPOINT_VS_DILL,
              f"{fmt_s(ours_ck)} s vs {fmt_s(dill_ck)} s = {ratio:.3f}x" if ratio is not None else "not measurable")
        ours_rs, rerun = med(large, "ours", "restore_s"), med(large, "rerun", "restore_s")
        ratio = ours_rs / rerun if ours_rs is not None and rerun else None
        check("median restore time <= 0.1x re-running all cells (>= 100 MB)", None if ratio is None else ratio <= TARGET_RESTORE_VS_RERUN,
              f"{fmt_s(ours_rs)} s vs {fmt_s(rerun)} s = {ratio:.3f}x" if ratio is not None else "not measurable")
    else:
        lines.append("  (no notebook with >= 100 MB of state in this run: the median targets are not evaluated)")
    for title, subset in (("(>= 100 MB)", large), ("(every notebook)", rows)):
        slower = [f"{r['notebook']} ({fmt_s(r['methods']['ours'].restore_s)} s > {fmt_s(r['methods']['dill'].restore_s)} s)"
                  for r in subset if r["methods"]["dill"].restore_s is not None and r["methods"]["ours"].restore_s is not None
                  and r["methods"]["ours"].restore_s > r["methods"]["dill"].restore_s]
        compared = [r for r in subset if r["methods"]["dill"].restore_s is not None and r["methods"]["ours"].restore_s is not None]
        if compared:
            check(f"restore never slower than dill.load_session {title}", not slower, "; ".join(slower) or f"{len(compared)} notebook(s) compared")
        bigger = [f"{r['notebook']} ({fmt_mb(r['methods']['ours'].bytes)} MB > {fmt_mb(r['methods']['dill'].bytes)} MB)"
                  for r in subset if r["methods"]["dill"].bytes and r["methods"]["ours"].bytes is not None
                  and r["methods"]["ours"].bytes > r["methods"]["dill"].bytes]
        compared = [r for r in subset if r["methods"]["dill"].bytes and r["methods"]["ours"].bytes is not None]
        if compared:
            check(f"bundle never larger than the dill dump {title}", not bigger, "; ".join(bigger) or f"{len(compared)} notebook(s) compared")
    off = []
    for r in rows:
        ck, rs = estimate_ratios(r["methods"]["ours"])
        for name, value in (("checkpoint", ck), ("restore", rs)):
            if value is None or not (1 / TARGET_ESTIMATE_FACTOR <= value <= TARGET_ESTIMATE_FACTOR):
                off.append(f"{r['notebook']} {name} {'-' if value is None else f'{value:.2f}x'}")
    check("estimated checkpoint and restore times within 2x of the measured ones on every notebook", not off,
          "; ".join(off) if off else f"{len(rows)} notebook(s), estimated/measured "
          f"{min(v for r in rows for v in estimate_ratios(r['methods']['ours']) if v):.2f}x to "
          f"{max(v for r in rows for v in estimate_ratios(r['methods']['ours']) if v):.2f}x")
    with_rounds = [r for r in rows if stable(r["methods"]["ours"]) is not None]
    if with_rounds:
        flipped = [r["notebook"] for r in with_rounds if not stable(r["methods"]["ours"])]
        rounds = min(len(r["methods"]["ours"].extra["rounds"]) for r in with_rounds)
        check(f"plan of an unchanged history identical over {rounds} checkpoint/restore rounds", not flipped,
              ", ".join(flipped) if flipped else f"{len(with_rounds)} notebook(s)")
    wrong = [f"{r['notebook']}: {r['methods']['ours'].problem}" for r in rows if not r["methods"]["ours"].correct]
    check("ours correct on every notebook", not wrong, "; ".join(wrong) if wrong else f"{len(rows)} of {len(rows)}")
    lines.append("")
    lines.append("Where the other methods are not correct:")
    for method in ("rerun", "dill", "pickle"):
        failing = [f"{r['notebook']}: {r['methods'][method].problem}" for r in rows if r["methods"][method].correct is False]
        lines.append(f"  {method}: {len(failing)} of {len(rows)} notebooks" + ("" if failing else " (none)"))
        for entry in failing:
            lines.append(f"    - {entry[:260]}")
    return "\n".join(lines), passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated notebook names (default: the whole corpus)")
    parser.add_argument("--skip-huge", action="store_true", help="leave out the 2 GB session")
    parser.add_argument("--store", choices=("local", "s3"), default="local", help="where our bundles go")
    parser.add_argument("--objective", choices=("balanced", "fast-migrate", "fast-restore"), default="balanced",
                        help="the objective of our plans (default: balanced)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="restores (and dill/pickle loads) per notebook; their median is reported (default: 3)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="checkpoint/restore rounds per notebook for the plan-stability check (default: 5; 1: none)")
    parser.add_argument("--corpus", choices=("both", "main", "realworld"), default="both",
                        help="the corpus of tests/corpus, the real-world one (restore beside re-run), or both (default)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (printed) after the run")
    args = parser.parse_args()

    corpus = load_corpus() if args.corpus != "realworld" else []
    realworld, realworld_what = migrate_realworld.corpus() if args.corpus != "main" else ([], "")
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        unknown = wanted - {n.name for n in corpus} - {n.name for n in realworld}
        if unknown:
            parser.error(f"not in the corpus: {', '.join(sorted(unknown))}")
        corpus = [n for n in corpus if n.name in wanted]
        realworld = [n for n in realworld if n.name in wanted]
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.skip_huge:
        corpus = [n for n in corpus if "huge" not in n.tags]

    work = Path(tempfile.mkdtemp(prefix="en-bench-migrate-"))
    s3 = S3Server(work / "s3").start() if args.store == "s3" else None
    saved = dict(os.environ)
    if s3:
        os.environ.update(s3.env)
    jupyter = JupyterServer(work / "server").start()
    os.environ.clear()
    os.environ.update(saved)
    rows = []
    realworld_rows = []
    started = time.perf_counter()
    try:
        for number, notebook in enumerate(corpus, 1):
            print(f"[{number}/{len(corpus)}] {notebook.name}", file=sys.stderr, flush=True)
            folder = stage(notebook, jupyter.root / "work" / notebook.name)
            local_bundle = jupyter.root / "bundles" / notebook.name
            bundle = s3.uri(notebook.name) if s3 else str(local_bundle)
            env = {**(s3.env if s3 else {}), "ELASTIC_NOTEBOOK_DATA_DIR": str(work / "data")}
            if "large" in notebook.tags:
                warm_up(notebook, folder.parent, log)
                folder = stage(notebook, jupyter.root / "work" / notebook.name)  # as it was before the warm-up
            ours, original = run_ours(notebook, folder.parent, jupyter, bundle, env, None if s3 else local_bundle,
                                      args.objective, args.repeat)
            if args.rounds > 1 and original is not None:
                run_rounds(notebook, folder.parent, jupyter, bundle, env, args.objective, args.rounds, ours)
            shutil.rmtree(local_bundle, ignore_errors=True)
            if s3:
                shutil.rmtree(s3.folder / s3.bucket / notebook.name, ignore_errors=True)
            baselines = run_baselines(notebook, folder.parent, original, log, args.repeat)
            state_bytes = next((m.bytes for m in (baselines["dill"], baselines["pickle"]) if m.bytes), None)
            rows.append({"notebook": notebook.name, "tags": notebook.tags, "large": "large" in notebook.tags,
                         "stateBytes": state_bytes, "methods": {"ours": ours, **baselines}})
            shutil.rmtree(folder.parent, ignore_errors=True)
        realworld_rows = migrate_realworld.run(realworld, jupyter, work, run_ours, args.repeat, args.objective, log)
    finally:
        jupyter.stop()
        if s3:
            s3.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    elapsed = time.perf_counter() - started
    passed = True
    if rows:
        passed = report(rows, args, elapsed)
    if realworld:
        print(f"\nRestore beside re-running every cell on {realworld_what}: both from a started kernel, both with the")
        print("session's imports (restore = the CLI's totalMs - kernelStartMs, its parts from the same timings; re-run =")
        print(f"the cell requests in a plain kernel); medians of {args.repeat} run(s); ok = verification.ok and isomorphic.\n")
        print(migrate_realworld.table(realworld_rows, fmt_s, aligned))
        print()
        text, realworld_passed = migrate_realworld.summary(realworld_rows, fmt_s)
        print(text)
        passed = passed and realworld_passed
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"migrate-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"store": args.store, "objective": args.objective, "seconds": elapsed, "passed": passed,
                               "rows": [{**r, "methods": {m: asdict(o) for m, o in r["methods"].items()}} for r in rows],
                               "realworld": [{**r, "ours": asdict(r["ours"])} for r in realworld_rows]},
                              indent=1, default=str))
    print(f"\nResults: {out.relative_to(ROOT)}")
    return 0


def report(rows: list[dict], args: argparse.Namespace, elapsed: float) -> bool:
    """Print the tables and targets of the main corpus; whether every target passed."""
    print(f"\nMigration benchmark: {len(rows)} corpus notebooks, store: {args.store}, objective: {args.objective}, "
          f"{elapsed / 60:.1f} min in all")
    how = next((r["methods"]["ours"].extra.get("restoreTimeIs") for r in rows if r["methods"]["ours"].extra.get("restoreTimeIs")), "-")
    print("Times in seconds (ours: CLI timings; baselines: measured in the kernel; kernel start excluded everywhere:")
    print(f"ours restore = {how} of the CLI's timings); sizes in MB; 'state MB' = the dill dump (or the pickles) of the")
    print("re-run session; ok = isomorphic after restore (ours: and verification.ok); * = holds >= 100 MB of state.\n")
    print(table(rows))
    print("\nEstimated (the plan's) beside measured times, first round; rounds of checkpoint + restore on the unchanged notebook:\n")
    print(estimate_table(rows))
    print()
    text, passed = summary(rows)
    print(text)
    return passed


if __name__ == "__main__":
    sys.exit(main())
