"""The real-world corpus (tests/realworld/: public example notebooks of scikit-learn, statsmodels
and matplotlib, kept as their projects wrote them) checkpoints and restores isomorphically, with
the local store and with an S3 store (s3rver).

Each case is the corpus round trip of test_corpus.py: ``checkpoint --keep-kernel`` on a Jupyter
server started for this module, the original state dumped by the independent describer
(state_compare.py), ``restore --keep-kernel``, the restored state dumped, then ``verification.ok``
and isomorphism asserted. Unlike the hand-made corpus, these notebooks were written by others
for other purposes: they hold what real sessions hold (estimators inside estimators, dataset
bunches, figures and axes, notebook-defined classes, statsmodels results, ...).

Select notebooks with ``-k`` (for instance ``-k "sklearn and local"``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import REALWORLD, Notebook, S3Server, load_realworld  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402
from test_corpus import STORES, check_round_trip, jupyter, s3  # noqa: E402,F401 - the module's fixtures

NOTEBOOKS = load_realworld()
SOURCES = REALWORLD / "SOURCES.md"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=str)
def test_restores_isomorphically(notebook: Notebook, store: str, jupyter: JupyterServer, s3: S3Server):
    check_round_trip(notebook, store, jupyter, s3)


def source_rows() -> dict[str, list[str]]:
    """SOURCES.md's table: notebook file -> its other cells (origin, licence, changes, contents)."""
    rows = {}
    for line in SOURCES.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([^`]+\.ipynb)`", cells[0]) if line.startswith("|") else None
        if match:
            rows[match.group(1)] = cells[1:]
    return rows


def test_corpus_is_documented():
    """At least 20 notebooks from several projects, each with its origin (repository or release,
    path, commit or version) and licence in SOURCES.md, and each licence's notice kept."""
    assert len(NOTEBOOKS) >= 20
    rows = source_rows()
    files = sorted(n.path.name for n in NOTEBOOKS)
    assert sorted(rows) == files, "SOURCES.md must list exactly the notebooks of tests/realworld/"
    projects = {name.split("-", 1)[0] for name in files}
    assert len(projects) >= 3, projects
    for name, (origin, licence, *_rest) in rows.items():
        assert re.search(r"[0-9a-f]{40}|\b\d+\.\d+\.\d+\b", origin), f"{name}: no commit or version in {origin!r}"
        notice = re.search(r"LICENSES/[\w.-]+", licence)
        assert notice and (REALWORLD / notice.group(0)).is_file(), f"{name}: licence notice {licence!r} missing"
    for notebook in NOTEBOOKS:
        content = json.loads(notebook.path.read_text(encoding="utf-8"))
        assert content["nbformat"] == 4 and notebook.cells, f"{notebook.name}: not a notebook with code cells"
