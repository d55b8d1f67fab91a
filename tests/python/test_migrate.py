"""Migration between two machines (issue 11): two real Jupyter servers with the extension, on
different ports and root folders, stand for the source and the target. A notebook session holding
numpy, pandas, scikit-learn and notebook-defined functions and classes (aliases included) is
migrated through the source companion's route (as the sidebar does) and with the CLI; the target
session must be isomorphic by the independent comparison (state_compare.py), see the variables
in a new cell, and continue the source's history (a checkpoint there holds every execution).
Faults: a refused token, a target that is down, a notebook already on the target, a transfer
cut mid-way (resumed), the target kernel killed during the restore; the source stays usable."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import run_cli  # noqa: E402
from jupyter_server_process import JupyterServer, free_port  # noqa: E402
from state_compare import assert_isomorphic, dump_kernel  # noqa: E402
from test_serverext import kernel_client  # noqa: E402
from test_serverext_checkpoint import ask, companion_env, run, wait_job  # noqa: E402

SCHEMAS = HERE.parents[1] / "protocol" / "lib" / "json-schema"


def assert_matches_schema(name: str, instance: object) -> None:
    """``instance`` satisfies the protocol's JSON Schema ``name`` (written by ``npm run setup``)."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    errors = [f"{list(e.path)}: {e.message}" for e in Draft202012Validator(schema).iter_errors(instance)]
    assert errors == [], errors


CELLS = [
    "import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
    "from sklearn.datasets import make_classification",
    "X, y = make_classification(n_samples=200, n_features=6, random_state=0)\n"
    "model = LogisticRegression(max_iter=300).fit(X, y)\nview = X[:50]          # a view into X",
    "frame = pd.DataFrame(X[:, :3], columns=['a', 'b', 'c'])\nframe['label'] = y\n"
    "column = frame['a']\nsummary = frame.describe()",
    "scale = 3\ndef scaled(v):\n    return v * scale\n\ndef make_counter(start):\n"
    "    count = [start]\n    def step():\n        count[0] += 1\n        return count[0]\n    return step\n"
    "counter = make_counter(10)\ncounter()",
    "class Shape:\n    def __init__(self, name):\n        self.name = name\n    def describe(self):\n"
    "        return f'{self.name}!'\n\nclass Square(Shape):\n    def __init__(self, size):\n"
    "        super().__init__('square')\n        self.size = size\n\nsq = Square(3)\nshapes = [sq, Shape('blob')]",
    "shared = [1, 2, 3]\nalias = shared\nholder = {'list': shared, 'model': model, 'shape': sq}\n"
    "accuracy = float(model.score(X, y))",
]


def notebook_json(cells: list[str]) -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "outputs": [], "execution_count": None, "source": c}
            for i, c in enumerate(cells)
        ],
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    # Small chunks: every migration below sends its payloads in several chunks.
    srv = JupyterServer(tmp_path_factory.mktemp("source"), env={"ELASTIC_NOTEBOOK_CHUNK_BYTES": "16384"}).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    srv = JupyterServer(tmp_path_factory.mktemp("target")).start()
    yield srv
    srv.stop()


class LiveSession:
    """A notebook open on the source server: its file, its session and kernel, cells run recorded."""

    def __init__(self, server: JupyterServer, path: str, cells: list[str]):
        self.server, self.path = server, path
        file = server.root / "work" / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(notebook_json(cells), indent=1))
        resp = server.request("POST", "/api/sessions", {"path": path, "type": "notebook", "kernel": {"name": "python3"}})
        assert resp.status == 201, resp.body
        self.session_id = resp.json()["id"]
        self.kernel_id = resp.json()["kernel"]["id"]
        self.client = kernel_client(server, self.kernel_id)
        code = server.request("GET", f"/elastic-notebook/api/kernels/{self.kernel_id}/bootstrap").json()["code"]
        assert run(self.client, code, silent=True)["status"] == "ok"
        for index, cell in enumerate(cells):
            reply = run(self.client, f"%%intercept --cell-index {index} --cell-id cell-{index}\n{cell}")
            assert reply["status"] == "ok", reply

    def migrate(self, target: JupyterServer, token: str | None = None, url: str | None = None, **extra) -> dict:
        body = {
            "targetUrl": url or target.url,
            "targetToken": target.token if token is None else token,
            "notebookPath": self.path,
            "kernelName": "python3",
            **extra,
        }
        resp = self.server.request("POST", f"/elastic-notebook/api/kernels/{self.kernel_id}/migrate", body)
        assert resp.status == 202, resp.body
        assert target.token not in resp.body.decode()
        return wait_job(self.server, resp.json()["jobId"])

    def close(self) -> None:
        self.client.stop_channels()
        self.server.request("DELETE", f"/api/sessions/{self.session_id}")


def target_sessions(target: JupyterServer) -> list[dict]:
    resp = target.request("GET", "/api/sessions")
    assert resp.status == 200
    return resp.json()


def incoming_left(target: JupyterServer) -> list[str]:
    folder = target.data_dir / "incoming"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def assert_source_usable(live: LiveSession) -> None:
    """The source session still holds its state and runs new cells."""
    assert ask(live.client, "len(shared) if 'shared' in dir() else 'ok'") in ("3", "'ok'")
    reply = run(live.client, f"%%intercept --cell-index 99\nafter_failure = 1 + 1")
    assert reply["status"] == "ok", reply
    assert ask(live.client, "after_failure") == "2"


# -- the acceptance scenario -----------------------------------------------------------------------


def test_migrate_a_live_session_to_another_server(source, target):
    live = LiveSession(source, "proj/analysis.ipynb", CELLS)
    target_client = None
    try:
        job = live.migrate(target)
        assert job["state"] == "done", job
        assert job["kind"] == "migrate"
        assert target.token not in json.dumps(job)
        assert_matches_schema("job", job)
        result = job["result"]
        assert_matches_schema("migrate-job-result", result)
        kernel_id = result["kernelId"]
        assert result["target"] == target.url
        assert result["notebookPath"] == "proj/analysis.ipynb"
        assert result["notebookUrl"] == f"{target.url}/lab/tree/proj/analysis.ipynb"
        assert result["verification"]["ok"] is True, result["verification"]
        assert result["bytes"] > 2 * 16384  # several chunks
        assert set(result["timings"]) == {"checkpointMs", "transferMs", "restoreMs", "totalMs"}
        assert result["timings"]["totalMs"] >= result["timings"]["transferMs"]
        messages = [step["message"] for step in job["steps"]]
        assert any(m.startswith(f"sending the checkpoint to {target.url}") for m in messages), messages
        assert any(m.startswith(f"{target.url}: ") for m in messages), messages

        # The notebook is on the target at the same path, bound by a session to the restored kernel.
        copied = target.root / "work" / "proj" / "analysis.ipynb"
        assert copied.read_text() == (source.root / "work" / "proj" / "analysis.ipynb").read_text()
        (session,) = [s for s in target_sessions(target) if s["path"] == "proj/analysis.ipynb"]
        assert session["kernel"]["id"] == kernel_id
        assert session["id"] == result["sessionId"]
        assert incoming_left(target) == []
        assert not any((source.data_dir / "outgoing").iterdir())

        # The independent comparison: same values, same sharing.
        target_client = kernel_client(target, kernel_id)
        assert_isomorphic(dump_kernel(live.client), dump_kernel(target_client), "source vs target")

        # A new cell on the target sees the variables.
        new_cell = "%%intercept --cell-index 6 --cell-id cell-6\n" \
            "check = (scaled(2), counter(), sq.describe(), alias is shared, holder['model'] is model, " \
            "round(float(view.sum() - X[:50].sum()), 6), list(frame.columns), accuracy == model.score(X, y))"
        assert run(target_client, new_cell)["status"] == "ok"
        assert ask(target_client, "check") == "(6, 12, 'square!', True, True, 0.0, ['a', 'b', 'c', 'label'], True)"
        assert ask(target_client, "view.base is X or view.base is X.base") == "True"

        # A checkpoint on the target holds the source's executions and the new one.
        resp = target.request(
            "POST", f"/elastic-notebook/api/kernels/{kernel_id}/checkpoints",
            {"notebookPath": "proj/analysis.ipynb", "kernelName": "python3"},
        )
        assert resp.status == 202, resp.body
        checkpoint = wait_job(target, resp.json()["jobId"])
        assert checkpoint["state"] == "done", checkpoint
        assert checkpoint["result"]["executions"] == len(CELLS) + 1
        graph = target.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/graph").json()
        assert [e["code"].rstrip("\n") for e in graph["executions"][: len(CELLS)]] == CELLS

        # The source kernel keeps running, untouched.
        assert_source_usable(live)
    finally:
        if target_client is not None:
            target_client.stop_channels()
        live.close()


# -- the internal session routes the target companion uses ----------------------------------------


def test_internal_session_routes_open_and_end_sessions_for_the_companion_only(target):
    secret = {"X-Elastic-Notebook-Secret": companion_env(target)["ELASTIC_NOTEBOOK_SECRET"]}

    def post(path: str, body: dict, headers: dict | None = None):
        return target.request("POST", f"/elastic-notebook/internal/{path}", body, token=None, headers=headers)

    assert post("sessions", {"path": "s.ipynb"}).status == 401
    assert post("sessions", {"path": "s.ipynb"}, {"X-Elastic-Notebook-Secret": "wrong"}).status == 401
    for body, message in [
        ({"path": "../s.ipynb"}, "path: must be a notebook path relative to the server's root"),
        ({"path": "/abs.ipynb"}, "path: must be a notebook path relative to the server's root"),
        ({"path": "s.ipynb", "kernelName": "no-such-kernel"}, "kernelName: no kernel 'no-such-kernel' on this server"),
        ({"path": "s.ipynb", "kernel": "python3"}, "kernel: unknown field"),
    ]:
        resp = post("sessions", body, secret)
        assert (resp.status, resp.json()) == (400, {"error": message})
    resp = post("sessions", {"path": "sub/s.ipynb", "kernelName": "python3"}, secret)
    assert resp.status == 200, resp.body
    opened = resp.json()
    (session,) = [s for s in target_sessions(target) if s["id"] == opened["sessionId"]]
    assert (session["path"], session["kernel"]["id"], session["type"]) == ("sub/s.ipynb", opened["kernelId"], "notebook")
    assert post(f"sessions/{opened['sessionId']}/delete", {}, secret).json() == {"ok": True}
    assert opened["sessionId"] not in {s["id"] for s in target_sessions(target)}
    assert target.request("GET", f"/api/kernels/{opened['kernelId']}").status == 404
    resp = post(f"sessions/{opened['sessionId']}/delete", {}, secret)
    assert (resp.status, resp.json()) == (404, {"error": f"no session with id {opened['sessionId']!r}"})


# -- faults ---------------------------------------------------------------------------------------


def test_a_refused_token_fails_clearly_and_leaves_the_source_untouched(source, target):
    live = LiveSession(source, "token.ipynb", ["shared = [1, 2, 3]"])
    try:
        before = len(target_sessions(target))
        job = live.migrate(target, token="wrong-token")
        assert job["state"] == "failed", job
        assert "refused the token" in job["error"], job["error"]
        assert "this session is untouched" in job["error"]
        assert "wrong-token" not in json.dumps(job)
        assert len(target_sessions(target)) == before
        assert not (target.root / "work" / "token.ipynb").exists()
        assert_source_usable(live)
    finally:
        live.close()


def test_a_target_that_is_down_fails_clearly(source, target):
    live = LiveSession(source, "down.ipynb", ["shared = [1, 2, 3]"])
    try:
        job = live.migrate(target, url=f"http://127.0.0.1:{free_port()}")
        assert job["state"] == "failed", job
        assert "cannot reach the target" in job["error"], job["error"]
        assert_source_usable(live)
    finally:
        live.close()


def test_a_different_notebook_on_the_target_is_never_overwritten_unasked(source, target):
    live = LiveSession(source, "exists/taken.ipynb", ["shared = [1, 2, 3]"])
    other = target.root / "work" / "exists" / "taken.ipynb"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text(json.dumps(notebook_json(["something_else = 1"])))
    try:
        # The route asks first, so that the UI can ask the user (like `trustRequired` for restores).
        resp = source.request(
            "POST", f"/elastic-notebook/api/kernels/{live.kernel_id}/migrate",
            {"targetUrl": target.url, "targetToken": target.token, "notebookPath": "exists/taken.ipynb"},
        )
        assert resp.status == 409, resp.body
        assert resp.json()["notebookExists"] is True
        assert "already exists" in resp.json()["error"] and "--overwrite" in resp.json()["error"]
        assert json.loads(other.read_text())["cells"][0]["source"] == "something_else = 1"
        assert incoming_left(target) == []

        job = live.migrate(target, overwrite=True)
        assert job["state"] == "done", job
        assert other.read_text() == (source.root / "work" / "exists" / "taken.ipynb").read_text()
        client = kernel_client(target, job["result"]["kernelId"])
        try:
            assert ask(client, "shared") == "[1, 2, 3]"
        finally:
            client.stop_channels()
        target.request("DELETE", f"/api/sessions/{job['result']['sessionId']}")
    finally:
        live.close()


def test_a_cut_transfer_resumes_from_the_last_good_chunk(source, tmp_path_factory):
    # The target stores its 3rd chunk, then cuts the connection without answering.
    cutting = JupyterServer(tmp_path_factory.mktemp("cutting"), env={"ELASTIC_NOTEBOOK_TEST_CUT_CHUNK": "3"}).start()
    live = LiveSession(source, "cut.ipynb", ["import numpy as np\nnoise = np.random.default_rng(1).random(40_000)"])
    try:
        job = live.migrate(cutting)
        assert job["state"] == "done", job
        resumed = [s["message"] for s in job["steps"] if "again from the last confirmed byte" in s["message"]]
        assert len(resumed) == 1, job["steps"]
        assert job["result"]["verification"]["ok"] is True
        client = kernel_client(cutting, job["result"]["kernelId"])
        try:
            assert ask(client, "round(float(noise.sum()), 6)") == ask(live.client, "round(float(noise.sum()), 6)")
        finally:
            client.stop_channels()
        assert incoming_left(cutting) == []
    finally:
        live.close()
        cutting.stop()


def kernel_pid(server: JupyterServer, kernel_id: str) -> int:
    """The pid of a kernel process, found by its connection file on the command line."""
    wanted = f"kernel-{kernel_id}.json"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if wanted in cmdline and "ipykernel" in cmdline:
                return int(entry.name)
    raise AssertionError(f"no process for kernel {kernel_id}")


def test_the_target_kernel_dying_during_the_restore_fails_clearly(source, target):
    # `slow` must be recomputed (never copied): its 6 s cell re-runs on the target, long enough
    # to kill the kernel mid-way.
    cells = ["shared = [1, 2, 3]", "import time\ntime.sleep(6)\nslow = len(shared)"]
    live = LiveSession(source, "dies.ipynb", cells)
    try:
        before = {s["id"] for s in target_sessions(target)}
        resp = source.request(
            "POST", f"/elastic-notebook/api/kernels/{live.kernel_id}/migrate",
            {"targetUrl": target.url, "targetToken": target.token, "notebookPath": "dies.ipynb",
             "marks": {"neverCopy": ["slow"]}},
        )
        assert resp.status == 202, resp.body
        job_id = resp.json()["jobId"]
        deadline = time.monotonic() + 120
        new_sessions: list[dict] = []
        while not new_sessions and time.monotonic() < deadline:
            new_sessions = [s for s in target_sessions(target) if s["id"] not in before]
            time.sleep(0.1)
        (session,) = new_sessions
        # Wait until the restore steps are under way (the plan loads or re-runs `shared` first, then
        # re-runs the slow cell; the agent may run them in one call, announced by the first step),
        # then kill the kernel by its pid.
        job: dict = {"steps": [], "state": "running"}
        while not any(s["message"].endswith(": loading shared") or "re-running" in s["message"] for s in job["steps"]):
            assert time.monotonic() < deadline and job["state"] == "running", "\n".join(s["message"] for s in job["steps"])
            job = source.request("GET", f"/elastic-notebook/api/jobs/{job_id}").json()
            time.sleep(0.1)
        time.sleep(2)
        os.kill(kernel_pid(target, session["kernel"]["id"]), signal.SIGKILL)
        job = wait_job(source, job_id)
        assert job["state"] == "failed", job
        assert "the restore on the target failed" in job["error"], job["error"]
        assert "this session is untouched" in job["error"]
        # Nothing is left on the target: no session, no incoming folder, no copied notebook.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and {s["id"] for s in target_sessions(target)} != before:
            time.sleep(0.2)
        assert {s["id"] for s in target_sessions(target)} == before
        assert incoming_left(target) == []
        assert not (target.root / "work" / "dies.ipynb").exists()
        assert ask(live.client, "slow") == "3"
        assert_source_usable(live)
    finally:
        live.close()


# -- the CLI ----------------------------------------------------------------------------------------


def test_cli_migrates_a_live_session_with_server(source, target):
    live = LiveSession(source, "cli/live.ipynb", ["import numpy as np\nvalues = np.arange(12).reshape(3, 4)\nrow = values[1]"])
    try:
        notebook = source.root / "work" / "cli" / "live.ipynb"
        run_ = run_cli(["migrate", str(notebook), "--to", target.url, "--to-token", target.token,
                        "--server", source.url, "--token", source.token, "--json"])
        result = run_.json
        assert set(result) >= {"target", "kernelId", "notebookUrl", "plan", "bytes", "verification", "timings"}
        assert result["notebookUrl"] == f"{target.url}/lab/tree/cli/live.ipynb"
        assert set(result["timings"]) == {"checkpointMs", "transferMs", "restoreMs", "totalMs"}
        assert target.token not in run_.stdout + run_.stderr
        client = kernel_client(target, result["kernelId"])
        try:
            assert ask(client, "(__import__('numpy').shares_memory(row, values), int(row.sum()))") == "(True, 22)"
        finally:
            client.stop_channels()
        assert ask(live.client, "int(values.sum())") == "66"  # the source kernel keeps running
        target.request("DELETE", f"/api/sessions/{result['sessionId']}")
    finally:
        live.close()


def test_cli_runs_the_notebook_first_without_server_and_refuses_to_overwrite(target, tmp_path):
    folder = tmp_path / "local"
    folder.mkdir()
    notebook = folder / "fresh.ipynb"
    notebook.write_text(json.dumps(notebook_json(["import pandas as pd\nframe = pd.DataFrame({'a': [1, 2, 3]})",
                                                  "total = int(frame['a'].sum())"])))
    run_ = run_cli(["migrate", str(notebook), "--to", target.url, "--to-token", target.token, "--json"])
    result = run_.json
    assert result["verification"]["ok"] is True
    client = kernel_client(target, result["kernelId"])
    try:
        assert ask(client, "(total, list(frame['a']))") == "(6, [1, 2, 3])"
    finally:
        client.stop_channels()
    target.request("DELETE", f"/api/sessions/{result['sessionId']}")

    # The same path with a different notebook: refused unless --overwrite.
    notebook.write_text(json.dumps(notebook_json(["total = 7"])))
    failed = run_cli(["migrate", str(notebook), "--to", target.url, "--to-token", target.token], check=False)
    assert failed.returncode == 1
    assert "already exists" in failed.stderr and "--overwrite" in failed.stderr, failed.stderr
    assert "import pandas" in (target.root / "work" / "fresh.ipynb").read_text()

    overwritten = run_cli(["migrate", str(notebook), "--to", target.url, "--to-token", target.token, "--overwrite"])
    assert "Migrated" in overwritten.stdout, overwritten.stdout
    assert "total = 7" in (target.root / "work" / "fresh.ipynb").read_text()


def test_cli_usage_errors_name_what_is_wrong(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps(notebook_json(["x = 1"])))
    cases = [
        (["--to", "gpu-box"], "unknown target gpu-box: the server knows no target by that name "
         "(add it to targets.json, or give a Jupyter server URL with --to-token)"),
        (["--to", "http://127.0.0.1:9"], "--to http://127.0.0.1:9 needs the target server's token: pass --to-token"),
        (["--to", "http://127.0.0.1:9", "--to-token", "t", "--keep-kernel"],
         "--keep-kernel does not apply to migrate: the migrated kernel keeps running on the target"),
    ]
    assert "ELASTIC_NOTEBOOK_TO_TOKEN" not in os.environ
    for args, message in cases:
        failed = run_cli(["migrate", str(notebook), *args], check=False)
        assert failed.returncode == 2, failed.stderr
        assert failed.stderr.strip() == f"elastic-notebook: {message}"
