"""The README's promise for ``--keep-kernel``: ``jupyter console --existing FILE`` attaches to the
kernel the CLI left running, and sees the session's variables (a real server, kernel and console)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import run_cli  # noqa: E402
from jupyter_server_process import VENV_BIN, JupyterServer  # noqa: E402


@pytest.fixture()
def jupyter(tmp_path: Path):
    server = JupyterServer(tmp_path / "server").start()
    yield server
    server.stop()


def test_console_attaches_to_a_kept_kernel(jupyter: JupyterServer) -> None:
    notebook = jupyter.root / "work" / "kept.ipynb"
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": "answer = 6 * 7\nword = 'attached'"}
    notebook.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}))
    run = run_cli(["record", str(notebook), "--keep-kernel", "--json",
                   "--server", jupyter.url, "--token", jupyter.token])
    kernel_id, connection_file = run.json["kernelId"], run.json["connectionFile"]
    try:
        console = subprocess.run(
            [str(VENV_BIN / "jupyter"), "console", "--existing", connection_file, "--simple-prompt"],
            input="print(word, answer)\nexit\n", capture_output=True, text=True, timeout=120,
        )
        assert "attached 42" in console.stdout, console.stdout + console.stderr
    finally:
        jupyter.request("DELETE", f"/api/kernels/{kernel_id}")
