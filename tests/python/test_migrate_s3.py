"""Migration through a shared S3-compatible store (issue 11): two real Jupyter servers whose
checkpoint roots are in the same bucket of one s3rver (started here) migrate without a direct
transfer: the source checkpoints into the store, the target restores from it. The acceptance
scenario (numpy, pandas, scikit-learn, notebook functions and classes, aliases) must hold as
for the direct transfer; the bundle in transit is gone afterwards. Servers of different stores
fall back to the direct transfer, and the target's route refuses any bundle outside its store."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import S3Server  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402
from migration_checks import assert_acceptance  # noqa: E402
from test_migrate import CELLS, LiveSession, assert_matches_schema, assert_source_usable, target_sessions  # noqa: E402
from test_serverext_checkpoint import ask, wait_job  # noqa: E402

BUCKET = "shared"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    server = S3Server(tmp_path_factory.mktemp("s3") / "data", bucket=BUCKET).start()
    yield server
    server.stop()


def s3_server(tmp_path_factory, s3: S3Server, name: str, root: str) -> JupyterServer:
    """A Jupyter server checkpointing into ``root`` of the test's S3 store."""
    return JupyterServer(
        tmp_path_factory.mktemp(name),
        env={**s3.env, "ELASTIC_NOTEBOOK_CHUNK_BYTES": "16384"},
        extra_args=[f"--ElasticNotebookApp.checkpoint_root={root}"],
    ).start()


@pytest.fixture(scope="module")
def source(tmp_path_factory, s3):
    srv = s3_server(tmp_path_factory, s3, "source", f"s3://{BUCKET}/source-root")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def target(tmp_path_factory, s3):
    srv = s3_server(tmp_path_factory, s3, "target", f"s3://{BUCKET}/target-root")
    yield srv
    srv.stop()


def store_objects(s3: S3Server, prefix: str) -> list[str]:
    """Keys under ``prefix`` in the bucket (s3rver keeps each object as a file)."""
    folder = s3.folder / BUCKET / prefix
    suffix = "._S3rver_object"
    return sorted(
        str(p.relative_to(s3.folder / BUCKET))[: -len(suffix)] for p in folder.rglob(f"*{suffix}")
    ) if folder.exists() else []


def store_log(s3: S3Server) -> str:
    """What s3rver logged so far, without colours: one line per object stored, read or deleted."""
    s3._log.flush()
    return re.sub(r"\x1b\[[0-9;]*m", "", Path(s3._log.name).read_text(errors="replace"))


def test_machine_reports_the_checkpoint_store_never_credentials(source, s3):
    machine = source.request("GET", "/elastic-notebook/api/machine").json()
    assert machine["checkpointStore"] == f"s3://127.0.0.1:{s3.port}/{BUCKET}"
    assert "S3RVER" not in json.dumps(machine)


def test_migrate_through_the_shared_store(source, target, s3):
    live = LiveSession(source, "proj/shared.ipynb", CELLS)
    try:
        logged_before = len(store_log(s3))
        resp = source.request(
            "POST",
            f"/elastic-notebook/api/kernels/{live.kernel_id}/migrate",
            {"targetUrl": target.url, "targetToken": target.token, "notebookPath": live.path, "kernelName": "python3"},
        )
        assert resp.status == 202, resp.body
        job = wait_job(source, resp.json()["jobId"])
        assert job["state"] == "done", job
        assert_matches_schema("job", job)
        result = job["result"]
        assert_matches_schema("migrate-job-result", result)
        assert result["transport"] == "shared-store"
        assert result["sourceStopped"] is False
        assert result["verification"]["ok"] is True, result["verification"]
        assert result["timings"]["transferMs"] == 0
        messages = [step["message"] for step in job["steps"]]
        store = f"s3://127.0.0.1:{s3.port}/{BUCKET}"
        assert any(f"via the shared store {store}" in m for m in messages), messages
        assert not any(m.startswith("sending the checkpoint") for m in messages), messages

        # The bundle went through the bucket: written under the source root's migrations/ prefix,
        # read back (by the target), and removed once the migration ended.
        logged = store_log(s3)[logged_before:]
        stored = [k for k in re.findall(rf'Stored object "([^"]+)" in bucket "{BUCKET}"', logged)]
        assert stored and all(k.startswith("source-root/migrations/") for k in stored), stored
        assert any(k.endswith("/manifest.json") for k in stored) and any("/payloads/" in k for k in stored), stored
        for key in stored:
            assert f"{key}?x-id=GetObject 200" in logged, key  # read back by the target
        assert store_objects(s3, "source-root/migrations") == []
        # ... and never through the target's incoming folder (no transfer was ever announced).
        assert not (target.data_dir / "incoming").exists()

        kernel_id = result["kernelId"]
        (session,) = [s for s in target_sessions(target) if s["path"] == live.path]
        assert (session["id"], session["kernel"]["id"]) == (result["sessionId"], kernel_id)
        assert (target.root / "work" / "proj" / "shared.ipynb").read_text() == (
            source.root / "work" / "proj" / "shared.ipynb"
        ).read_text()
        assert_acceptance(live, target, kernel_id)
        # The target's own checkpoint went to its own root in the same bucket.
        assert any(k.endswith("manifest.json") for k in store_objects(s3, "target-root"))
        assert_source_usable(live)
        target.request("DELETE", f"/api/sessions/{result['sessionId']}")
    finally:
        live.close()


def test_a_failed_restore_leaves_nothing_in_the_store_nor_on_the_target(source, target, s3):
    live = LiveSession(source, "fails.ipynb", ["shared = [1, 2, 3]"])
    try:
        before = {s["id"] for s in target_sessions(target)}
        # The target cannot start that kernel: the bundle is in the store, the restore fails.
        job = live.migrate(target, kernelName="no-such-kernel")
        assert job["state"] == "failed", job
        assert "no kernel 'no-such-kernel'" in job["error"] and "this session is untouched" in job["error"], job["error"]
        assert any("via the shared store" in s["message"] for s in job["steps"]), job["steps"]
        assert store_objects(s3, "source-root/migrations") == []
        assert {s["id"] for s in target_sessions(target)} == before
        assert not (target.root / "work" / "fails.ipynb").exists()
        assert_source_usable(live)
    finally:
        live.close()


def test_a_cancelled_migration_leaves_nothing_in_the_store_nor_on_the_target(source, target, s3):
    # `slow` is never copied: its 6 s cell re-runs on the target, long enough to cancel meanwhile.
    live = LiveSession(source, "cancel.ipynb", ["shared = [1, 2, 3]", "import time\ntime.sleep(6)\nslow = len(shared)"])
    try:
        before = {s["id"] for s in target_sessions(target)}
        resp = source.request(
            "POST", f"/elastic-notebook/api/kernels/{live.kernel_id}/migrate",
            {"targetUrl": target.url, "targetToken": target.token, "notebookPath": live.path,
             "marks": {"neverCopy": ["slow"]}},
        )
        assert resp.status == 202, resp.body
        job_id = resp.json()["jobId"]
        deadline = time.monotonic() + 120
        job: dict = {"steps": [], "state": "running"}
        while not any(s["message"].startswith(f"{target.url}: ") for s in job["steps"]):
            assert time.monotonic() < deadline and job["state"] == "running", job
            job = source.request("GET", f"/elastic-notebook/api/jobs/{job_id}").json()
            time.sleep(0.1)
        assert store_objects(s3, "source-root/migrations")  # the target is reading the bundle there
        assert source.request("POST", f"/elastic-notebook/api/jobs/{job_id}/cancel").status == 200
        job = wait_job(source, job_id)
        assert job["state"] == "cancelled", job
        assert "this session is untouched" in job["error"], job["error"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and {s["id"] for s in target_sessions(target)} != before:
            time.sleep(0.2)
        assert {s["id"] for s in target_sessions(target)} == before
        assert store_objects(s3, "source-root/migrations") == []
        assert not (target.root / "work" / "cancel.ipynb").exists()
        assert ask(live.client, "slow") == "3"
    finally:
        live.close()


def test_different_stores_fall_back_to_the_direct_transfer(source, s3, tmp_path_factory):
    elsewhere = s3_server(tmp_path_factory, s3, "elsewhere", "s3://another-bucket/root")
    live = LiveSession(source, "fallback.ipynb", ["import numpy as np\nvalues = np.arange(5000)", "total = int(values.sum())"])
    try:
        machine = elsewhere.request("GET", "/elastic-notebook/api/machine").json()
        assert machine["checkpointStore"] == f"s3://127.0.0.1:{s3.port}/another-bucket"
        job = live.migrate(elsewhere)
        assert job["state"] == "done", job
        assert job["result"]["transport"] == "direct"
        assert job["result"]["verification"]["ok"] is True
        messages = [step["message"] for step in job["steps"]]
        assert any(m.startswith(f"sending the checkpoint to {elsewhere.url} (direct transfer)") for m in messages)
        assert not any("shared store" in m for m in messages), messages
        assert store_objects(s3, "source-root/migrations") == []
        assert (elsewhere.data_dir / "incoming").exists()  # the direct transfer's folder was used
    finally:
        live.close()
        elsewhere.stop()


def test_the_target_restores_only_bundles_inside_its_own_store(target, s3, tmp_path_factory):
    def restore_shared(server: JupyterServer, body: dict):
        return server.request("POST", "/elastic-notebook/api/incoming/restore-shared", body)

    before = {s["id"] for s in target_sessions(target)}
    for body, message in [
        ({"uri": f"s3://other-bucket/x/migrations/a", "notebookPath": "a.ipynb"},
         f"uri: s3://other-bucket/x/migrations/a is not in this server's checkpoint store (s3://{BUCKET}/target-root); "
         "send the bundle directly"),
        ({"uri": f"s3://{BUCKET}", "notebookPath": "a.ipynb"},
         f"uri: s3://{BUCKET} is not in this server's checkpoint store (s3://{BUCKET}/target-root); send the bundle directly"),
        ({"uri": "/etc/passwd", "notebookPath": "a.ipynb"}, "uri: must be an s3:// URI"),
        ({"uri": f"s3://{BUCKET}/x", "notebookPath": "../a.ipynb"},
         'notebookPath: must be a path relative to the Jupyter root, got "../a.ipynb"'),
        ({"uri": f"s3://{BUCKET}/x", "notebookPath": "a.ipynb", "trust": True}, "Unrecognized key"),
    ]:
        resp = restore_shared(target, body)
        assert resp.status == 400, (body, resp.body)
        assert message in resp.json()["error"], resp.json()
    assert {s["id"] for s in target_sessions(target)} == before

    # A server whose checkpoints are in a local folder takes no bundle from any store.
    local = JupyterServer(tmp_path_factory.mktemp("local-root"), env=s3.env).start()
    try:
        resp = restore_shared(local, {"uri": f"s3://{BUCKET}/target-root/x", "notebookPath": "a.ipynb"})
        assert resp.status == 400
        assert resp.json()["error"] == (
            "uri: this server's checkpoints are in a local folder, not in an S3 store; send the bundle directly"
        )
        assert local.request("GET", "/elastic-notebook/api/machine").json()["checkpointStore"] is None
    finally:
        local.stop()
