"""What the corpus tests (tests/python/test_corpus*.py, test_realworld.py) and the migration benchmark
(bench/migrate.py) share: the corpus notebooks and the real-world ones (tests/realworld/), copies of them to run from, plain kernels,
the ``elastic-notebook`` CLI, and an S3-compatible server (s3rver from node_modules).

Imported by path (``sys.path`` gets this folder), so it only uses the project's venv packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent
ROOT = CORPUS.parents[1]
REALWORLD = ROOT / "tests" / "realworld"
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests" / "python"))

from jupyter_server_process import free_port  # noqa: E402


# -- the corpus -------------------------------------------------------------------------------------

@dataclass
class Cell:
    index: int  # position among all cells of the notebook
    cell_id: str | None
    source: str


@dataclass
class Notebook:
    name: str
    path: Path
    tags: list[str]
    state_mb: float
    cells: list[Cell]

    @property
    def slow(self) -> bool:
        return "slow" in self.tags or "huge" in self.tags

    def __str__(self) -> str:
        return self.name


def load_corpus() -> list[Notebook]:
    """Every corpus notebook, in name order."""
    return load_notebooks(CORPUS)


def load_realworld() -> list[Notebook]:
    """Every notebook of the real-world corpus (public examples, tests/realworld/SOURCES.md), in
    name order. They need no data files and carry no corpus metadata (all are tagged "fast")."""
    return load_notebooks(REALWORLD)


def load_notebooks(folder: Path) -> list[Notebook]:
    """Every notebook in ``folder``, in name order; tags and state size come from the notebook's
    ``metadata.corpus`` when it has one."""
    notebooks = []
    for path in sorted(folder.glob("*.ipynb")):
        content = json.loads(path.read_text(encoding="utf-8"))
        meta = content["metadata"].get("corpus", {})
        cells = []
        for index, cell in enumerate(content["cells"]):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if cell["cell_type"] == "code" and source.strip():
                cells.append(Cell(index, cell.get("id"), source))
        notebooks.append(Notebook(path.stem, path, list(meta.get("tags", ["fast"])), float(meta.get("stateMB", 0)), cells))
    return notebooks


def stage(notebook: Notebook, folder: Path) -> Path:
    """Copy the notebook and the helper data into ``folder`` (created); returns the copy's path.

    Notebooks write scratch files next to themselves, so each run gets its own folder."""
    folder.mkdir(parents=True, exist_ok=True)
    if notebook.path.parent == CORPUS:  # (the real-world notebooks make or load their own data)
        shutil.copytree(CORPUS / "data", folder / "data", dirs_exist_ok=True)
    target = folder / notebook.path.name
    shutil.copy2(notebook.path, target)
    return target


# -- kernels ----------------------------------------------------------------------------------------

class KernelError(RuntimeError):
    pass


class Kernel:
    """A blocking client for one kernel: started here (``start``) or attached (``attach``)."""

    def __init__(self, client: Any, manager: Any = None) -> None:
        self.client = client
        self.manager = manager

    @classmethod
    def start(cls, cwd: Path, timeout: float = 60) -> "Kernel":
        """A fresh plain ipykernel (no agent) whose working directory is ``cwd``."""
        from jupyter_client import KernelManager

        manager = KernelManager(kernel_name="python3")
        # (the kernel's own stderr chatter, such as the TCP warning, would drown the reports)
        manager.start_kernel(cwd=str(cwd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=timeout)
        return cls(client, manager)

    @classmethod
    def attach(cls, connection_file: str | Path, timeout: float = 60) -> "Kernel":
        """Attach to a running kernel (``--keep-kernel``'s ``connectionFile``)."""
        from jupyter_client import BlockingKernelClient

        client = BlockingKernelClient(connection_file=str(connection_file))
        client.load_connection_file()
        client.start_channels()
        client.wait_for_ready(timeout=timeout)
        return cls(client)

    def execute(self, code: str, *, silent: bool = False, user_expressions: dict | None = None, timeout: float = 1800) -> dict:
        """Run ``code``; returns the execute reply's content (outputs are dropped)."""
        reply = self.client.execute_interactive(
            code,
            silent=silent,
            store_history=not silent,
            user_expressions=user_expressions or {},
            timeout=timeout,
            output_hook=lambda msg: None,
        )
        return reply["content"]

    def evaluate(self, expression: str, timeout: float = 1800) -> str:
        """The value of ``expression`` (evaluated silently) as a Python ``str``; the expression
        must produce a ``str``."""
        import ast

        content = self.execute("", silent=True, user_expressions={"v": expression}, timeout=timeout)
        if content.get("status") != "ok":
            raise KernelError(f"{content.get('ename')}: {content.get('evalue')}")
        value = content["user_expressions"]["v"]
        if value["status"] != "ok":
            raise KernelError(f"{expression[:80]}: {value.get('ename')}: {value.get('evalue')}")
        return ast.literal_eval(value["data"]["text/plain"])

    def run_cells(self, cells: list[Cell], timeout: float = 1800) -> tuple[float, list[dict]]:
        """Run the cells in order as a user would (a cell that raises does not stop the run).
        Returns (wall seconds for all cells, per-cell {index, seconds, error})."""
        per_cell = []
        total = 0.0
        for cell in cells:
            started = time.perf_counter()
            content = self.execute(cell.source, timeout=timeout)
            elapsed = time.perf_counter() - started
            total += elapsed
            error = None if content["status"] == "ok" else f"{content.get('ename')}: {content.get('evalue')}"
            per_cell.append({"index": cell.index, "seconds": elapsed, "error": error})
        return total, per_cell

    def shutdown(self) -> None:
        try:
            if self.manager is not None:
                self.client.stop_channels()
                self.manager.shutdown_kernel(now=True)
            else:
                self.client.shutdown()
                self.client.stop_channels()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass


# -- the CLI ----------------------------------------------------------------------------------------

class CliFailed(AssertionError):
    pass


@dataclass
class CliRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    json: dict | None = None

    def describe(self) -> str:
        return (f"elastic-notebook {' '.join(self.args)} -> exit {self.returncode} after {self.seconds:.1f}s\n"
                f"stderr: {self.stderr.strip()[-3000:]}\nstdout: {self.stdout.strip()[:3000]}")


def cli_command() -> list[str]:
    """How to run the CLI: the workspace's bin through node (what ``npx elastic-notebook`` runs)."""
    for candidate in (ROOT / "node_modules" / ".bin" / "elastic-notebook", ROOT / "server" / "bin" / "elastic-notebook.js"):
        if candidate.exists():
            return [str(candidate)]
    return ["npx", "--no-install", "elastic-notebook"]


def run_cli(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800, check: bool = True) -> CliRun:
    """Run ``elastic-notebook ARGS`` from the repository root; parse stdout as JSON when asked
    for ``--json`` and the command succeeded. ``check``: raise CliFailed on a non-zero exit."""
    full_env = dict(os.environ)
    full_env["PATH"] = f"{VENV_BIN}{os.pathsep}{full_env.get('PATH', '')}"
    full_env.update(env or {})
    started = time.perf_counter()
    proc = subprocess.run([*cli_command(), *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout)
    run = CliRun(args, proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)
    if "--json" in args and (proc.returncode == 0 or proc.stdout.strip()):
        try:
            run.json = json.loads(proc.stdout)
        except json.JSONDecodeError as err:
            if proc.returncode == 0:
                raise CliFailed(f"stdout is not one JSON object ({err}):\n{run.describe()}") from None
    if check and proc.returncode != 0:
        raise CliFailed(run.describe())
    return run


# -- an S3-compatible server --------------------------------------------------------------------------

@dataclass
class S3Server:
    """s3rver (a dev dependency in node_modules) on a free port, data in ``folder``, one bucket."""

    folder: Path
    bucket: str = "corpus"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The environment the CLI reads its S3 settings from (s3rver's fixed credentials)."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "S3RVER",
            "AWS_SECRET_ACCESS_KEY": "S3RVER",
        }

    def uri(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"

    @staticmethod
    def executable() -> Path | None:
        for candidate in (ROOT / "node_modules" / ".bin" / "s3rver", ROOT / "server" / "node_modules" / ".bin" / "s3rver"):
            if candidate.exists():
                return candidate
        return None

    def start(self, timeout: float = 30) -> "S3Server":
        exe = self.executable()
        if exe is None:
            raise RuntimeError("s3rver is not installed (npm install in the repository root)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._log = open(self.folder.parent / f"s3rver-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [str(exe), "-d", str(self.folder), "-a", "127.0.0.1", "-p", str(self.port), "--configure-bucket", self.bucket],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"s3rver exited early (see {self._log.name})")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/{self.bucket}?list-type=2", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("s3rver did not become ready")

    def object_path(self, key: str) -> Path:
        """Where s3rver keeps the bytes of ``key`` on disk."""
        return self.folder / self.bucket / f"{key}._S3rver_object"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()
