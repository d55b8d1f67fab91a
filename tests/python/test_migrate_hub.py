"""Migration to a JupyterHub target (issue 11) on a real JupyterHub started here: PyPI
``jupyterhub`` with npm ``configurable-http-proxy``, the local-process spawner
(SimpleLocalProcessSpawner: users run as the current user, homes under a temporary folder), the
dummy authenticator, named servers on, and a service token whose role may start, stop and reach
alice's servers. The single-user servers run this project's .venv, so they load the extension.

The source is an ordinary Jupyter server whose ``targets.json`` names Hub targets, alice's
servers: ``gpu`` (started by the migration), ``broken``, whose profile the Hub's
``pre_spawn_hook`` refuses, ``spare`` and ``slow`` (whose profile the hook holds for two minutes). The session must arrive isomorphic (state_compare.py) and a new cell
there, run through the Hub's proxy, must see the variables; a failing spawn fails the job with the
Hub's reason, the source untouched and nothing left on the Hub; the target listing probes the Hub
target; the CLI migrates to the Hub target by name; a migration that fails after it started the
server, or is cancelled while the Hub spawns it, stops that server again."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import websocket

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import run_cli  # noqa: E402
from jupyter_server_process import VENV_BIN, JupyterServer, Response, free_port, wait_ready  # noqa: E402
from test_migrate import CELLS, LiveSession, assert_matches_schema, assert_migrated_state, assert_source_usable  # noqa: E402
from test_serverext_checkpoint import ask, wait_job  # noqa: E402

USER = "alice"
BROKEN_REASON = "profile 'broken': no machine of that size is free"

HUB_CONFIG = """
import os
c = get_config()  # noqa: F821
c.JupyterHub.ip = '127.0.0.1'
c.JupyterHub.port = {public_port}
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{proxy_port}'
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {proxy_pid!r}
c.JupyterHub.db_url = 'sqlite:///{folder}/jupyterhub.sqlite'
c.JupyterHub.cookie_secret_file = {cookie_secret!r}
c.JupyterHub.authenticator_class = 'dummy'
c.Authenticator.allowed_users = {{{user!r}}}
c.JupyterHub.allow_named_servers = True
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + '/{{username}}'
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ['--allow-root']  # CI runs as root
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{'name': 'elastic-notebook-test', 'api_token': {token!r}}}]
c.JupyterHub.load_roles = [{{
    'name': 'elastic-notebook-migrator',
    'scopes': ['servers!user={user}', 'access:servers!user={user}', 'read:users!user={user}'],
    'services': ['elastic-notebook-test'],
}}]

async def refuse_broken_profiles(spawner):
    # The test's stand-ins for a spawner that cannot provide a profile's machine, or is slow to.
    if spawner.user_options.get('profile') == 'broken':
        raise RuntimeError({broken_reason!r})
    if spawner.user_options.get('profile') == 'slow':
        import asyncio
        await asyncio.sleep(120)

c.Spawner.pre_spawn_hook = refuse_broken_profiles
"""


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first found, then theirs)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


@dataclass
class Hub:
    """A JupyterHub in a child process, on free loopback ports, with its files in ``folder``."""

    folder: Path
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    public_port: int = field(default_factory=free_port)
    hub_port: int = field(default_factory=free_port)
    proxy_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def home(self) -> Path:
        return self.folder / "home" / USER

    def start(self, timeout: float = 90) -> "Hub":
        environment = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
        config = self.folder / "jupyterhub_config.py"
        config.write_text(HUB_CONFIG.format(
            public_port=self.public_port, hub_port=self.hub_port, proxy_port=self.proxy_port,
            proxy=str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy"),
            proxy_pid=str(self.folder / "proxy.pid"), folder=self.folder,
            cookie_secret=str(self.folder / "cookie_secret"), user=USER, homes=str(self.folder / "home"),
            singleuser=str(VENV_BIN / "jupyterhub-singleuser"), environment=environment, token=self.token,
            broken_reason=BROKEN_REASON,
        ))
        self.log_path = self.folder / "hub.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
            cwd=self.folder, stdout=self._log, stderr=subprocess.STDOUT,
            env=dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"),
        )
        wait_ready(self.process, lambda: self.request("GET", "/hub/api/").status == 200, "jupyterhub", self.log, timeout)
        return self

    def stop(self) -> None:
        """Stop the Hub by its pid (it stops the proxy and the servers), then whatever it left."""
        assert self.process is not None
        left = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in left + descendants(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]

    def request(self, method: str, path: str, body: object | None = None) -> Response:
        """A request to the Hub's public URL with the service token."""
        return JupyterServer.request(self, method, path, body, token=self.token)  # type: ignore[arg-type]

    def ensure_running(self, name: str, timeout: float = 120) -> None:
        """Start alice's server ``name`` unless it runs (a test run alone, without the migration's start)."""
        if self.server(name) is None:
            assert self.request("POST", f"/hub/api/users/{USER}/servers/{name}", {}).status in (201, 202)
        deadline = time.monotonic() + timeout
        while not (self.server(name) or {}).get("ready"):
            assert time.monotonic() < deadline, f"alice's server {name} did not start:\n{self.log()}"
            time.sleep(0.5)

    def server(self, name: str) -> dict | None:
        """alice's server ``name`` as the Hub's user model has it (None: not running or starting)."""
        resp = self.request("GET", f"/hub/api/users/{USER}")
        assert resp.status == 200, resp.body
        return resp.json()["servers"].get(name)


class HubKernelClient:
    """A kernel of a single-user server, reached through the Hub's proxy over the kernel websocket
    with the Hub API token; answers ``execute_interactive`` like a jupyter_client blocking client
    (what state_compare and the test helpers call)."""

    def __init__(self, server_url: str, token: str, kernel_id: str):
        ws_url = server_url.replace("http://", "ws://", 1) + f"api/kernels/{kernel_id}/channels"
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=120)

    def execute_interactive(self, code: str, silent: bool = False, store_history: bool = True,
                            user_expressions: dict | None = None, timeout: float = 60, output_hook=None) -> dict:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": self.session, "msg_type": "execute_request",
                       "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": silent, "store_history": store_history,
                        "user_expressions": user_expressions or {}, "allow_stdin": False, "stop_on_error": True},
        }))
        reply, idle = None, False
        self.ws.settimeout(timeout)
        while reply is None or not idle:
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["channel"] == "shell" and message["msg_type"] == "execute_reply":
                reply = message
            elif message["channel"] == "iopub" and message["msg_type"] == "status":
                idle = message["content"]["execution_state"] == "idle"
        return reply

    def stop_channels(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    started = Hub(tmp_path_factory.mktemp("hub")).start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def source(tmp_path_factory, hub: Hub):
    folder = tmp_path_factory.mktemp("hub-source")
    (folder / "elastic-data").mkdir()
    common = {"kind": "jupyterhub", "hubUrl": hub.url, "apiToken": hub.token, "user": USER}
    (folder / "elastic-data" / "targets.json").write_text(json.dumps([
        {"name": "hub-gpu", **common, "server": "gpu", "profile": "standard", "userOptions": {"cpus": 2}},
        {"name": "hub-broken", **common, "server": "broken", "profile": "broken"},
        {"name": "hub-spare", **common, "server": "spare"},
        {"name": "hub-slow", **common, "server": "slow", "profile": "slow"},
    ]))
    srv = JupyterServer(folder, env={"ELASTIC_NOTEBOOK_CHUNK_BYTES": "16384"}).start()
    yield srv
    srv.stop()


def start_migration(live: LiveSession, target: str, token: str, wait: bool = True) -> dict:
    """Migrate ``live`` to the configured target ``target``: the job at its end (or its id)."""
    body = {"target": target, "notebookPath": live.path, "kernelName": "python3"}
    resp = live.server.request("POST", f"/elastic-notebook/api/kernels/{live.kernel_id}/migrate", body)
    assert resp.status == 202, resp.body
    assert token not in resp.body.decode()
    return wait_job(live.server, resp.json()["jobId"], timeout=400) if wait else resp.json()


def test_migrate_a_live_session_to_a_hub_server_the_migration_starts(source: JupyterServer, hub: Hub):
    assert hub.server("gpu") is None
    live = LiveSession(source, "hub/analysis.ipynb", CELLS)
    target_client = None
    try:
        job = start_migration(live, "hub-gpu", hub.token)
        assert job["state"] == "done", (job, hub.log())
        assert hub.token not in json.dumps(job)
        assert_matches_schema("job", job)
        result = job["result"]
        assert_matches_schema("migrate-job-result", result)
        server_url = f"{hub.url}/user/{USER}/gpu/"
        assert result["target"] == "hub-gpu"
        assert result["notebookUrl"] == f"{server_url}lab/tree/hub/analysis.ipynb"
        assert result["verification"]["ok"] is True, result["verification"]
        messages = [step["message"] for step in job["steps"]]
        assert messages[0] == f'starting server "gpu" of {USER} on the Hub {hub.url}/', messages
        assert f"started server at {server_url}" in messages, messages
        assert any(m.startswith(f"sending the checkpoint to hub-gpu ({server_url})") for m in messages), messages

        # The Hub runs alice's server "gpu", started with the target's user_options and profile.
        running = hub.server("gpu")
        assert running is not None and running["ready"] is True, running
        assert running["user_options"] == {"cpus": 2, "profile": "standard"}

        # The notebook is in alice's home at the same path, bound by a session to the restored kernel.
        assert (hub.home / "hub" / "analysis.ipynb").read_text() == (source.root / "work" / "hub" / "analysis.ipynb").read_text()
        sessions = hub.request("GET", f"/user/{USER}/gpu/api/sessions")
        assert sessions.status == 200, sessions.body
        (session,) = [s for s in sessions.json() if s["path"] == "hub/analysis.ipynb"]
        assert session["kernel"]["id"] == result["kernelId"]
        assert session["id"] == result["sessionId"]
        assert not any((source.data_dir / "outgoing").iterdir())

        # Through the Hub's proxy: same values, same sharing, and a new cell sees the variables.
        target_client = HubKernelClient(server_url, hub.token, result["kernelId"])
        assert_migrated_state(live, target_client)

        assert_source_usable(live)
    finally:
        if target_client is not None:
            target_client.stop_channels()
        live.close()


def test_the_target_listing_probes_the_hub_targets(source: JupyterServer, hub: Hub):
    hub.ensure_running("gpu")
    resp = source.request("GET", "/elastic-notebook/api/targets")
    assert resp.status == 200, resp.body
    assert hub.token not in resp.body.decode()
    listed = {t["name"]: t for t in resp.json()["targets"]}
    gpu, broken = listed["hub-gpu"], listed["hub-broken"]
    assert gpu["kind"] == "jupyterhub"
    assert gpu["hub"] == {"user": USER, "server": "gpu", "state": "running"}
    assert gpu["reachable"] is True, gpu
    assert gpu["versionMatch"] is True
    assert gpu["machine"]["python"]["executable"].startswith(str(VENV_BIN.parent))
    assert broken["hub"] == {"user": USER, "server": "broken", "state": "stopped"}
    assert broken["reachable"] is False
    assert broken["reason"] == "not running (started on migration)"


def test_cli_migrates_to_a_running_hub_server_by_name(source: JupyterServer, hub: Hub):
    hub.ensure_running("gpu")
    live = LiveSession(source, "cli/live.ipynb", ["import numpy as np\nvalues = np.arange(12).reshape(3, 4)\nrow = values[1]"])
    try:
        notebook = source.root / "work" / "cli" / "live.ipynb"
        result_run = run_cli(["migrate", str(notebook), "--to", "hub-gpu",
                              "--server", source.url, "--token", source.token, "--json"])
        result = result_run.json
        assert result["target"] == "hub-gpu"
        assert result["notebookUrl"] == f"{hub.url}/user/{USER}/gpu/lab/tree/cli/live.ipynb"
        assert hub.token not in result_run.stdout + result_run.stderr
        client = HubKernelClient(f"{hub.url}/user/{USER}/gpu/", hub.token, result["kernelId"])
        try:
            assert ask(client, "(__import__('numpy').shares_memory(row, values), int(row.sum()))") == "(True, 22)"
        finally:
            client.stop_channels()
        assert hub.server("gpu")["ready"] is True  # used as it was, never stopped
    finally:
        live.close()


def test_a_hub_that_fails_to_spawn_fails_clearly_and_leaves_nothing(source: JupyterServer, hub: Hub):
    live = LiveSession(source, "hub/broken.ipynb", ["numbers = list(range(5))\nsame = numbers"])
    try:
        job = start_migration(live, "hub-broken", hub.token)
        assert job["state"] == "failed", job
        error = job["error"]
        assert error.startswith(f'migration to hub-broken failed: server "broken" of {USER} on the Hub {hub.url}/'), error
        assert BROKEN_REASON in error, error
        assert error.endswith("(this session is untouched)"), error
        assert hub.token not in json.dumps(job)
        # Nothing left on the Hub, nothing copied, and the source session goes on as it was.
        assert hub.server("broken") is None
        assert not (hub.home / "hub" / "broken.ipynb").exists()
        assert not any((source.data_dir / "outgoing").iterdir())
        assert ask(live.client, "same is numbers and sum(numbers)") == "10"
        assert_source_usable(live)
    finally:
        live.close()


def test_a_migration_failing_after_the_start_stops_the_server_it_started(source: JupyterServer, hub: Hub):
    # A different notebook at the same path in alice's home: the job finds it once the server runs.
    clash = hub.home / "hub" / "clash.ipynb"
    clash.parent.mkdir(parents=True, exist_ok=True)
    clash.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    live = LiveSession(source, "hub/clash.ipynb", ["kept = 41 + 1"])
    try:
        job = start_migration(live, "hub-spare", hub.token)
        assert job["state"] == "failed", job
        assert job["errorCode"] == "notebook-exists", job
        messages = [step["message"] for step in job["steps"]]
        assert f'stopping server "spare" of {USER} on the Hub {hub.url}/ (this migration started it)' in messages
        assert hub.server("spare") is None
        assert clash.read_text() == '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
        assert ask(live.client, "kept") == "42"
    finally:
        live.close()


def test_cancelled_while_the_hub_spawns_stops_the_server(source: JupyterServer, hub: Hub):
    live = LiveSession(source, "hub/slow.ipynb", ["kept = 6 * 7"])
    try:
        started = start_migration(live, "hub-slow", hub.token, wait=False)
        deadline = time.monotonic() + 60
        while (hub.server("slow") or {}).get("pending") != "spawn":
            assert time.monotonic() < deadline, "the Hub never started spawning"
            time.sleep(0.2)
        resp = source.request("POST", f"/elastic-notebook/api/jobs/{started['jobId']}/cancel")
        assert resp.status == 200, resp.body
        job = wait_job(source, started["jobId"], timeout=120)
        assert job["state"] == "cancelled", job
        assert job["error"] == "migration to hub-slow cancelled; this session is untouched"
        assert hub.server("slow") is None
        assert ask(live.client, "kept") == "42"
    finally:
        live.close()
