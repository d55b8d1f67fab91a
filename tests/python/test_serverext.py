"""The server extension on a real Jupyter server: auth, bootstrap, proxy, companion supervision,
and the whole record path (kernel agent -> companion -> authenticated graph route)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient

from jupyter_server_process import VENV_BIN, JupyterServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = JupyterServer(tmp_path_factory.mktemp("jupyter")).start()
    yield srv
    srv.stop()


def kernel_client(server: JupyterServer, kernel_id: str) -> BlockingKernelClient:
    client = BlockingKernelClient(connection_file=str(server.root / "runtime" / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    # A heartbeat answered later than 1 s (the default) counts as a dead kernel: on a loaded 2-core
    # machine a kernel just started can be that slow, and wait_for_ready then fails at once.
    client.hb_channel.time_to_dead = 10.0
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return client


def execute(client: BlockingKernelClient, code: str, silent: bool = False) -> dict:
    reply = client.execute_interactive(code, silent=silent, store_history=not silent, timeout=60, output_hook=lambda m: None)
    return reply["content"]


def wait_for_executions(server: JupyterServer, kernel_id: str, count: int, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    graph: dict = {}
    while time.monotonic() < deadline:
        resp = server.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/graph")
        if resp.status == 200:
            graph = resp.json()
            if len(graph["executions"]) >= count:
                return graph
        time.sleep(0.2)
    raise AssertionError(f"graph never reached {count} executions: {graph}")


def bootstrap(server: JupyterServer, kernel_id: str, client: BlockingKernelClient) -> str:
    resp = server.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/bootstrap")
    assert resp.status == 200, resp.body
    code = resp.json()["code"]
    assert execute(client, code, silent=True)["status"] == "ok"
    return code


def _jupyter_list(*args: str) -> str:
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}")
    out = subprocess.run([str(VENV_BIN / "jupyter"), *args], capture_output=True, text=True, env=env)
    return re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # drop colours


def test_extensions_are_listed_as_enabled():
    servers = _jupyter_list("server", "extension", "list")
    assert re.search(r"elastic_notebook\s+enabled", servers), servers
    assert re.search(r"elastic_notebook \S+ OK", servers), servers
    labs = _jupyter_list("labextension", "list")
    assert re.search(r"elastic-notebook v\S+ enabled\s+OK", labs), labs


@pytest.mark.parametrize("path", ["health", "kernels", "kernels/abc/graph", "kernels/abc/bootstrap"])
def test_every_route_requires_jupyter_auth(server, path):
    assert server.request("GET", f"/elastic-notebook/api/{path}", token=None).status == 403
    assert server.request("GET", f"/elastic-notebook/api/{path}", token="wrong").status == 403


def test_health_through_the_proxy(server):
    resp = server.request("GET", "/elastic-notebook/api/health")
    assert resp.status == 200
    assert resp.json()["ok"] is True


def test_bootstrap_for_unknown_kernel_is_404(server):
    resp = server.request("GET", "/elastic-notebook/api/kernels/no-such-kernel/bootstrap")
    assert resp.status == 404
    assert "no-such-kernel" in resp.json()["error"]


def test_records_cannot_be_posted_through_jupyter(server):
    resp = server.request("POST", "/elastic-notebook/api/kernels/abc/records", {"runId": "r", "records": []})
    assert resp.status == 403
    assert "kernel agent" in resp.json()["error"]
    # ... but they can be read back through Jupyter (a checkpoint stores them).
    resp = server.request("GET", "/elastic-notebook/api/kernels/abc/records")
    assert resp.status == 404
    assert "nothing recorded for kernel abc" in resp.json()["error"]


def test_companion_binds_loopback_and_requires_its_secret(server):
    kernel_id = server.start_kernel()
    code = server.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/bootstrap").json()["code"]
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)", code).group(1))
    listening = [
        line.split()[1]
        for path in ("/proc/net/tcp", "/proc/net/tcp6")
        if Path(path).exists()
        for line in Path(path).read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].rsplit(":", 1)[1], 16) == port
    ]
    assert listening == ["0100007F:%04X" % port], listening
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernels", timeout=5)
    assert err.value.code == 401
    server.request("DELETE", f"/api/kernels/{kernel_id}")


def test_cells_are_recorded_end_to_end_and_survive_a_companion_crash(server):
    kernel_id = server.start_kernel()
    client = kernel_client(server, kernel_id)
    try:
        bootstrap(server, kernel_id, client)
        assert execute(client, "%%intercept --cell-index 0\nx = [1, 2]\n")["status"] == "ok"
        assert execute(client, "%%intercept --cell-index 1\nx.append(len(x))\n")["status"] == "ok"
        graph = wait_for_executions(server, kernel_id, 2)
        assert [e["writes"] for e in graph["executions"]] == [["x"], ["x"]]
        assert graph["executions"][1]["reads"] == ["x"]

        # Kill the companion: the extension restarts it on the same port, the stored graph is
        # intact, and the agent's next record still arrives.
        (pid,) = server.companion_pids()
        os.kill(pid, signal.SIGKILL)
        assert execute(client, "%%intercept --cell-index 2\ny = x[-1] * 10\n")["status"] == "ok"
        graph = wait_for_executions(server, kernel_id, 3, timeout=30)
        assert server.companion_pids() != [pid]
        assert [e["cellIndex"] for e in graph["executions"]] == [0, 1, 2]
        assert graph["executions"][2]["reads"] == ["x"]
        assert graph["executions"][2]["writes"] == ["y"]
    finally:
        client.stop_channels()
        server.request("DELETE", f"/api/kernels/{kernel_id}")


def test_graph_survives_a_jupyter_server_restart(tmp_path):
    first = JupyterServer(tmp_path).start()
    try:
        kernel_id = first.start_kernel()
        client = kernel_client(first, kernel_id)
        bootstrap(first, kernel_id, client)
        execute(client, "%%intercept\na = 1\n")
        execute(client, "%%intercept\nb = a + 1\n")
        before = wait_for_executions(first, kernel_id, 2)
        client.stop_channels()
    finally:
        first.stop()
    second = JupyterServer(tmp_path).start()
    try:
        resp = second.request("GET", f"/elastic-notebook/api/kernels/{kernel_id}/graph")
        assert resp.status == 200, resp.body
        after = resp.json()
        assert after["executions"] == before["executions"]
        assert after["variables"] == before["variables"]
    finally:
        second.stop()


def _server_socket_option(pid: int, peer: tuple[str, int], level: int, option: int) -> int:
    """Read a socket option of the server process's end of the TCP connection from ``peer``
    (duplicating its descriptor with pidfd_getfd, Linux 5.6+)."""
    import ctypes
    import socket

    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                continue
            fd = libc.syscall(438, pidfd, int(name), 0)  # SYS_pidfd_getfd
            if fd < 0:
                continue
            sock = socket.socket(fileno=fd)
            try:
                if sock.family == socket.AF_INET and sock.type == socket.SOCK_STREAM and sock.getpeername() == peer:
                    return sock.getsockopt(level, option)
            except OSError:
                pass
            finally:
                sock.close()
    finally:
        os.close(pidfd)
    raise AssertionError(f"no socket of process {pid} is connected to {peer}")


def test_kernel_websockets_send_each_message_at_once(server):
    # Without TCP_NODELAY every kernel round trip through a websocket waits ~40 ms for the
    # client's delayed ACK (the extension sets it; see elastic_notebook/serverext/nodelay.py).
    import asyncio
    import socket

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel_id = server.start_kernel()

    async def check() -> int:
        url = server.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        request = HTTPRequest(url, headers={"Authorization": f"token {server.token}"})
        connection = await websocket_connect(request)
        try:
            local = connection.stream.socket.getsockname()
            # The server sets the option when it opens the connection, just after the handshake.
            for _ in range(100):
                value = _server_socket_option(server.process.pid, local, socket.IPPROTO_TCP, socket.TCP_NODELAY)
                if value:
                    break
                await asyncio.sleep(0.05)
            return value
        finally:
            connection.close()

    assert asyncio.run(check()) != 0
