"""Checkpoint-time fingerprints do not depend on the process: every kind of value the fingerprint
walker has a path for gets the same digest in two fresh interpreters with different
``PYTHONHASHSEED`` values (so str hashes, set orders, addresses and ids all differ), both when each
interpreter builds the values itself and when the second one unpickles what the first one
serialized with the agent's own serializer (what a restore does). Values that cannot be compared
across processes (matplotlib artists, wherever they sit; generators) are reported as not comparable
with a reason, by both interpreters alike.

This file is also the script each interpreter runs: ``python test_fingerprint_stability.py build
OUT`` builds the values of :data:`KINDS`, fingerprints them and writes them serialized;
``python test_fingerprint_stability.py load OUT`` builds them too, and also loads the payload of a
``build`` run into a second namespace. Both print their fingerprints as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# One variable per kind of value; each holds something the others do not (their digests differ).
KINDS = r'''
import array, collections, dataclasses, datetime, decimal, enum, fractions, functools, pathlib, re, types, uuid
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sklearn.datasets import load_iris
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

# primitives, text, bytes
an_int, a_big_int, a_float, a_complex, a_bool, a_none = 42, 2**100, 1.5, 1 + 2j, True, None
a_str, a_bytes, a_bytearray, a_range, an_ellipsis = "héllo wörld", b"\x00\x01\xff", bytearray(b"abc"), range(3, 9, 2), ...
# containers
a_list = [1, "a", 2.0, None, [3, 4]]
a_long_list = list(range(2000))
a_str_list = [f"s{i}" for i in range(300)]
a_tuple = (1, (2, 3), "x", frozenset({"p", "q"}))
a_dict = {"z": 1, "a": [2, 3], 4: {"nested": (5,)}}
a_set_of_strs = {"alpha", "beta", "gamma", "delta", "epsilon"}
a_frozenset = frozenset({"x", "y", "z", "w"})
a_set_of_tuples = {("a", 1), ("b", 2), ("c", 3), ("d", 4)}
a_set_of_frozensets = {frozenset({"a", "b"}), frozenset({"c"}), frozenset({"d", "e", "f"})}
a_mixed_set = {1, "a", None, 2.5, ("t", "u")}
a_float_set = {float("nan"), 1.0, -3.5}
a_defaultdict = collections.defaultdict(list, {"k": [1], "j": [2, 3]})
an_ordered_dict = collections.OrderedDict([("b", 1), ("a", 2)])
a_counter = collections.Counter("hello world")
a_deque = collections.deque(["q", "r"], maxlen=5)
Pair = collections.namedtuple("Pair", "left right")
a_namedtuple = Pair("l", {"r"})
shared = [0]
sharing = {"one": shared, "two": shared, "set": {"m", "n"}}
cyclic = [1]
cyclic.append(cyclic)
# numpy
an_array = np.arange(12.0).reshape(3, 4)
a_fortran_array = np.asfortranarray(np.arange(6).reshape(2, 3))
a_view = an_array[:, 1]
an_object_array = np.array(["a", None, 1, {"x"}], dtype=object)
a_record_array = np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8")])
a_masked_array = np.ma.masked_array(np.arange(5.0), mask=[0, 1, 0, 0, 1], fill_value=-1.0)
a_nomask_array = np.ma.masked_array([1, 2, 3])
a_matrix = np.matrix([[1, 2], [3, 4]])
a_scalar = np.float64(3.5)
a_dtype = np.dtype("float64")
some_dtypes = [np.dtype("int32"), np.dtype(">f8"), np.int32(7).dtype, np.dtype("float64")]
a_generator_rng = np.random.default_rng(7)
# pandas
a_frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "c": pd.Categorical(["p", "q", "p"]), "d": [0.5, None, 1.5]})
a_series = pd.Series([1.0, 2.0], index=["i", "j"], name="s")
a_string_series = pd.Series(["u", None, "v"], dtype="string")
an_index = pd.Index(["k", "l", "m"])
a_range_index = pd.RangeIndex(2, 10, 2)
a_categorical = pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True)
a_date_index = pd.date_range("2020-01-01", periods=3, tz="UTC")
a_multi_index_frame = a_frame.set_index(["b", "c"])
# notebook functions and classes (copied by value on a checkpoint)
def a_function(x, y=2, *, z=3):
    """Doc."""
    return x + y + z if x in {"alpha", "beta", "gamma"} else 0
a_lambda = lambda q, r=(1, "two"): (q, r)
def make_counter():
    count = 0
    def increment():
        nonlocal count
        count += 1
        return count
    return increment
a_closure = make_counter()
a_closure()
def decorate(f):
    @functools.wraps(f)
    def wrapper(*args):
        return f(*args)
    return wrapper
a_wrapped = decorate(a_function)
a_partial = functools.partial(a_function, 1, z=4)
class Template:
    """A class attribute holding a string template, and methods."""
    template = "Hello, {name}!"
    defaults = {"greeting": "hi", "names": {"ann", "bob"}}
    def __init__(self, name):
        self.name = name
    def greet(self):
        return self.template.format(name=self.name)
    @property
    def upper(self):
        return self.name.upper()
    @staticmethod
    def helper(x=1):
        return x
    @classmethod
    def build(cls):
        return cls("built")
    class Inner:
        level = 2
an_instance = Template("world")
class Sub(Template):
    template = "Hi, {name}."
a_sub_instance = Sub("sub")
class Slotted:
    __slots__ = ("a", "b")
    def __init__(self):
        self.a = [1]
a_slotted = Slotted()
@dataclasses.dataclass
class Point:
    x: int = 0
    tags: list = dataclasses.field(default_factory=list)
a_dataclass = Point(3, ["t"])
class Color(enum.Enum):
    RED = 1
    GREEN = "green"
a_member = Color.GREEN
a_library_enum = re.IGNORECASE
class Node:
    def __init__(self, name):
        self.name = name
        self.peers = set()
node_a, node_b, node_c = Node("a"), Node("b"), Node("c")
node_a.peers.update({node_b, node_c})
node_b.peers.add(node_a)
a_graph = {node_a, node_b, node_c}  # a set of instances (ordered by address) with cycles through sets
from sklearn.base import BaseEstimator, ClassifierMixin
class CustomEstimator(BaseEstimator, ClassifierMixin):  # its base's __init_subclass__ adds methods
    def __init__(self, parameter=1):
        self.parameter = parameter
    def fit(self, X, y):
        self.fitted_ = True
        return self
    def score(self, X, y):
        return 0.5
a_custom_estimator = CustomEstimator(parameter=2).fit(None, None)
class AttrDict(dict):  # attributes are items
    def __init__(self, **kw):
        super().__init__(kw)
        self.__dict__ = self
an_attr_dict = AttrDict(alpha=1, beta=[2])
from statsmodels.datasets.utils import Dataset
a_statsmodels_dataset = Dataset(data=np.arange(3.0), names=["n"], title="t")
def local_class():
    class Local:
        value = "local"
    return Local
a_local_class = local_class()
# library value types
a_datetime = datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)
a_date, a_timedelta = datetime.date(2021, 5, 6), datetime.timedelta(days=2, seconds=3)
a_decimal, a_fraction = decimal.Decimal("1.10"), fractions.Fraction(3, 7)
a_path, a_uuid = pathlib.PurePosixPath("/data/iris.csv"), uuid.UUID(int=12345)
a_pattern = re.compile(r"a+b", re.I)
a_stdlib_array = array.array("i", [1, 2, 3])
a_timestamp = pd.Timestamp("2020-01-01 12:00", tz="UTC")
# scikit-learn: estimators holding estimators, fitted and not; a dataset bunch holding paths
an_unfitted_pipeline = make_pipeline(SimpleImputer(strategy="mean"), PolynomialFeatures(degree=2), LinearRegression())
X = np.random.RandomState(0).rand(30, 3)
y = X @ np.array([1.0, -2.0, 0.5])
a_fitted_pipeline = make_pipeline(SimpleImputer(), StandardScaler(), LinearRegression()).fit(X, y)
iris = load_iris()
iris_frame = load_iris(as_frame=True)
# module-level objects of libraries (by reference, with their state): numpy's global generator
# (seeded from the OS at first use: its construction differs between processes) at one state
import scipy.stats
from statsmodels.genmod.families import varfuncs
np.random.set_state(np.random.RandomState(11).get_state())  # its OS-made seed sequence is kept
library_globals = {"rng": np.random.mtrand._rand, "t": scipy.stats.t, "variance": varfuncs.mu_squared, "missing": dataclasses.MISSING}
# attributes set in a set's (hash) order, as statsmodels' SARIMAX results set theirs
class HashOrdered:
    def __init__(self):
        for name in {"_params_ar", "_params_ma", "_params_seasonal_ar", "_params_seasonal_ma", "_params_exog", "_params_variance"}:
            setattr(self, name, len(name))
hash_ordered_attributes = HashOrdered()
library_hash_ordered = types.SimpleNamespace()
for name in {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}:
    setattr(library_hash_ordered, name, name.upper())
# matplotlib: never compared, wherever the artists sit
fig, ax = plt.subplots()
ax.plot([1, 2, 3], [4, 5, 6])
image = ax.imshow(np.arange(9).reshape(3, 3))
points = ax.scatter([1, 2], [2, 1])
colorbar = fig.colorbar(image, ax=ax)
grid_fig, axes_array = plt.subplots(2, 2)
axes_dict = {"left": axes_array[0, 0]}
figure_pair = (grid_fig, "label")
'''

# Variables whose value cannot be compared across processes, and a word their reason must hold.
NOT_COMPARED = {
    "fig": "matplotlib",
    "ax": "matplotlib",
    "image": "matplotlib",
    "points": "matplotlib",
    "colorbar": "matplotlib",
    "grid_fig": "matplotlib",
    "axes_array": "matplotlib",
    "axes_dict": "matplotlib",
    "figure_pair": "matplotlib",
    "a_generator": "generator",
}
# Not serializable (a generator): left out of the payload.
UNSERIALIZABLE = {"a_generator"}


# -- the script each interpreter runs ---------------------------------------------------------------

def _agent():
    """The agent's checkpoint and by-value modules, loaded the way the kernel loads them."""
    import importlib.util

    sys.path.insert(0, str(ROOT))
    from elastic_notebook.bootstrap import AGENT_DIR

    name = "_elastic_notebook_agent"
    spec = importlib.util.spec_from_file_location(name, AGENT_DIR / "__init__.py", submodule_search_locations=[str(AGENT_DIR)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return sys.modules[f"{name}.checkpoint"], sys.modules[f"{name}.byvalue"]


def _namespace() -> tuple[dict, list[str]]:
    """A notebook-like namespace holding :data:`KINDS`, and its variable names."""
    import types

    ns: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(KINDS, "<cell>", "exec"), ns)
    ns["a_generator"] = (i for i in range(3))
    names = sorted(k for k, v in ns.items() if not k.startswith("_") and not isinstance(v, types.ModuleType))
    return ns, names


def _prints(checkpoint, ns: dict, names: list[str]) -> dict:
    return {name: checkpoint.full_fingerprint(ns, name) for name in names}


def _main(mode: str, payload: str) -> None:
    import pickle

    checkpoint, byvalue = _agent()
    ns, names = _namespace()
    out: dict = {"built": _prints(checkpoint, ns, names)}
    if mode == "build":
        members = [n for n in names if n not in UNSERIALIZABLE]
        pickled = byvalue.serialize({n: ns[n] for n in members}, ns)
        with open(payload, "wb") as f:
            pickle.dump((pickled.serializer, bytes(pickled.stream), [bytes(b) for b in pickled.buffers]), f)
        out["serializer"] = pickled.serializer
    else:
        with open(payload, "rb") as f:
            serializer, stream, buffers = pickle.load(f)
        restored: dict = {"__name__": "__main__", "__builtins__": __builtins__}
        values = byvalue.deserialize(stream, buffers, serializer, restored).value
        restored.update(values)
        out["loaded"] = _prints(checkpoint, restored, sorted(values))
    print(json.dumps(out))


# -- the test -----------------------------------------------------------------------------------------

def _run(mode: str, payload: Path, seed: str) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=seed, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, __file__, mode, str(payload)], env=env, capture_output=True, text=True, timeout=240, cwd=payload.parent
    )
    assert proc.returncode == 0, f"{mode} (PYTHONHASHSEED={seed}) failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mismatches(first: dict, second: dict) -> list[str]:
    problems = []
    for name in sorted(first):
        a, b = first[name], second.get(name)
        if b is None:
            problems.append(f"{name}: missing")
        elif a["comparable"] != b["comparable"] or a["digest"] != b["digest"]:
            problems.append(f"{name}: {a} then {b}")
    return problems


def test_fingerprints_do_not_depend_on_the_process(tmp_path: Path) -> None:
    payload = tmp_path / "kinds.pkl"
    first = _run("build", payload, "1")
    second = _run("load", payload, "4242")
    built, rebuilt, loaded = first["built"], second["built"], second["loaded"]

    # The walker saw every kind, and told them apart: no digest is shared by two variables.
    compared = {name: fp["digest"] for name, fp in built.items() if fp["comparable"]}
    assert sorted(compared) == sorted(set(built) - set(NOT_COMPARED)), sorted(compared)
    assert all(isinstance(d, str) and len(d) == 32 for d in compared.values())
    assert len(set(compared.values())) == len(compared), "two different values got one digest"

    # Values that cannot be compared say so, with a reason; nothing else is left out.
    not_compared = {name: fp.get("reason") or "" for name, fp in built.items() if not fp["comparable"]}
    assert sorted(not_compared) == sorted(NOT_COMPARED), not_compared
    for name, word in NOT_COMPARED.items():
        assert word in not_compared[name], (name, not_compared[name])

    # Built again in an interpreter with another hash seed: the same digests.
    assert not _mismatches(built, rebuilt), "\n".join(_mismatches(built, rebuilt))
    # Serialized by the agent (by value where needed) and loaded there: the same digests too.
    assert first["serializer"] == "cloudpickle"
    expected = {name: fp for name, fp in built.items() if name not in UNSERIALIZABLE}
    assert sorted(loaded) == sorted(expected)
    assert not _mismatches(expected, loaded), "\n".join(_mismatches(expected, loaded))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
