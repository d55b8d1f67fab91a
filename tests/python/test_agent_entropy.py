"""Cells drawing fresh OS entropy are flagged so that the planner never recomputes their results."""

from __future__ import annotations

import pytest

from elastic_notebook.agent.analysis import analyse_cell


@pytest.mark.parametrize(
    ("code", "fresh"),
    [
        ("rng = np.random.default_rng()", True),
        ("rng = np.random.default_rng(42)", False),
        ("rng = np.random.default_rng(seed=None)", True),
        ("rs = np.random.RandomState(None)", True),
        ("rs = np.random.RandomState(seed=7)", False),
        ("own = random.Random()", True),
        ("own = random.Random(5)", False),
        ("x = np.random.rand(3)  # the global generator: replayed from its recorded state", False),
        ("import uuid\nu = uuid.uuid4()", True),
        ("key = os.urandom(16)", True),
        ("token = secrets.token_hex(8)", True),
        ("def make():\n    return default_rng()\n", True),
        ("total = sum(range(10))", False),
        # Reading a global generator's state: unused generators' states are not kept in bundles.
        ("saved = np.random.get_state()", True),
        ("import random\nstate = random.getstate()", True),
        ("not python at all (", False),
    ],
)
def test_fresh_entropy_is_recognised(code: str, fresh: bool) -> None:
    names = analyse_cell(code)
    assert (names is not None and names.fresh_entropy) is fresh


def test_the_record_says_so(nb) -> None:
    assert nb.run("import numpy as np\nrng = np.random.default_rng()").record.get("nondeterministic") is True
    assert "nondeterministic" not in nb.run("seeded = np.random.default_rng(1)").record
