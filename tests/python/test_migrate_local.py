"""Migration to "this machine" and stopping the source (issue 11). A notebook session on a real
Jupyter server moves into a NEW kernel of the same server: the notebook's own Jupyter session now
points to that kernel (JupyterLab's open notebook follows it), which holds an isomorphic state,
runs new cells seeing the variables and continues the history; the old kernel keeps running
unless `stopSource`. Stopping the source happens only after a verified migration (to this
machine, to another server, or from the CLI's `--stop-source`), never after a failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import run_cli  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402
from migration_checks import assert_acceptance, kernel_running, start_migration  # noqa: E402
from test_migrate import CELLS, LiveSession, assert_matches_schema, assert_source_usable, target_sessions  # noqa: E402
from test_serverext import kernel_client  # noqa: E402
from test_serverext_checkpoint import ask, companion_env  # noqa: E402

THIS_MACHINE = "this machine"


@pytest.fixture(scope="module")
def here(tmp_path_factory):
    srv = JupyterServer(tmp_path_factory.mktemp("here")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def there(tmp_path_factory):
    srv = JupyterServer(tmp_path_factory.mktemp("there")).start()
    yield srv
    srv.stop()


def session_of(server: JupyterServer, session_id: str) -> dict:
    (session,) = [s for s in target_sessions(server) if s["id"] == session_id]
    return session


def test_migrate_to_this_machine_switches_the_notebook_to_a_new_kernel(here):
    live = LiveSession(here, "local/analysis.ipynb", CELLS)
    notebook = here.root / "work" / "local" / "analysis.ipynb"
    text = notebook.read_text()
    try:
        job = start_migration(live, {"target": THIS_MACHINE, "notebookPath": live.path, "kernelName": "python3"})
        assert job["state"] == "done", job
        result = job["result"]
        assert_matches_schema("migrate-job-result", result)
        assert result["transport"] == "local"
        assert result["sourceStopped"] is False
        assert result["target"] == THIS_MACHINE
        assert result["verification"]["ok"] is True, result["verification"]
        new_kernel = result["kernelId"]
        assert new_kernel != live.kernel_id

        # The notebook's own session now uses the new kernel; the old one keeps running.
        assert result["sessionId"] == live.session_id
        session = session_of(here, live.session_id)
        assert (session["path"], session["kernel"]["id"]) == (live.path, new_kernel)
        assert kernel_running(here, live.kernel_id)
        assert notebook.read_text() == text  # the notebook stays where it is, unchanged
        assert not any((here.data_dir / "outgoing").iterdir())

        # The new kernel's working directory is the notebook's folder, as for a session's kernel.
        client = kernel_client(here, new_kernel)
        try:
            assert ask(client, "__import__('os').getcwd()") == repr(str(notebook.parent))
        finally:
            client.stop_channels()
        assert_acceptance(live, here, new_kernel)
        assert_source_usable(live)
    finally:
        live.close()


def test_internal_kernel_routes_answer_the_companion_only(here):
    secret = {"X-Elastic-Notebook-Secret": companion_env(here)["ELASTIC_NOTEBOOK_SECRET"]}

    def post(path: str, body: dict, headers: dict | None = None):
        return here.request("POST", f"/elastic-notebook/internal/{path}", body, token=None, headers=headers)

    kernel = here.start_kernel()
    assert post("kernels", {"path": "k.ipynb"}).status == 401
    assert post(f"kernels/{kernel}/shutdown", {}, {"X-Elastic-Notebook-Secret": "wrong"}).status == 401
    for path, body, status, message in [
        ("kernels", {"path": "../k.ipynb"}, 400, "path: must be a notebook path relative to the server's root"),
        ("kernels", {"path": "k.ipynb", "kernelName": "nope"}, 400, "kernelName: no kernel 'nope' on this server"),
        (f"kernels/{kernel}/move-sessions", {"to": "no-such-kernel"}, 400, "to: no running kernel with id 'no-such-kernel'"),
        (f"kernels/{kernel}/move-sessions", {"to": kernel, "x": 1}, 400, "x: unknown field"),
        ("kernels/no-such-kernel/shutdown", {}, 404, "no running kernel with id 'no-such-kernel'"),
    ]:
        resp = post(path, body, secret)
        assert (resp.status, resp.json()) == (status, {"error": message}), path
    started = post("kernels", {"path": "sub/k.ipynb", "kernelName": "python3"}, secret)
    assert started.status == 200, started.body
    new = started.json()["kernelId"]
    assert kernel_running(here, new) and new not in {s["kernel"]["id"] for s in target_sessions(here)}
    assert post(f"kernels/{kernel}/move-sessions", {"to": new}, secret).json() == {"sessionIds": []}
    for k in (kernel, new):
        assert post(f"kernels/{k}/shutdown", {}, secret).json() == {"ok": True}
        assert not kernel_running(here, k)


def test_stop_source_after_a_verified_migration_to_this_machine(here):
    live = LiveSession(here, "stop/local.ipynb", ["import numpy as np\nvalues = np.arange(10)", "total = int(values.sum())"])
    try:
        job = start_migration(live, {"target": THIS_MACHINE, "notebookPath": live.path, "stopSource": True})
        assert job["state"] == "done", job
        result = job["result"]
        assert result["sourceStopped"] is True
        assert any(s["message"] == "stopping the source kernel" for s in job["steps"])
        assert not kernel_running(here, live.kernel_id)
        assert session_of(here, live.session_id)["kernel"]["id"] == result["kernelId"]
        client = kernel_client(here, result["kernelId"])
        try:
            assert ask(client, "(total, int(values[-1]))") == "(45, 9)"
        finally:
            client.stop_channels()
    finally:
        live.client.stop_channels()
        here.request("DELETE", f"/api/sessions/{live.session_id}")


def test_stop_source_after_a_verified_migration_to_another_server(here, there):
    live = LiveSession(here, "stop/remote.ipynb", ["shared = [1, 2, 3]\nalias = shared"])
    try:
        job = live.migrate(there, stopSource=True)
        assert job["state"] == "done", job
        assert job["result"]["transport"] == "direct"
        assert job["result"]["sourceStopped"] is True
        assert not kernel_running(here, live.kernel_id)
        # Jupyter drops the session of a kernel that is gone: the notebook lives on the target now.
        assert live.session_id not in {s["id"] for s in target_sessions(here)}
        client = kernel_client(there, job["result"]["kernelId"])
        try:
            assert ask(client, "(shared, alias is shared)") == "([1, 2, 3], True)"
        finally:
            client.stop_channels()
        there.request("DELETE", f"/api/sessions/{job['result']['sessionId']}")
    finally:
        live.client.stop_channels()


def test_a_failed_migration_never_stops_the_source(here, there):
    live = LiveSession(here, "stop/failed.ipynb", ["shared = [1, 2, 3]"])
    try:
        job = live.migrate(there, token="wrong-token", stopSource=True)
        assert job["state"] == "failed", job
        assert not any("stopping the source kernel" in s["message"] for s in job["steps"])
        assert kernel_running(here, live.kernel_id)
        assert session_of(here, live.session_id)["kernel"]["id"] == live.kernel_id
        # To this machine: a kernel the server cannot start fails the job, the notebook stays put.
        job = start_migration(
            live, {"target": THIS_MACHINE, "notebookPath": live.path, "kernelName": "no-such-kernel", "stopSource": True}
        )
        assert job["state"] == "failed", job
        assert "migration to this machine failed" in job["error"] and "this session is untouched" in job["error"]
        assert kernel_running(here, live.kernel_id)
        assert session_of(here, live.session_id)["kernel"]["id"] == live.kernel_id
        assert_source_usable(live)
    finally:
        live.close()


def test_cli_migrates_to_this_machine_and_stops_the_source(here):
    live = LiveSession(here, "cli/here.ipynb", ["import numpy as np\nvalues = np.arange(12).reshape(3, 4)\nrow = values[1]"])
    try:
        notebook = here.root / "work" / "cli" / "here.ipynb"
        run_ = run_cli(["migrate", str(notebook), "--to", THIS_MACHINE, "--server", here.url, "--token", here.token,
                        "--stop-source", "--json"])
        result = run_.json
        assert (result["transport"], result["sourceStopped"]) == ("local", True)
        assert not kernel_running(here, live.kernel_id)
        assert session_of(here, live.session_id)["kernel"]["id"] == result["kernelId"]
        client = kernel_client(here, result["kernelId"])
        try:
            assert ask(client, "(__import__('numpy').shares_memory(row, values), int(row.sum()))") == "(True, 22)"
        finally:
            client.stop_channels()
        assert here.token not in run_.stdout + run_.stderr
    finally:
        live.client.stop_channels()
        here.request("DELETE", f"/api/sessions/{live.session_id}")


def test_cli_refuses_this_machine_without_a_server(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    failed = run_cli(["migrate", str(notebook), "--to", THIS_MACHINE], check=False)
    assert failed.returncode == 2, failed.stderr
    assert failed.stderr.strip() == (
        f"elastic-notebook: target {THIS_MACHINE} is a new kernel on the same server: give --server "
        "(without it the session would move into a private server that stops)"
    )
