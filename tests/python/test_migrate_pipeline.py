"""Pipelined migration (issue 11) between two real Jupyter servers: the target starts the
restore's kernel and imports the session's modules while the source checkpoints, and each payload
file is sent as soon as the source's agent has written it.

The overlap is proved by what happened, not by how long it took: a session variable whose
fingerprint (taken by the agent inside its ``checkpoint`` call, after the payload files were
handed to the writers and before the call answers, so before any manifest can exist) waits until
a payload of this migration is complete on the target. Sent only after the checkpoint, no payload
could be there: the variable would wait in vain and say so.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from test_migrate import LiveSession, assert_matches_schema, source, target, target_sessions  # noqa: F401
from test_serverext import kernel_client
from test_serverext_checkpoint import ask, run
from state_compare import assert_isomorphic, dump_kernel

# Waits, once armed, until a payload of a migration is complete on the target: same name and size
# as the source's staged file. Its fingerprint goes through __reduce_ex__ (no __dict__ to walk).
WAITER = """import glob as _glob, json as _json, os as _os, time as _time
class Waiter:
    __slots__ = ()
    def __reduce_ex__(self, protocol):
        if _os.path.exists(ARM):
            where = _json.load(open(ARM))
            seen, deadline = None, _time.time() + 60
            while seen is None and _time.time() < deadline:
                for sent in _glob.glob(where['target'] + '/*/payloads/*/g*.pkl'):
                    name = '/'.join(sent.split('/')[-2:])
                    staged = _glob.glob(where['source'] + '/*/payloads/' + name)
                    if staged and _os.path.getsize(staged[0]) == _os.path.getsize(sent):
                        seen = name
                if seen is None:
                    _time.sleep(0.02)
            with open(where['log'], 'a') as log:
                log.write(f'{seen}\\n')
        return (Waiter, ())
waiter = Waiter()"""


def test_the_target_prepares_and_receives_payloads_while_the_source_checkpoints(source, target, tmp_path):
    arm = tmp_path / "armed.json"
    log = tmp_path / "seen.txt"
    cells = [
        "import numpy as np\ndata = np.random.default_rng(3).random(30_000)",
        "table = {'rows': list(range(2000))}",
        f"ARM = {str(arm)!r}\n{WAITER}",
    ]
    live = LiveSession(source, "pipe/pipelined.ipynb", cells)
    target_client = None
    try:
        arm.write_text(json.dumps({
            "source": str(source.data_dir / "outgoing"),
            "target": str(target.data_dir / "incoming"),
            "log": str(log),
        }))
        # The waiter is recomputed on the target (its defining cell re-runs), never copied.
        job = live.migrate(target, marks={"neverCopy": ["waiter"]})
        assert job["state"] == "done", job
        result = job["result"]
        assert_matches_schema("migrate-job-result", result)
        assert result["verification"]["ok"] is True, result["verification"]

        # Inside the source agent's checkpoint call, a payload was already whole on the target.
        first = log.read_text().splitlines()[0]
        assert first != "None", "no payload reached the target while the source checkpointed"
        pipeline = result["pipeline"]
        payloads = [f for f in pipeline["files"] if "/g" in f["path"]]
        assert first.split("/")[-1] in [Path(f["path"]).name for f in payloads]
        assert min(f["receivedAt"] for f in payloads) < pipeline["manifestWrittenAt"]
        assert all(f["writtenAt"] <= pipeline["manifestWrittenAt"] for f in payloads)
        (manifest,) = [f for f in pipeline["files"] if f["path"] == "manifest.json"]
        assert all(f["writtenAt"] <= manifest["writtenAt"] for f in payloads)

        # The target began its kernel before the checkpoint began (both on this machine's clock),
        # and the restore ran in that kernel.
        phases = pipeline["phases"]
        assert phases["prepare"]["startAt"] <= phases["checkpoint"]["startAt"]
        assert pipeline["preparedKernel"] is True
        assert pipeline["overlapMs"] > 0
        messages = [step["message"] for step in job["steps"]]
        assert f"{target.url}: the kernel was started and its modules imported while the source checkpointed" in messages
        (session,) = [s for s in target_sessions(target) if s["path"] == "pipe/pipelined.ipynb"]
        assert session["kernel"]["id"] == result["kernelId"]
        assert session["id"] == result["sessionId"]

        target_client = kernel_client(target, result["kernelId"])
        assert ask(target_client, "'numpy' in __import__('sys').modules") == "True"
        arm.unlink()  # the dumps below fingerprint nothing, but the waiter must never wait again
        assert_isomorphic(dump_kernel(live.client), dump_kernel(target_client), "source vs target")
    finally:
        if target_client is not None:
            target_client.stop_channels()
        live.close()


def wait_prepared(target, transfer_id: str) -> dict:
    deadline = time.time() + 60
    while time.time() < deadline:
        status = target.request("GET", f"/elastic-notebook/api/incoming/{transfer_id}").json()
        if status.get("prepare", {}).get("state") != "starting":
            return status
        time.sleep(0.1)
    raise AssertionError(f"the session of transfer {transfer_id} was never prepared")


def test_a_prepared_session_is_ended_when_its_transfer_is_cancelled(target):
    notebook = target.root / "work" / "prepared.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    resp = target.request("POST", "/elastic-notebook/api/incoming", {
        "files": [],
        "open": True,
        "prepare": {"notebookPath": "prepared.ipynb", "kernelName": "python3", "modules": ["json"],
                    "codes": ["import json"]},
    })
    assert resp.status == 201, resp.body
    transfer_id = resp.json()["transferId"]
    status = wait_prepared(target, transfer_id)
    assert status["prepare"] == {"state": "ready", "error": None}
    assert status["open"] is True
    (session,) = [s for s in target_sessions(target) if s["path"] == "prepared.ipynb"]
    client = kernel_client(target, session["kernel"]["id"])
    try:
        # The agent is loaded in the prepared kernel.
        assert run(client, "import sys\nagent = '_elastic_notebook_agent' in sys.modules", silent=True)["status"] == "ok"
        assert ask(client, "agent") == "True"
    finally:
        client.stop_channels()

    resp = target.request("DELETE", f"/elastic-notebook/api/incoming/{transfer_id}")
    assert resp.status == 200, resp.body
    assert [s for s in target_sessions(target) if s["path"] == "prepared.ipynb"] == []
    assert target.request("GET", f"/elastic-notebook/api/incoming/{transfer_id}").status == 404
