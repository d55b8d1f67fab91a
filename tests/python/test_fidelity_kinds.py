"""The object kinds real tutorial notebooks hold, checkpointed and restored through the CLI
against a real Jupyter server: the restore verifies itself (``verification.ok``, nothing under
``differ``) and the restored state is isomorphic to the original by the independent comparison
(state_compare.py).

Each notebook marks its variables "always copy", so that they really travel in the bundle (a
re-run would rebuild them and prove nothing about pickling or fingerprints):

* a notebook class with a class attribute holding a string template and methods (plus a nested
  class, ``__slots__``, a subclass, a dataclass), copied by value;
* scikit-learn pipelines: an unfitted ``make_pipeline(SimpleImputer(...), PolynomialFeatures(...),
  LinearRegression())`` and a fitted one (estimators holding estimators, fitted numpy state);
* the ``Bunch`` of ``sklearn.datasets.load_iris()`` (file names, ``DESCR``, ``frame=None``) and
  its ``as_frame=True`` variant;
* matplotlib axes after plotting (``plt.axes()``, ``plt.subplots()``, a colorbar), alone and
  inside an array, a dict and a tuple: reported under ``notCompared`` with a reason, never
  under ``differ``; the readable output of ``restore`` says so in one line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import run_cli  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402
from test_corpus import Session, assert_restored  # noqa: E402

CLASSES = [
    '''class Template:
    """Greets by a template."""
    template = "Hello, {name}! You are {age}."
    registry = {"kinds": {"friend", "stranger"}}

    def __init__(self, name, age):
        self.name = name
        self.age = age

    def render(self):
        return self.template.format(name=self.name, age=self.age)

    @property
    def initials(self):
        return self.name[:1].upper()

    @staticmethod
    def default_age():
        return 30

    @classmethod
    def anonymous(cls):
        return cls("anonymous", cls.default_age())

    class Options:
        verbose = False
''',
    '''class Formal(Template):
    template = "Dear {name} ({age})"

class Point:
    __slots__ = ("x", "y")
    def __init__(self, x, y):
        self.x, self.y = x, y

import dataclasses

@dataclasses.dataclass
class Record:
    name: str
    tags: list = dataclasses.field(default_factory=list)
''',
    '''greeting = Template("Ada", 36)
formal = Formal("Grace", 45)
point = Point(1, [2])
record = Record("r", ["t"])
rendered = greeting.render()
''',
]

PIPELINES = [
    '''import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
''',
    '''model = make_pipeline(SimpleImputer(strategy="median"), PolynomialFeatures(degree=2), LinearRegression())
model''',
    '''rng = np.random.RandomState(0)
X = rng.rand(40, 3)
X[::7, 1] = np.nan
y = np.nansum(X, axis=1)
fitted = make_pipeline(SimpleImputer(), StandardScaler(), PolynomialFeatures(2), LinearRegression()).fit(X, y)
score = fitted.score(X, y)
''',
]

BUNCHES = [
    '''from sklearn.datasets import load_iris
iris = load_iris()
iris.keys()''',
    '''iris_frame = load_iris(as_frame=True)
features = iris.feature_names
''',
]

AXES = [
    '''import matplotlib.pyplot as plt
import numpy as np
''',
    '''ax = plt.axes()
ax.plot([1, 2, 3], [3, 1, 2], label="line")
ax.legend()
''',
    '''fig, axs = plt.subplots(2, 2)
image = axs[0, 0].imshow(np.arange(16).reshape(4, 4))
colorbar = fig.colorbar(image, ax=axs[0, 0])
axs[1, 1].scatter([1, 2], [2, 1])
panels = {"top": axs[0, 1], "bottom": axs[1, 0]}
layout = (fig, "2x2")
''',
]

MATPLOTLIB_VARIABLES = ["ax", "axs", "colorbar", "fig", "image", "layout", "panels"]

CASES = {
    "by_value_class": (CLASSES, ["Template", "Formal", "Point", "Record", "greeting", "formal", "point", "record"]),
    "sklearn_pipeline": (PIPELINES, ["model", "fitted", "X", "y"]),
    "iris_bunch": (BUNCHES, ["iris", "iris_frame", "features"]),
    "matplotlib_axes": (AXES, MATPLOTLIB_VARIABLES),
}


def write_notebook(path: Path, cells: list[str], always_copy: list[str]) -> Path:
    """An nbformat 4.5 notebook of ``cells``, with ``always_copy`` marked "always copy"."""
    content = {
        "cells": [
            {"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
            for i, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "elastic_notebook": {"alwaysCopy": always_copy},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory):
    server = JupyterServer(tmp_path_factory.mktemp("fidelity-server")).start()
    yield server
    server.stop()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", sorted(CASES))
def test_kind_restores_verified_and_isomorphic(kind: str, jupyter: JupyterServer) -> None:
    cells, copied = CASES[kind]
    notebook = write_notebook(jupyter.root / "work" / kind / f"{kind}.ipynb", cells, copied)
    bundle = str(jupyter.root / "bundles" / kind)
    session = Session(jupyter, {})
    checkpoint, original = session.checkpoint(notebook, bundle)
    restore, restored = session.restore(bundle)
    assert_restored(kind, checkpoint, restore, original, restored)

    result = restore.json
    assert set(copied) <= set(result["loaded"]), f"{kind}: not every marked variable was copied: {result['loaded']}"
    verification = result["verification"]
    assert verification["differ"] == [], verification
    expected = MATPLOTLIB_VARIABLES if kind == "matplotlib_axes" else []
    assert verification["notCompared"] == expected, verification
    assert sorted(verification["notComparedReasons"]) == expected, verification
    for name in expected:
        assert "matplotlib" in verification["notComparedReasons"][name], verification

    if kind == "matplotlib_axes":
        # The readable output names the variables not compared and why, in one line.
        server = ["--server", jupyter.url, "--token", jupyter.token]
        text = run_cli(["restore", bundle, *server]).stdout
        lines = [line for line in text.splitlines() if "not compared" in line]
        assert len(lines) == 1, text
        for name in expected:
            assert f"{name}" in lines[0], lines[0]
        assert "holds a matplotlib.axes._axes.Axes: artists keep process-local caches" in lines[0], lines[0]
