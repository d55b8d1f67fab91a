"""Every corpus notebook (tests/corpus/) checkpoints and restores isomorphically, with the local
store and with an S3 store (s3rver, a real S3-compatible server started here).

For each notebook and store: ``elastic-notebook checkpoint --keep-kernel`` runs the notebook in a
fresh kernel on a Jupyter server started for this module and writes the bundle; the state of that
kernel (the original) is dumped with the independent describer of state_compare.py, and the kernel
is shut down. ``elastic-notebook restore --keep-kernel`` restores the bundle into a fresh kernel,
whose state is dumped too. The test asserts the restore verified itself (``verification.ok``) and
that both states are isomorphic: equal values and the same sharing (aliases, views, classes of
instances, ...).

Select notebooks with ``-k`` (for instance ``-k "not 24_session_2gb"`` to leave out the 2 GB
session, or ``-k local``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "corpus"))

import state_compare  # noqa: E402
from harness import CliRun, Notebook, S3Server, load_corpus, run_cli, stage  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402

CORPUS = load_corpus()
STORES = ("local", "s3")


def timeout_for(notebook: Notebook) -> int:
    if "huge" in notebook.tags:
        return 1500
    return 600 if "slow" in notebook.tags else 240


CASES = [
    pytest.param(notebook, store, id=f"{notebook.name}-{store}", marks=pytest.mark.timeout(timeout_for(notebook)))
    for notebook in CORPUS
    for store in STORES
]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory):
    server = S3Server(tmp_path_factory.mktemp("s3") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory, s3: S3Server):
    saved = dict(os.environ)
    os.environ.update(s3.env)  # the server (and its companion) see the S3 settings too
    try:
        server = JupyterServer(tmp_path_factory.mktemp("corpus-server")).start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    yield server
    server.stop()


class Session:
    """Checkpoint and restore through the CLI against the module's Jupyter server."""

    def __init__(self, jupyter: JupyterServer, env: dict[str, str]) -> None:
        self.jupyter = jupyter
        self.env = env

    def cli(self, *args: str, check: bool = True) -> CliRun:
        server = ["--server", self.jupyter.url, "--token", self.jupyter.token]
        return run_cli([*args, *server, "--json"], env=self.env, check=check)

    def shutdown(self, kernel_id: str | None) -> None:
        if kernel_id:
            self.jupyter.request("DELETE", f"/api/kernels/{kernel_id}")

    def checkpoint(self, notebook: Path, bundle: str, *extra: str) -> tuple[CliRun, dict]:
        """Checkpoint with --keep-kernel; returns the run and the original state (the kernel is
        shut down once dumped, so at most one big kernel lives at a time)."""
        run = self.cli("checkpoint", str(notebook), "--out", bundle, "--keep-kernel", *extra)
        try:
            original = state_compare.dump_connection_file(run.json["connectionFile"])
        finally:
            self.shutdown(run.json.get("kernelId"))
        return run, original

    def restore(self, bundle: str) -> tuple[CliRun, dict | None]:
        """Restore with --keep-kernel; returns the run and the restored state (None when the
        restore failed before leaving a kernel)."""
        run = self.cli("restore", bundle, "--keep-kernel", check=False)
        kernel_id = (run.json or {}).get("kernelId")
        try:
            restored = state_compare.dump_connection_file(run.json["connectionFile"]) if kernel_id else None
        finally:
            self.shutdown(kernel_id)
        return run, restored


def summary(checkpoint: CliRun, restore: CliRun) -> str:
    plan = (checkpoint.json or {}).get("plan", {})
    result = restore.json or {}
    return (f"plan: copy {plan.get('copy')}, rerun {plan.get('rerun')}; restore: loaded {result.get('loaded')}, "
            f"rerun {result.get('rerun')}, fallback {result.get('fallback')}, verification {result.get('verification')}, "
            f"replay problems {result.get('replayProblems')}")


def assert_restored(name: str, checkpoint: CliRun, restore: CliRun, original: dict, restored: dict | None) -> None:
    """The restore succeeded, verified itself, and its state is isomorphic to the original. Every
    problem is reported (the independent comparison too when the CLI failed but left a kernel)."""
    problems = []
    if restore.returncode != 0:
        problems.append(f"restore exited {restore.returncode}: {restore.stderr.strip()[-1000:]}")
    verification = (restore.json or {}).get("verification")
    if verification is not None and not verification.get("ok"):
        problems.append(f"verification not ok: {verification}")
    if restored is None:
        problems.append(f"no restored kernel to compare\n{restore.describe()}")
    else:
        differences = state_compare.compare(original, restored)
        if differences:
            problems.append("state differs from the original (independent comparison):\n  " + "\n  ".join(differences))
    assert not problems, f"{name}: " + "\n".join(problems) + f"\n{summary(checkpoint, restore)}"


@pytest.mark.parametrize(("notebook", "store"), CASES)
def test_restores_isomorphically(notebook: Notebook, store: str, jupyter: JupyterServer, s3: S3Server):
    check_round_trip(notebook, store, jupyter, s3)


def check_round_trip(notebook: Notebook, store: str, jupyter: JupyterServer, s3: S3Server) -> None:
    """Checkpoint ``notebook`` into ``store`` ("local" or "s3"), restore it, and assert the restore
    verified itself and is isomorphic to the original (also used by test_realworld.py)."""
    folder = jupyter.root / "work" / f"{notebook.name}-{store}"
    path = stage(notebook, folder)
    if store == "local":
        bundle, env = str(jupyter.root / "bundles" / f"{notebook.name}"), {}
    else:
        bundle, env = s3.uri(notebook.name), s3.env
    # The CLI's measurements and plan memory: the module's own, never the user's data folder (a
    # plan priced with another run's numbers would make the tests depend on what ran before).
    env = {**env, "ELASTIC_NOTEBOOK_DATA_DIR": str(jupyter.root / "cli-data")}
    session = Session(jupyter, env)
    try:
        checkpoint, original = session.checkpoint(path, bundle)
        assert checkpoint.json["bundle"], checkpoint.describe()
        assert original["variables"], f"{notebook.name}: the original session has no variables"
        restore, restored = session.restore(bundle)
        assert_restored(f"{notebook.name} ({store} store)", checkpoint, restore, original, restored)
    finally:
        # Free the disk at once (the 2 GB session's bundles are large).
        shutil.rmtree(jupyter.root / "bundles" / notebook.name, ignore_errors=True)
        shutil.rmtree(s3.folder / s3.bucket / notebook.name, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_corpus_is_complete():
    """The corpus covers the acceptance list, and the committed notebooks match build.py."""
    assert len(CORPUS) >= 22
    covers = set()
    for notebook in CORPUS:
        covers.update(json.loads(notebook.path.read_text())["metadata"]["corpus"]["covers"])
    wanted = [
        "numpy", "pandas", "scikit-learn models", "matplotlib figures", "functions", "classes",
        "aliases across variables and inside containers", "numpy views", "generators/open files/locks (recomputed)",
        "cells that raise", "magics and shell lines", "unseeded randomness",
        "a variable whose payload is corrupted before restore (fallback)", "a 2 GB session",
    ]
    assert not [w for w in wanted if w not in covers]
    assert any("slow" in n.tags for n in CORPUS) and any("huge" in n.tags for n in CORPUS)
    build = HERE.parent / "corpus" / "build.py"
    check = subprocess.run([sys.executable, str(build), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
