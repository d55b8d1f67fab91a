"""A real Jupyter server in a child process, for tests of the server extension."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(process: subprocess.Popen, ready, what: str, log, timeout: float, interval: float = 0.25) -> None:
    """Wait until ``ready()`` is true (an OSError counts as not yet); raise with ``log()`` when
    ``process`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log()}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what} did not become ready:\n{log()}")


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self):
        return json.loads(self.body)


@dataclass
class JupyterServer:
    """``jupyter server`` with the extension enabled, a random token and private folders."""

    root: Path
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = field(default_factory=free_port)
    extra_args: list[str] = field(default_factory=list)
    # Extra environment of the server (and so of its companion), e.g. test hooks.
    env: dict[str, str] = field(default_factory=dict)
    # Where this process reaches the server, the address it listens on (default: the same), and a
    # command prefix to start it with (``ip netns exec NS``: a server in a network namespace).
    host: str = "127.0.0.1"
    bind_ip: str | None = None
    launcher: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.root / "elastic-data"

    def start(self, timeout: float = 60) -> "JupyterServer":
        runtime = self.root / "runtime"
        runtime.mkdir(parents=True, exist_ok=True)
        (self.root / "work").mkdir(exist_ok=True)
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), **self.env)
        self.log_path = self.root / "server.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                *self.launcher,
                str(VENV_BIN / "jupyter"),
                "server",
                f"--port={self.port}",
                f"--ip={self.bind_ip or self.host}",
                "--no-browser",
                "--allow-root",
                f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={self.root / 'work'}",
                f"--ElasticNotebookApp.data_dir={self.data_dir}",
                *self.extra_args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        wait_ready(self.process, lambda: self.request("GET", "/elastic-notebook/api/health").status == 200,
                   "jupyter server", self.log, timeout)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def request(
        self,
        method: str,
        path: str,
        body: object | bytes | None = None,
        *,
        token: str | None = "default",
        headers: dict[str, str] | None = None,
    ) -> Response:
        """An HTTP request to the server; ``token=None`` sends no credentials."""
        all_headers = dict(headers or {})
        if token == "default":
            token = self.token
        if token is not None:
            all_headers["Authorization"] = f"token {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return Response(resp.status, resp.read(), dict(resp.headers))
        except urllib.error.HTTPError as err:
            return Response(err.code, err.read(), dict(err.headers))

    def start_kernel(self) -> str:
        resp = self.request("POST", "/api/kernels", {"name": "python3"})
        assert resp.status == 201, resp.body
        return resp.json()["id"]

    def companion_pids(self) -> list[int]:
        """Pids of companion processes whose parent is this server."""
        assert self.process is not None
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.process.pid and "main.js" in cmdline:
                pids.append(int(entry.name))
        return pids
