"""Checkpoint and restore from JupyterLab's side, on a real Jupyter server with a real kernel:
the internal routes the companion uses to reach kernels (secret and local callers only), and the
whole path through Jupyter's authenticated proxy (checkpoint job, listing, restore job into the
same kernel, variables back, history continued)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from jupyter_client import BlockingKernelClient

from elastic_notebook.serverext.internal import internal_url, local_address
from jupyter_server_process import JupyterServer
from test_serverext import kernel_client

INTERNAL = "/elastic-notebook/internal/kernels"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = JupyterServer(tmp_path_factory.mktemp("jupyter-ckpt")).start()
    yield srv
    srv.stop()


def companion_env(server: JupyterServer) -> dict[str, str]:
    (pid,) = server.companion_pids()
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def internal(server: JupyterServer, kernel_id: str, action: str, body: dict | None = None, secret: str | None = "default"):
    """POST to an internal route the way the companion does (no Jupyter token)."""
    headers = {}
    if secret == "default":
        secret = companion_env(server)["ELASTIC_NOTEBOOK_SECRET"]
    if secret is not None:
        headers["X-Elastic-Notebook-Secret"] = secret
    return server.request("POST", f"{INTERNAL}/{kernel_id}/{action}", body or {}, token=None, headers=headers)


def start_session(server: JupyterServer, path: str) -> str:
    """A notebook session (as JupyterLab opens one); returns its kernel id."""
    resp = server.request("POST", "/api/sessions", {"path": path, "type": "notebook", "kernel": {"name": "python3"}})
    assert resp.status == 201, resp.body
    return resp.json()["kernel"]["id"]


def run(client: BlockingKernelClient, code: str, silent: bool = False) -> dict:
    reply = client.execute_interactive(code, silent=silent, store_history=not silent, timeout=120, output_hook=lambda m: None)
    return reply["content"]


def ask(client: BlockingKernelClient, expression: str) -> str:
    reply = client.execute_interactive("", silent=True, user_expressions={"v": expression}, timeout=60, output_hook=lambda m: None)
    value = reply["content"]["user_expressions"]["v"]
    assert value["status"] == "ok", value
    return value["data"]["text/plain"]


def wait_job(server: JupyterServer, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        resp = server.request("GET", f"/elastic-notebook/api/jobs/{job_id}")
        assert resp.status == 200, resp.body
        job = resp.json()
        if job["state"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {timeout} s: {job}")


# -- the internal routes ------------------------------------------------------------------------


def test_the_companion_knows_how_to_reach_this_server(server):
    env = companion_env(server)
    assert env["ELASTIC_NOTEBOOK_JUPYTER_URL"] == f"http://127.0.0.1:{server.port}/"
    assert env["ELASTIC_NOTEBOOK_JUPYTER_ROOT"] == str((server.root / "work").resolve())


def test_internal_routes_need_the_secret_not_a_jupyter_token(server):
    kernel_id = server.start_kernel()
    try:
        for secret in (None, "wrong"):
            resp = internal(server, kernel_id, "execute", {"code": "1"}, secret=secret)
            assert resp.status == 401, resp.body
            assert resp.json() == {"error": "missing or wrong X-Elastic-Notebook-Secret"}
        # A Jupyter token is not enough either.
        resp = server.request("POST", f"{INTERNAL}/{kernel_id}/execute", {"code": "1"})
        assert resp.status == 401
        # Nor are they reachable through the authenticated API prefix.
        resp = server.request("POST", f"/elastic-notebook/api/internal/kernels/{kernel_id}/execute", {"code": "1"})
        assert resp.status == 404
    finally:
        server.request("DELETE", f"/api/kernels/{kernel_id}")


def test_execute_restart_and_bootstrap_on_a_real_kernel(server):
    kernel_id = server.start_kernel()
    try:
        resp = internal(server, kernel_id, "execute", {"code": "x = 41", "user_expressions": {"v": "x + 1"}})
        assert resp.status == 200, resp.body
        assert resp.json()["status"] == "ok"
        assert resp.json()["user_expressions"]["v"]["data"]["text/plain"] == "42"

        resp = internal(server, kernel_id, "execute", {"code": "1 / 0"})
        assert resp.json()["status"] == "error"
        assert (resp.json()["ename"], resp.json()["evalue"]) == ("ZeroDivisionError", "division by zero")

        resp = internal(server, kernel_id, "execute", {"code": "import time; time.sleep(5)", "timeout": 0.5})
        assert resp.status == 504
        assert "did not answer within 0.5 s" in resp.json()["error"]

        # A restart gives a fresh process under the same id.
        assert internal(server, kernel_id, "restart").json() == {"ok": True}
        resp = internal(server, kernel_id, "execute", {"code": "", "user_expressions": {"v": "'x' in globals()"}})
        assert resp.json()["user_expressions"]["v"]["data"]["text/plain"] == "False"

        resp = internal(server, kernel_id, "bootstrap")
        assert resp.status == 200
        assert resp.json()["status"] == "ok"
        resp = internal(
            server,
            kernel_id,
            "execute",
            {"user_expressions": {"v": "__import__('sys').modules['_elastic_notebook_agent'].status()['active']"}},
        )
        assert resp.json()["user_expressions"]["v"]["data"]["text/plain"] == "True"
    finally:
        server.request("DELETE", f"/api/kernels/{kernel_id}")


def test_internal_requests_are_validated(server):
    assert internal(server, "no-such-kernel", "execute", {"code": "1"}).status == 404
    assert internal(server, "no-such-kernel", "restart").json() == {"error": "no running kernel with id 'no-such-kernel'"}
    kernel_id = server.start_kernel()
    try:
        cases = [
            ({"code": 3}, "code: must be a string"),
            ({"silent": "yes"}, "silent: must be true or false"),
            ({"user_expressions": {"v": 1}}, "user_expressions: must map names to expression strings"),
            ({"timeout": -1}, "timeout: must be a positive number of seconds or null"),
            ({"cod": "1"}, "cod: unknown field"),
        ]
        for body, message in cases:
            resp = internal(server, kernel_id, "execute", body)
            assert (resp.status, resp.json()) == (400, {"error": message})
    finally:
        server.request("DELETE", f"/api/kernels/{kernel_id}")


def test_only_local_callers_and_the_internal_url():
    assert local_address("127.0.0.1", "")
    assert local_address("127.0.0.2", "0.0.0.0")
    assert local_address("::1", "")
    assert local_address("::ffff:127.0.0.1", "")
    assert local_address("192.168.1.5", "192.168.1.5")
    assert not local_address("192.168.1.5", "")
    assert not local_address("10.0.0.9", "0.0.0.0")
    assert not local_address(None, "")
    assert not local_address("not an address", "")

    def app(**fields):
        defaults = dict(sock="", ip="", certfile="", port=8888, base_url="/")
        return SimpleNamespace(**{**defaults, **fields})

    assert internal_url(app()) == "http://127.0.0.1:8888/"
    assert internal_url(app(ip="0.0.0.0", base_url="/jh/user/x")) == "http://127.0.0.1:8888/jh/user/x/"
    assert internal_url(app(ip="10.1.2.3", certfile="c.pem")) == "https://10.1.2.3:8888/"
    assert internal_url(app(ip="::1")) == "http://[::1]:8888/"
    assert internal_url(app(sock="/tmp/j.sock")) is None


# -- checkpoint and restore through Jupyter ------------------------------------------------------

CELLS = [
    # Slow and tiny: the plan copies it.
    "import time\ntime.sleep(0.4)\nmodel = {'weights': [1, 2, 3]}\n",
    # Large and quick: the plan recomputes it.
    "big = bytes(30_000_000)\nview = [big]\n",
    "label = 'n=' + str(len(model['weights']))\n",
]


def test_checkpoint_list_and_restore_through_jupyter(server):
    (server.root / "work" / "proj").mkdir(exist_ok=True)
    kernel_id = start_session(server, "proj/analysis.ipynb")
    client = kernel_client(server, kernel_id)
    try:
        code = server.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/bootstrap").json()["code"]
        assert run(client, code, silent=True)["status"] == "ok"
        for index, cell in enumerate(CELLS):
            assert run(client, f"%%intercept --cell-index {index} --cell-id cell-{index}\n{cell}")["status"] == "ok"

        # Checkpoint through the authenticated proxy; the job waits for the last records itself.
        resp = server.request(
            "POST",
            f"/elastic-notebook/api/kernels/{kernel_id}/checkpoints",
            {"notebookPath": "proj/analysis.ipynb", "kernelName": "python3", "objective": "balanced"},
        )
        assert resp.status == 202, resp.body
        started = resp.json()
        root = server.data_dir / "checkpoints"
        assert started["uri"].startswith(f"{root}/analysis-")
        job = wait_job(server, started["jobId"])
        assert job["state"] == "done", job
        result = job["result"]
        assert result["executions"] == 3
        assert "model" in result["plan"]["copy"]
        assert (Path(started["uri"]) / "manifest.json").is_file()
        messages = [step["message"] for step in job["steps"]]
        assert "planning" in messages

        listed = server.request("GET", "/elastic-notebook/api/checkpoints").json()
        assert listed["root"] == str(root)
        (entry,) = listed["checkpoints"]
        assert entry["uri"] == started["uri"]
        assert entry["checkpointId"] == result["checkpointId"]
        assert entry["notebookPath"] == str(server.root / "work" / "proj" / "analysis.ipynb")
        assert entry["copiedVariables"] == len(result["plan"]["copy"])

        # The user goes on and changes things; the restore brings the checkpointed session back.
        assert run(client, "%%intercept --cell-index 3\nmodel = None\nlabel = 'changed'\n")["status"] == "ok"
        resp = server.request("POST", f"/elastic-notebook/api/kernels/{kernel_id}/restore", {"uri": started["uri"]})
        assert resp.status == 202, resp.body
        job = wait_job(server, resp.json()["jobId"])
        assert job["state"] == "done", job
        restored = job["result"]
        assert restored["verification"]["ok"] is True, restored["verification"]
        assert restored["kernelId"] == kernel_id
        assert sorted(restored["loaded"]) == sorted(result["plan"]["copy"])
        assert restored["rerun"] == result["plan"]["rerun"]

        # Same kernel id, fresh process, the checkpointed values (sharing included).
        client.stop_channels()
        client = kernel_client(server, kernel_id)
        assert ask(client, "(model, len(big), view[0] is big, label)") == "({'weights': [1, 2, 3]}, 30000000, True, 'n=3')"
        assert ask(client, "'time' in dir()") == "True"

        # The restored kernel continues the recorded history.
        graph = server.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/graph").json()
        assert len(graph["executions"]) == 3

        # Describe and delete through Jupyter too.
        from urllib.parse import quote

        described = server.request("GET", f"/elastic-notebook/api/checkpoints/describe?uri={quote(started['uri'])}")
        assert described.status == 200
        assert described.json()["complete"] is True
        deleted = server.request("DELETE", f"/elastic-notebook/api/checkpoints?uri={quote(started['uri'])}")
        assert deleted.status == 200, deleted.body
        assert server.request("GET", "/elastic-notebook/api/checkpoints").json()["checkpoints"] == []
    finally:
        client.stop_channels()
        server.request("DELETE", f"/api/kernels/{kernel_id}")


def test_restoring_from_outside_the_root_needs_trust(server, tmp_path):
    kernel_id = server.start_kernel()
    try:
        resp = server.request("POST", f"/elastic-notebook/api/kernels/{kernel_id}/restore", {"uri": str(tmp_path / "b")})
        assert resp.status == 400
        assert resp.json()["trustRequired"] is True
        resp = server.request(
            "POST", f"/elastic-notebook/api/kernels/{kernel_id}/restore", {"uri": str(tmp_path / "b"), "trust": True}
        )
        assert resp.status == 202
        job = wait_job(server, resp.json()["jobId"])
        assert job["state"] == "failed"
        assert str(tmp_path / "b") in job["error"]
    finally:
        server.request("DELETE", f"/api/kernels/{kernel_id}")
