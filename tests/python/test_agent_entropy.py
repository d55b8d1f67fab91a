"""Cells drawing fresh OS entropy are flagged so that the planner never recomputes their results."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "entropy_under_test", Path(__file__).resolve().parents[2] / "elastic_notebook" / "agent" / "entropy.py"
)
entropy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(entropy)


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
        ("not python at all (", False),
    ],
)
def test_fresh_entropy_is_recognised(code: str, fresh: bool) -> None:
    assert entropy.draws_fresh_entropy(code) is fresh


def test_the_record_says_so(nb) -> None:
    assert nb.run("import numpy as np\nrng = np.random.default_rng()").record.get("nondeterministic") is True
    assert "nondeterministic" not in nb.run("seeded = np.random.default_rng(1)").record
