"""Migration faults (issue 11), each on real Jupyter servers: a module the session uses missing on
the target (named, with the variables that need it), the target's disk full (checked before the
transfer, and a write running out of space during it), and a cancel at every step of a migration.
Each asserts a clear message, a source session that still holds its variables and runs cells, and
nothing left on the target (no notebook, no incoming transfer, no session or kernel).

The other faults (refused token, target down, notebook in the way, cut transfer, target kernel
killed during the restore) are in test_migrate.py."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time

import pytest

from jupyter_server_process import JupyterServer
# The module's two servers: the source sends in 16 KiB chunks (a transfer of a few MB lasts).
from test_migrate import LiveSession, incoming_left, source, target, target_sessions  # noqa: F401
from test_serverext import kernel_client
from test_serverext_checkpoint import ask, run, wait_job


def target_kernels(target: JupyterServer) -> set[str]:
    resp = target.request("GET", "/api/kernels")
    assert resp.status == 200, resp.body
    return {k["id"] for k in resp.json()}


class TargetState:
    """What the target holds before a migration, to compare with after it failed."""

    def __init__(self, target: JupyterServer):
        self.target = target
        self.sessions = {s["id"] for s in target_sessions(target)}
        self.kernels = target_kernels(target)

    def assert_untouched(self, notebook: str, kept: bool = False) -> None:
        """Nothing new on the target; the notebook there only when it was there before (``kept``).
        The source reports a cancel at once, the target's job stops at its next step and then ends
        its session and removes the transfer: that is waited for (30 s at most)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            {s["id"] for s in target_sessions(self.target)} != self.sessions
            or target_kernels(self.target) != self.kernels
            or incoming_left(self.target)
        ):
            time.sleep(0.2)
        assert {s["id"] for s in target_sessions(self.target)} == self.sessions
        assert target_kernels(self.target) == self.kernels
        assert incoming_left(self.target) == []
        assert (self.target.root / "work" / notebook).exists() == kept


def outgoing_left(source: JupyterServer) -> list[str]:
    folder = source.data_dir / "outgoing"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_runs(live: LiveSession, expression: str, expected: str) -> None:
    """A new cell runs on the source and sees its variables."""
    reply = run(live.client, f"%%intercept --cell-index 98\nafter_fault = {expression}")
    assert reply["status"] == "ok", reply
    assert ask(live.client, "after_fault") == expected


def start_migration(live: LiveSession, target: JupyterServer, **extra) -> str:
    resp = live.server.request(
        "POST", f"/elastic-notebook/api/kernels/{live.kernel_id}/migrate",
        {"targetUrl": target.url, "targetToken": target.token, "notebookPath": live.path, "kernelName": "python3", **extra},
    )
    assert resp.status == 202, resp.body
    return resp.json()["jobId"]


# -- a module the session uses is missing on the target ---------------------------------------------

LABTOOLS = '''"""A module only the source's notebook folder has."""


class Sample:
    def __init__(self, n):
        self.n = n


def make_label(text):
    return f"<{text}>"
'''

MODULE_CELLS = [
    "import labtools",
    "sample = labtools.Sample(3)\nrows = [labtools.Sample(i) for i in range(3)]",
    "plain = [1, 2, 3]\ntotal = sum(plain)",
    "from labtools import make_label\nlabel = make_label('x')",
]


def test_a_module_missing_on_the_target_is_named_with_its_variables_before_anything_is_sent(source, target):
    # The kernel's working folder is the notebook's: labtools imports there, not on the target.
    (source.root / "work" / "labtools.py").write_text(LABTOOLS)
    live = LiveSession(source, "uses_labtools.ipynb", MODULE_CELLS)
    try:
        before = TargetState(target)
        job = wait_job(source, start_migration(live, target))
        assert job["state"] == "failed", job
        assert job["error"] == (
            f"migration to {target.url} failed: the target cannot import module labtools "
            "(needed by label, labtools, make_label, rows, sample): install it there first (this session is untouched)"
        ), job["error"]
        messages = [s["message"] for s in job["steps"]]
        # It failed before the checkpoint: nothing was serialized, announced or sent.
        assert not any("recorded execution" in m or "sending" in m or "serializing" in m for m in messages), messages
        before.assert_untouched("uses_labtools.ipynb")
        assert not (target.root / "work" / "labtools.py").exists()
        assert outgoing_left(source) == []
        assert_runs(live, "(sample.n, [r.n for r in rows], label, total)", "(3, [0, 1, 2], '<x>', 6)")

        # With the module on the target (beside the notebook, where its kernel starts), it migrates.
        (target.root / "work" / "labtools.py").write_text(LABTOOLS)
        job = wait_job(source, start_migration(live, target))
        assert job["state"] == "done", job
        client = kernel_client(target, job["result"]["kernelId"])
        try:
            assert ask(client, "(sample.n, [r.n for r in rows], label, total)") == "(3, [0, 1, 2], '<x>', 6)"
        finally:
            client.stop_channels()
        target.request("DELETE", f"/api/sessions/{job['result']['sessionId']}")
    finally:
        live.close()
        (target.root / "work" / "labtools.py").unlink(missing_ok=True)


# -- the target's disk is full ------------------------------------------------------------------------


@pytest.fixture
def small_disk_target(tmp_path_factory):
    """A target whose data folder is a 20 MiB tmpfs (we are root); unmounted afterwards."""
    root = tmp_path_factory.mktemp("small-disk")
    data = root / "elastic-data"
    data.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(data)], capture_output=True)
    assert mounted.returncode == 0, f"cannot mount a tmpfs (the test needs root): {mounted.stderr.decode()}"
    srv = JupyterServer(root)
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()
        subprocess.run(["umount", str(data)], check=True)


SIZE = r"[0-9.]+ [kMG]?B"


def test_a_target_with_too_little_disk_refuses_the_transfer_before_it_starts(source, small_disk_target):
    full = small_disk_target
    # About 32 MB of random floats: more than the target's 20 MiB data folder can hold.
    live = LiveSession(source, "big.ipynb", ["import numpy as np\nbig = np.random.default_rng(2).random(4_000_000)"])
    try:
        before = TargetState(full)
        # Marked "always copy": re-running the seeded cell is cheaper than sending 32 MB, so the plan
        # priced for the target would otherwise send nothing that needs the room.
        job = wait_job(source, start_migration(live, full, marks={"alwaysCopy": ["big"]}))
        assert job["state"] == "failed", job
        assert re.fullmatch(
            rf"migration to {re.escape(full.url)} failed: the target {re.escape(full.url)} has {SIZE} free, "
            rf"the checkpoint needs {SIZE}: free some space there, or choose another target \(this session is untouched\)",
            job["error"],
        ), job["error"]
        # The payload's announcement is refused before any of its bytes is sent: no restore began,
        # and the notebook copied ahead of it (the prepared session binds it) is removed again.
        assert not any(s["message"].startswith("restoring on") for s in job["steps"]), job["steps"]
        before.assert_untouched("big.ipynb")
        assert outgoing_left(source) == []
        assert_runs(live, "round(float(big[:10].sum()), 9) == round(float(big[:10].sum()), 9)", "True")
    finally:
        live.close()


def test_a_write_that_runs_out_of_space_mid_transfer_is_a_507_and_removes_the_transfer(small_disk_target):
    full = small_disk_target
    # 8 MiB announced: room for it when announced. Then something else fills the disk.
    payload = bytes(range(256)) * (8 * 1024 * 1024 // 256)
    resp = full.request("POST", "/elastic-notebook/api/incoming", {
        "files": [{"path": "g0.pkl", "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}],
    })
    assert resp.status == 201, resp.body
    transfer = resp.json()["transferId"]
    filler = full.data_dir / "filler.bin"
    with open(filler, "wb") as out:
        free = os.statvfs(full.data_dir)
        out.write(b"\0" * (free.f_bavail * free.f_frsize - 2 * 1024 * 1024))  # leave 2 MiB
    try:
        chunk = 1024 * 1024
        statuses = []
        for offset in range(0, 4 * chunk, chunk):
            data = payload[offset: offset + chunk]
            put = full.request(
                "PUT",
                f"/elastic-notebook/api/incoming/{transfer}/files?path=g0.pkl&offset={offset}"
                f"&sha256={hashlib.sha256(data).hexdigest()}",
                data,
                headers={"Content-Type": "application/octet-stream"},
            )
            statuses.append(put.status)
            if put.status != 200:
                break
        assert statuses[-1] == 507, statuses
        assert statuses[:-1] == [200] * (len(statuses) - 1)
        body = put.json()
        assert re.fullmatch(
            rf"not enough disk space for the transfer: {SIZE} free in the data folder, the checkpoint needs {SIZE}",
            body["error"],
        ), body
        # Free space is measured after the partial file was removed: still far from the 8 MiB needed.
        assert body["neededBytes"] == len(payload) and body["freeBytes"] < len(payload) / 2
        # The transfer is gone, not left half-written.
        assert incoming_left(full) == []
        assert full.request("GET", f"/elastic-notebook/api/incoming/{transfer}").status == 404
    finally:
        filler.unlink()


# -- cancel at every step -------------------------------------------------------------------------

# `slow` is never copied: the target re-runs its 4 s cell, so that the restore lasts; `big` (8 MB in
# 16 KiB chunks) makes the transfer last.
CANCEL_CELLS = [
    "import numpy as np\nbig = np.random.default_rng(3).random(1_000_000)\nshared = [1, 2, 3]",
    "import time\ntime.sleep(4)\nslow = len(shared)",
]

# The step at whose appearance the cancel is sent (the job's own steps, docs/internals.md).
STEPS = {
    "target-check": "checking the target",
    "checkpoint": "waiting until every recorded execution is stored",
    "transfer": "sending the checkpoint to",
    "notebook-copy": "copying ",
    "restore": "restoring on",
}


def wait_for_step(source: JupyterServer, job_id: str, wanted: str) -> None:
    """Return as soon as the running job announces a step starting with ``wanted``."""
    deadline = time.monotonic() + 120
    job: dict = {"steps": [], "state": "running"}
    while not any(s["message"].startswith(wanted) for s in job["steps"]):
        assert job["state"] == "running" and time.monotonic() < deadline, job
        job = source.request("GET", f"/elastic-notebook/api/jobs/{job_id}").json()
        time.sleep(0.01)


@pytest.mark.parametrize("step", list(STEPS))
def test_a_cancel_at_each_step_leaves_the_source_intact_and_nothing_on_the_target(source, target, step):
    notebook = f"cancel-{step}.ipynb"
    live = LiveSession(source, notebook, CANCEL_CELLS)
    try:
        before = TargetState(target)
        job_id = start_migration(live, target, marks={"neverCopy": ["slow"]})
        wait_for_step(source, job_id, STEPS[step])
        cancelled = source.request("POST", f"/elastic-notebook/api/jobs/{job_id}/cancel")
        assert cancelled.status == 200, cancelled.body
        job = wait_job(source, job_id)
        assert job["state"] == "cancelled", job
        assert job["error"] == f"migration to {target.url} cancelled; this session is untouched", job["error"]
        assert job["result"] is None
        before.assert_untouched(notebook)
        assert outgoing_left(source) == []
        assert_runs(live, "(slow, shared, big.shape)", "(3, [1, 2, 3], (1000000,))")
    finally:
        live.close()


def test_a_cancel_leaves_a_notebook_the_target_already_had(source, target):
    # The same notebook is already on the target (say, kept from an earlier migration): the job does
    # not copy it, and a cancel during the restore leaves it as it was.
    notebook = "cancel-kept.ipynb"
    live = LiveSession(source, notebook, CANCEL_CELLS)
    kept = target.root / "work" / notebook
    kept.write_text((source.root / "work" / notebook).read_text())
    original = kept.read_text()
    try:
        before = TargetState(target)
        job_id = start_migration(live, target, marks={"neverCopy": ["slow"]})
        wait_for_step(source, job_id, "restoring on")
        assert source.request("POST", f"/elastic-notebook/api/jobs/{job_id}/cancel").status == 200
        job = wait_job(source, job_id)
        assert job["state"] == "cancelled", job
        assert not any(s["message"].startswith("copying ") for s in job["steps"]), job["steps"]
        before.assert_untouched(notebook, kept=True)
        assert kept.read_text() == original
        assert_runs(live, "(slow, shared)", "(3, [1, 2, 3])")
    finally:
        live.close()
        kept.unlink(missing_ok=True)
