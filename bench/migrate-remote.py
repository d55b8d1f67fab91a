"""Migrating to a second machine over a limited link (issue 11): the corpus notebooks holding
>= 100 MB of state, migrated from a source Jupyter server to a target one running in two network
namespaces (tests/python/netns.py) whose link is limited with tc to 1 Gbit/s, 100 Mbit/s and
10 Mbit/s, with five methods side by side in one run:

    npm run bench -- migrate-remote                                  # 21, 22, 23 (not the 2 GB one)
    npm run bench -- migrate-remote --only 21_simulation --bandwidths 100mbit,10mbit
    npm run bench -- migrate-remote --huge                           # with 24_session_2gb too

Per notebook and bandwidth (the data files are staged on both machines; the source session runs
every cell once, recorded, before the click):

* **ours**: the migrate route (``POST /api/kernels/:id/migrate``, as the sidebar's Migrate button),
  the plan priced for the target (bandwidth measured by earlier transfers to it, or probed by the
  first one; CPU ratio probed). End to end = the job's ``timings.totalMs`` (check, plan,
  checkpoint, send, notebook copy, restore into a new target session, verification). Bytes = the
  job's ``bytes``. Downtime = ``checkpointMs + restoreMs``: the source kernel is busy while it
  serializes, and the target session is not usable until restored and verified; during the
  transfer the source kernel is idle and usable (work done then is not carried over, as for
  every method here).
* **copy-everything**: the same route with every variable marked "always copy" (the planner's
  marks), so every group is serialized and sent.
* **re-run-everything**: the same route with every variable marked "never copy", so the target
  re-runs every execution that produced the session (the other trivial cut of the same graph:
  with copy-everything, the two plans ours chooses between at its extremes, measured the same
  way from the click to a verified target).
* **plain re-run** (for reference, not in the targets): the notebook run cell by cell in a fresh
  kernel of a new session on the target, nothing recorded, checkpointed or verified. End to end =
  downtime = the session's start plus every cell; bytes = the notebook file.
* **dill**: ``dill.dump_session`` in a plain source kernel that ran the cells (not timed), the file
  sent through the same limited path with the incoming-transfer routes (bench/migrate_remote_send.py
  run inside the source's namespace), ``dill.load_session`` in a fresh kernel of a new session on
  the target. End to end = dump + send + session start + load; downtime = dump + session start +
  load; bytes = the file.

When the link's rate changes, the source's measured bandwidth log is cleared (a different link:
the first migration to it probes, later ones use what transfers measured).

Targets (printed PASS/FAIL): ours never slower end to end than the better of copy-everything and
re-run-everything at any bandwidth (per notebook; both through the route, so that the target
judges the plan, not the machinery around it); ours' median at most 0.5x dill's at 100 Mbit/s;
ours' bytes fall as the bandwidth falls (per notebook: never more than 1% above the next faster
link's, and lower at the slowest link than at the fastest). Results also go to ``bench/results/migrate-remote-<time>.json``.

Where namespaces cannot be made (not root, no ``ip``), the run goes over loopback without a limit
and says so (the bandwidth columns are then labels only).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "corpus"))
sys.path.insert(0, str(ROOT / "tests" / "python"))

from harness import load_corpus, stage  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402
from migrate import aligned, fmt_mb, fmt_s  # noqa: E402
from migrate_baselines import INSTALL  # noqa: E402
from netns import NamespacePair, parse_rate  # noqa: E402
from test_serverext import kernel_client  # noqa: E402
from test_serverext_checkpoint import wait_job  # noqa: E402

RESULTS = ROOT / "bench" / "results"
METHODS = ("ours", "copy", "rerun", "plain", "dill")
TITLES = {"ours": "ours", "copy": "copy-everything", "rerun": "re-run-everything", "plain": "plain re-run",
          "dill": "dill"}
ROUTE_METHODS = ("ours", "copy", "rerun")
TARGET_VS_DILL_AT_100 = 0.5
CELL_TIMEOUT = 1800
BYTES_TOLERANCE = 0.01


def log(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def execute(client, code: str, silent: bool = False) -> dict:
    reply = client.execute_interactive(code, silent=silent, store_history=not silent, timeout=CELL_TIMEOUT,
                                       output_hook=lambda m: None)
    return reply["content"]


def connect(server: JupyterServer, kernel_id: str, attempts: int = 5):
    """A client of the kernel once it answers. On a loaded 2-core machine a kernel still importing
    misses the client's first heartbeats ("Kernel died before replying to kernel_info") although
    it is starting fine: try again, while the server still lists it."""
    for attempt in range(attempts):
        try:
            return kernel_client(server, kernel_id)
        except RuntimeError:
            if attempt == attempts - 1 or server.request("GET", f"/api/kernels/{kernel_id}").status != 200:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


class Session:
    """A notebook session on a server, with a kernel client over the control path."""

    def __init__(self, server: JupyterServer, path: str):
        self.server, self.path = server, path
        started = time.perf_counter()
        resp = server.request("POST", "/api/sessions", {"path": path, "type": "notebook", "kernel": {"name": "python3"}})
        assert resp.status == 201, resp.body
        self.id, self.kernel_id = resp.json()["id"], resp.json()["kernel"]["id"]
        self.client = connect(server, self.kernel_id)
        self.start_s = time.perf_counter() - started

    def run_cells(self, cells, record: bool) -> float:
        """Run every cell (recorded by the agent when ``record``); the seconds they took."""
        if record:
            code = self.server.request("GET", f"/elastic-notebook/api/kernels/{self.kernel_id}/bootstrap").json()["code"]
            assert execute(self.client, code, silent=True)["status"] == "ok"
        started = time.perf_counter()
        for cell in cells:
            source = f"%%intercept --cell-index {cell.index} --cell-id cell-{cell.index}\n{cell.source}" if record else cell.source
            execute(self.client, source)
        return time.perf_counter() - started

    def evaluate(self, expression: str) -> str:
        reply = self.client.execute_interactive("", silent=True, user_expressions={"v": expression},
                                                timeout=CELL_TIMEOUT, output_hook=lambda m: None)
        value = reply["content"]["user_expressions"]["v"]
        if value["status"] != "ok":
            raise RuntimeError(f"{expression}: {value.get('ename')}: {value.get('evalue')}")
        return value["data"]["text/plain"]

    def close(self) -> None:
        self.client.stop_channels()
        self.server.request("DELETE", f"/api/sessions/{self.id}")


def notebook_text(cells) -> str:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [{"cell_type": "code", "id": f"cell-{c.index}", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": c.source} for c in cells],
    }, indent=1)


def prepare(notebook, server: JupyterServer, folder: str) -> str:
    """Stage the notebook's data in ``server``'s root under ``folder``; the notebook's path."""
    where = server.root / "work" / folder
    stage(notebook, where)
    path = f"{folder}/{notebook.path.name}"
    (server.root / "work" / path).write_text(notebook_text(notebook.cells))
    return path


def migrate(source: JupyterServer, session: Session, target: JupyterServer, target_url: str, marks: dict | None) -> dict:
    body = {"targetUrl": target_url, "targetToken": target.token, "notebookPath": session.path,
            "kernelName": "python3", "overwrite": True, **({"marks": marks} if marks else {})}
    resp = source.request("POST", f"/elastic-notebook/api/kernels/{session.kernel_id}/migrate", body)
    assert resp.status == 202, resp.body
    return wait_job(source, resp.json()["jobId"], timeout=3600)


def end_target_session(target: JupyterServer, session_id: str | None) -> None:
    if session_id:
        target.request("DELETE", f"/api/sessions/{session_id}")


def run_route(source, session, target, target_url, marks) -> dict:
    """Ours or copy-everything through the migrate route."""
    job = migrate(source, session, target, target_url, marks)
    if job["state"] != "done":
        return {"ok": False, "problem": job.get("error")}
    result = job["result"]
    end_target_session(target, result.get("sessionId"))
    timings = result["timings"]
    return {
        "ok": bool(result["verification"]["ok"]),
        "e2e_s": timings["totalMs"] / 1000,
        "bytes": result["bytes"],
        "downtime_s": (timings["checkpointMs"] + timings["restoreMs"]) / 1000,
        "timings": timings,
        "pricing": result.get("pricing"),
        "copy": result["plan"]["copy"],
        "rerun": result["plan"]["rerun"],
        "groups": [g["members"] for g in result["plan"].get("groups", [])],
    }


def run_rerun(notebook, target: JupyterServer, path: str) -> dict:
    started = time.perf_counter()
    session = Session(target, path)
    try:
        cells_s = session.run_cells(notebook.cells, record=False)
    finally:
        session.close()
    e2e = time.perf_counter() - started
    size = len(notebook_text(notebook.cells).encode())
    return {"ok": True, "e2e_s": e2e, "bytes": size, "downtime_s": e2e, "cells_s": cells_s, "start_s": session.start_s}


def in_kernel(session: Session, function: str, argument: str) -> dict:
    assert execute(session.client, INSTALL, silent=True)["status"] == "ok"
    return json.loads(ast.literal_eval(session.evaluate(f"__import__('sys').modules['_en_bench'].{function}({argument!r})")))


def run_dill(notebook, source: JupyterServer, target: JupyterServer, target_url: str, path: str,
             pair: NamespacePair | None) -> dict:
    plain = Session(source, path)
    try:
        plain.run_cells(notebook.cells, record=False)
        file = source.root / "work" / Path(path).parent / "session.dill"
        dumped = in_kernel(plain, "dill_dump", str(file))
    finally:
        plain.close()
    if not dumped["ok"]:
        return {"ok": False, "problem": f"dump failed: {dumped['error']}"}
    prefix = pair.exec_prefix("a") if pair else []
    proc = subprocess.run([*prefix, sys.executable, str(ROOT / "bench" / "migrate_remote_send.py"), target_url, str(file)],
                          capture_output=True, text=True, env=dict(os.environ, EN_TARGET_TOKEN=target.token))
    file.unlink(missing_ok=True)
    if proc.returncode != 0:
        return {"ok": False, "problem": f"send failed: {proc.stderr.strip()[-300:]}"}
    sent = json.loads(proc.stdout)
    received = target.data_dir / "incoming" / sent["transferId"] / file.name
    loaded_session = Session(target, path)
    try:
        loaded = in_kernel(loaded_session, "dill_load", str(received))
    finally:
        loaded_session.close()
        target.request("DELETE", f"/elastic-notebook/api/incoming/{sent['transferId']}")
    if not loaded["ok"]:
        return {"ok": False, "problem": f"load failed: {loaded['error']}"}
    downtime = dumped["seconds"] + loaded_session.start_s + loaded["seconds"]
    return {"ok": True, "e2e_s": downtime + sent["seconds"], "bytes": sent["bytes"], "downtime_s": downtime,
            "dump_s": dumped["seconds"], "send_s": sent["seconds"], "load_s": loaded["seconds"],
            "start_s": loaded_session.start_s}


def run_notebook(notebook, source, target, target_url, pair, methods, label) -> dict:
    folder = f"{notebook.name}-{label}"
    path = prepare(notebook, source, folder)
    prepare(notebook, target, folder)
    results: dict[str, dict] = {}
    if any(m in methods for m in ROUTE_METHODS):
        log(f"{notebook.name} @ {label}: recorded session on the source")
        session = Session(source, path)
        try:
            session.run_cells(notebook.cells, record=True)
            log(f"{notebook.name} @ {label}: ours (migrate route)")
            results["ours"] = run_route(source, session, target, target_url, None)
            # The session's variables, from ours' plan: the two trivial cuts mark all of them.
            names = sorted({m for g in results["ours"].get("groups", []) for m in g})
            if "copy" in methods:
                log(f"{notebook.name} @ {label}: copy-everything ({len(names)} variables marked always copy)")
                marks = {"neverRerun": {"cellIds": [], "cellIndices": []}, "alwaysCopy": names, "neverCopy": []}
                results["copy"] = run_route(source, session, target, target_url, marks)
            if "rerun" in methods:
                log(f"{notebook.name} @ {label}: re-run-everything ({len(names)} variables marked never copy)")
                marks = {"neverRerun": {"cellIds": [], "cellIndices": []}, "alwaysCopy": [], "neverCopy": names}
                results["rerun"] = run_route(source, session, target, target_url, marks)
        finally:
            session.close()
        if "ours" not in methods:
            results.pop("ours")
    if "plain" in methods:
        log(f"{notebook.name} @ {label}: plain re-run on the target")
        results["plain"] = run_rerun(notebook, target, path)
    if "dill" in methods:
        log(f"{notebook.name} @ {label}: dill dump, send, load")
        results["dill"] = run_dill(notebook, source, target, target_url, path, pair)
    return results


def clear_bandwidth_log(server: JupyterServer) -> None:
    (server.data_dir / "bandwidth.json").unlink(missing_ok=True)


# -- report -----------------------------------------------------------------------------------------


def cell(result: dict | None, key: str) -> str:
    if not result:
        return "-"
    if not result.get("ok"):
        return "FAIL"
    return fmt_mb(result[key]) if key == "bytes" else fmt_s(result[key])


def ratio(a: dict | None, b: dict | None) -> str:
    if not a or not b or not a.get("ok") or not b.get("ok"):
        return "-"
    return f"{a['e2e_s'] / b['e2e_s']:.2f}x"


def table(rows: list[dict], methods: list[str]) -> str:
    header = ["notebook", "link"]
    for m in methods:
        header += [f"{TITLES[m]} s", "MB", "down s"]
    header += ["ours/copy", "ours/rerun", "ours/dill", "ours copies"]
    lines = [tuple(header)]
    for row in rows:
        r = row["results"]
        line = [row["notebook"], row["bandwidth"]]
        for m in methods:
            line += [cell(r.get(m), "e2e_s"), cell(r.get(m), "bytes"), cell(r.get(m), "downtime_s")]
        ours = r.get("ours") or {}
        line += [ratio(ours, r.get("copy")), ratio(ours, r.get("rerun")), ratio(ours, r.get("dill")),
                 ",".join(ours.get("copy", [])) or "-" if ours.get("ok") else "-"]
        lines.append(tuple(line))
    return aligned(lines)


def medians(rows: list[dict], bandwidths: list[str], methods: list[str]) -> str:
    header = ["median", *[f"{TITLES[m]} s" for m in methods], *[f"{TITLES[m]} MB" for m in methods],
              *[f"{TITLES[m]} down s" for m in methods]]
    lines = [tuple(header)]
    for bw in bandwidths:
        at = [r["results"] for r in rows if r["bandwidth"] == bw]
        line = [bw]
        for key in ("e2e_s", "bytes", "downtime_s"):
            for m in methods:
                values = [x[m][key] for x in at if x.get(m, {}).get("ok")]
                value = statistics.median(values) if values else None
                line.append(fmt_mb(value) if key == "bytes" else fmt_s(value))
        lines.append(tuple(line))
    return aligned(lines)


def check_targets(rows: list[dict], bandwidths: list[str]) -> list[tuple[str, bool | None, str]]:
    checks = []
    # 1. Never slower than the better of copy-everything and re-run-everything.
    worst = []
    for row in rows:
        r = row["results"]
        ours, copy, rerun = r.get("ours"), r.get("copy"), r.get("rerun")
        if not (ours and ours.get("ok")):
            worst.append((row["notebook"], row["bandwidth"], "ours failed"))
            continue
        better = min((x["e2e_s"] for x in (copy, rerun) if x and x.get("ok")), default=None)
        if better is not None and ours["e2e_s"] > better:
            worst.append((row["notebook"], row["bandwidth"], f"{ours['e2e_s']:.1f} s > {better:.1f} s"))
    checks.append(("ours never slower than min(copy-everything, re-run-everything)", not worst,
                   "; ".join(f"{n} @ {b}: {why}" for n, b, why in worst) or "every notebook and bandwidth"))
    # 2. Median at most 0.5x dill's at 100 Mbit/s.
    at100 = [r["results"] for r in rows if parse_rate(r["bandwidth"]) == 100_000_000]
    ours100 = [x["ours"]["e2e_s"] for x in at100 if x.get("ours", {}).get("ok")]
    dill100 = [x["dill"]["e2e_s"] for x in at100 if x.get("dill", {}).get("ok")]
    if ours100 and dill100:
        value = statistics.median(ours100) / statistics.median(dill100)
        checks.append((f"median ours <= {TARGET_VS_DILL_AT_100}x dill at 100 Mbit/s", value <= TARGET_VS_DILL_AT_100,
                       f"{value:.2f}x ({statistics.median(ours100):.1f} s vs {statistics.median(dill100):.1f} s)"))
    else:
        checks.append((f"median ours <= {TARGET_VS_DILL_AT_100}x dill at 100 Mbit/s", None, "not measured in this run"))
    # 3. Copied bytes fall as the bandwidth falls.
    order = sorted(bandwidths, key=parse_rate, reverse=True)
    problems, measured = [], 0
    for name in sorted({r["notebook"] for r in rows}):
        sent = [next((r["results"].get("ours", {}).get("bytes") for r in rows
                      if r["notebook"] == name and r["bandwidth"] == bw and r["results"].get("ours", {}).get("ok")), None)
                for bw in order]
        sent = [s for s in sent if s is not None]
        if len(sent) < 2:
            continue
        measured += 1
        # Never more than 1% above the faster link's (a plan copying the same groups sends a manifest
        # and history a few hundred bytes apart), and less at the slowest link than at the fastest.
        if any(later > earlier * (1 + BYTES_TOLERANCE) for earlier, later in zip(sent, sent[1:])) or not sent[-1] < sent[0]:
            problems.append(f"{name}: {' -> '.join(fmt_mb(s) for s in sent)} MB")
    checks.append(("ours' bytes fall as the bandwidth falls", (not problems) if measured else None,
                   "; ".join(problems) or (f"{measured} notebook(s)" if measured else "needs two bandwidths")))
    return checks


def report(rows: list[dict], bandwidths: list[str], methods: list[str]) -> list[tuple[str, bool | None, str]]:
    """Print the per-notebook table, the medians and the targets; returns the targets' checks."""
    print()
    print(table(rows, methods))
    print()
    print(medians(rows, bandwidths, methods))
    print()
    checks = check_targets(rows, bandwidths)
    for title, ok, detail in checks:
        print(f"{ {True: 'PASS', False: 'FAIL', None: 'N/A '}[ok] }  {title}: {detail}")
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated notebook names (default: every >= 100 MB one but the 2 GB session)")
    parser.add_argument("--huge", action="store_true", help="include 24_session_2gb (a 2 GB session: hours at 10 Mbit/s)")
    parser.add_argument("--bandwidths", default="1gbit,100mbit,10mbit", help="tc rates of the link (default %(default)s)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"subset of {','.join(METHODS)}")
    parser.add_argument("--report", metavar="JSON", help="print the tables and targets of a saved (or interrupted) run")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    bandwidths = [b for b in args.bandwidths.split(",") if b]
    if args.report:
        rows = json.loads(Path(args.report).read_text())["rows"]
        report(rows, [b for b in bandwidths if any(r["bandwidth"] == b for r in rows)], methods)
        return 0
    for b in bandwidths:
        parse_rate(b)
    wanted = set(args.only.split(",")) if args.only else None
    notebooks = [n for n in load_corpus() if "large" in n.tags and (wanted is None or n.name in wanted)
                 and (wanted is not None or args.huge or "huge" not in n.tags)]
    if not notebooks:
        print("no corpus notebook matches", file=sys.stderr)
        return 2

    pair, why_not = NamespacePair.create()
    started = time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"migrate-remote-{time.strftime('%Y%m%d-%H%M%S')}.json"
    rows: list[dict] = []
    servers: list[JupyterServer] = []
    scratch = Path(tempfile.mkdtemp(prefix="en-bench-remote-"))
    try:
        if pair is None:
            print(f"network namespaces cannot be made here ({why_not}): loopback, NO bandwidth limit", flush=True)
        else:
            print(f"source in {pair.namespace('a')}, target in {pair.namespace('b')}; tc tbf on the veth pair", flush=True)
        source = JupyterServer(scratch / "source", **(pair.server_args("a") if pair else {}))
        target = JupyterServer(scratch / "target", **(pair.server_args("b") if pair else {}))
        for server in (source, target):
            server.root.mkdir(parents=True)
            servers.append(server.start(timeout=120))
        target_url = pair.data_url("b", target.port) if pair else target.url
        for bw in bandwidths:
            if pair is not None:
                pair.limit(bw)
            clear_bandwidth_log(source)
            for notebook in notebooks:
                results = run_notebook(notebook, source, target, target_url, pair, methods, bw)
                rows.append({"notebook": notebook.name, "bandwidth": bw, "results": results})
                # Kept as it goes: an interrupted run keeps the rows it finished.
                out.write_text(json.dumps({"rows": rows, "partial": True}, indent=1))
                log(f"{notebook.name} @ {bw}: " + ", ".join(
                    f"{m} {r['e2e_s']:.1f} s" if r.get("ok") else f"{m} FAIL ({r.get('problem')})" for m, r in results.items()))
    finally:
        for server in servers:
            server.stop()
        if pair is not None:
            pair.teardown()

    checks = report(rows, bandwidths, methods)
    total = time.perf_counter() - started
    print(f"\n{len(rows)} run(s) in {total / 60:.1f} min; namespaces: {'yes' if pair else f'no ({why_not})'}")
    out.write_text(json.dumps({"rows": rows, "checks": checks, "seconds": total, "namespaces": pair is not None}, indent=1))
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
