"""The independent state comparison (state_compare.py) must tell different states apart.

Each case builds two namespaces from code (in this process, like a kernel's user namespace), dumps
both and compares: equal programs give no difference; a changed value, a broken or extra alias, a
broken or moved numpy view, a changed function, class, generator, file or lock must be reported,
naming the variable. Then the dump is run in real kernels: process-independent (hash seeds,
addresses) and invisible to the user namespace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "corpus"))

import state_compare  # noqa: E402
from harness import Kernel  # noqa: E402


def state(code: str, cwd: Path | None = None) -> dict:
    """Dump the namespace that ``code`` leaves (run as a notebook's __main__)."""
    ns: dict = {"__name__": "__main__"}
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        exec(compile(textwrap.dedent(code), "<cell>", "exec"), ns)
        return state_compare.dump(ns)
    finally:
        os.chdir(old)


def diffs(original: str, restored: str, cwd: Path | None = None) -> list[str]:
    return state_compare.compare(state(original, cwd), state(restored, cwd))


def assert_differs(original: str, restored: str, *needles: str, cwd: Path | None = None) -> list[str]:
    found = diffs(original, restored, cwd)
    assert found, "the two states were reported isomorphic"
    text = "\n".join(found)
    for needle in needles:
        assert needle in text, f"{needle!r} not in:\n{text}"
    return found


# -- equal programs are isomorphic --------------------------------------------------------------

RICH = """
import collections, datetime, decimal, functools, threading, io
import numpy as np, pandas as pd
shared = [1, 2]
alias = shared
box = {'a': shared, 'b': (shared, shared), 's': {'x', 'y', 'zz'}}
cyc = []; cyc.append(cyc)
base = np.arange(20.0); view = base[5:10]; t = base.reshape(4, 5).T
objs = np.array([shared, None], dtype=object)
df = pd.DataFrame({'a': [1, 2], 'b': ['x', None], 'c': pd.Categorical(['u', 'v'])})
frames = [df, df]
scale = 2
def f(x, d=[0]):
    return x * scale
g = f
class K:
    kind = 'k'
    def m(self): return self.v
k = K(); k.v = shared
def gen():
    yield 1; yield 2
it = gen(); next(it)
lock = threading.Lock(); lock.acquire()
sio = io.StringIO('abc'); sio.read(1)
when = datetime.datetime(2024, 1, 1); dec = decimal.Decimal('1.5')
od = collections.OrderedDict(a=1); dq = collections.deque([1, 2], maxlen=3)
part = functools.partial(f, 3)
rng = np.random.default_rng(5)
"""


def test_the_same_program_gives_isomorphic_states():
    assert diffs(RICH, RICH) == []


def test_a_dump_is_json_and_deterministic():
    a, b = state(RICH), state(RICH)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["errors"] == []


def test_hidden_names_and_modules_are_skipped():
    dumped = state("import math\n_hidden = 1\nIn = []\nvisible = 2")
    assert list(dumped["variables"]) == ["visible"]


# -- values ----------------------------------------------------------------------------------------

def test_value_change():
    assert_differs("x = [1, 2, 3]", "x = [1, 2, 4]", "x[2]", "3", "4")


def test_type_change():
    assert_differs("x = 1", "x = 1.0", "x:")


def test_missing_and_extra_variables():
    assert_differs("a = 1\nb = 2", "a = 1\nc = 2", "b: missing", "c: only in the restored")


def test_float_nan_and_negative_zero_are_values():
    assert diffs("x = [float('nan'), -0.0]", "x = [float('nan'), -0.0]") == []
    assert_differs("x = -0.0", "x = 0.0", "x")


def test_numpy_content_dtype_and_flags():
    assert_differs("import numpy as np\na = np.arange(10)", "import numpy as np\na = np.arange(10); a[3] = 0", "a.data")
    assert_differs("import numpy as np\na = np.arange(10)", "import numpy as np\na = np.arange(10, dtype=np.int32)", "a.dtype")
    assert_differs("import numpy as np\na = np.arange(10)",
                   "import numpy as np\na = np.arange(10); a.flags.writeable = False", "a.writeable")
    big = "import numpy as np\na = np.zeros(3_000_000)\n"
    assert_differs(big, big + "a[2_999_999] = 1", "a.data")


def test_pandas_values_index_dtypes():
    base = "import pandas as pd\ndf = pd.DataFrame({'a': [1.0, 2.0], 'b': ['x', 'y']}, index=[10, 20])\n"
    assert_differs(base, base + "df.loc[20, 'a'] = 5", "df")
    assert_differs(base, base + "df.index = [10, 21]", "df.index")
    assert_differs(base, base + "df['a'] = df['a'].astype('float32')", "df.dtypes")
    assert_differs(base, base + "df = df.rename(columns={'b': 'B'})", "df.columns")


def test_sklearn_fitted_state():
    code = """
from sklearn.linear_model import LinearRegression
import numpy as np
model = LinearRegression().fit(np.arange(10.0).reshape(-1, 1), np.arange(10.0) * 2)
"""
    assert diffs(code, code) == []
    assert_differs(code, code + "model.coef_[0] = 3.0", "model")
    assert_differs(code, code + "model.set_params(fit_intercept=False)", "model")


def test_matplotlib_figures():
    code = """
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
line, = ax.plot([1, 2, 3], [4, 5, 6])
ax.set_title('t')
"""
    assert diffs(code, code) == []
    assert_differs(code, code + "line.set_ydata([4, 5, 7])", "line")
    assert_differs(code, code + "ax.set_title('other')", "title")
    # the axes of another figure: the figure/axes sharing is broken
    assert_differs(code, code + "fig, _unused = plt.subplots()", "fig")


# -- sharing, views, functions, classes -------------------------------------------------------------

NP = "import numpy as np\n"
MAKER = "def mk(v):\n    def inner():\n        return v\n    return inner\n"
ELSEWHERE = "_other = {'__name__': '__main__'}\nexec('def f():\\n    return 1', _other)\nf = _other['f']"
DIFFERENT = [
    ("broken alias", "a = [1]\nb = a", "a = [1]\nb = [1]", ["sharing broken"]),
    ("extra alias", "a = [1]\nb = [1]", "a = [1]\nb = a", ["extra sharing"]),
    ("alias inside a tuple", "l = [0]\npair = (l, l)", "l = [0]\npair = (l, list(l))", ["pair[1]", "sharing broken"]),
    ("repeated row", "row = [0] * 3\nm = [row] * 3", "m = [[0] * 3 for _ in range(3)]", ["sharing broken"]),
    ("broken cycle", "c = []\nc.append(c)", "c = []\nc.append([c])", ["c[0]"]),
    ("view copied", NP + "base = np.arange(10.0)\nview = base[2:5]", NP + "base = np.arange(10.0)\nview = base[2:5].copy()",
     ["numpy view broken", "view"]),
    ("view moved", NP + "base = np.zeros(10)\nview = base[2:5]", NP + "base = np.zeros(10)\nview = base[3:6]",
     ["numpy view moved", "byte 16", "byte 24"]),
    ("extra view", NP + "x = np.zeros(4)\ny = np.zeros(2)", NP + "x = np.zeros(4)\ny = x[:2]", ["extra numpy sharing"]),
    ("views of a hidden base", NP + "_b = np.arange(20.0)\nv1 = _b[0:12]\nv2 = _b[8:20]",
     NP + "v1 = np.arange(20.0)[0:12]\nv2 = np.arange(20.0)[8:20]", ["numpy view broken", "v2"]),
    ("function body", "def f(x):\n    return x + 1", "def f(x):\n    return x + 2", ["f.code"]),
    ("function default", "def f(x=1):\n    return x", "def f(x=2):\n    return x", ["f.defaults"]),
    ("closure", MAKER + "g = mk(1)", MAKER + "g = mk(2)", ["g.closure.v"]),
    ("global a function reads", "def f():\n    return y\ny = 1", "def f():\n    return y\n", ["y: missing"]),
    ("function globals", "def f():\n    return 1", ELSEWHERE, ["f.globals"]),
    ("instance of a redefined class", "class A:\n    v = 1\nobj = A()\nclass A:\n    v = 2",
     "class A:\n    v = 2\nobj = A()", ["obj"]),
]


@pytest.mark.parametrize(("original", "restored", "needles"), [c[1:] for c in DIFFERENT], ids=[c[0] for c in DIFFERENT])
def test_differences_are_reported(original: str, restored: str, needles: list[str]):
    assert_differs(original, restored, *needles)


def test_instance_attribute_and_class_state():
    base = "class A:\n    tags = []\n    def __init__(self):\n        self.x = 1\nobj = A()\n"
    assert_differs(base, base + "obj.x = 2", "obj.x")
    assert_differs(base, base + "A.tags.append(1)", "A.tags")


def test_generator_position():
    code = "def gen():\n    for i in range(5):\n        yield i\ng = gen()\nnext(g)\n"
    assert diffs(code, code) == []
    assert_differs(code, code + "next(g)", "g.")


def test_file_position_and_closed(tmp_path: Path):
    (tmp_path / "f.txt").write_text("line one\nline two\n")
    code = "fh = open('f.txt')\nfh.readline()\n"
    assert diffs(code, code, cwd=tmp_path) == []
    assert_differs(code, "fh = open('f.txt')\n", "fh.position", cwd=tmp_path)
    assert_differs(code, code + "fh.close()", "fh.closed", cwd=tmp_path)


def test_lock_state():
    assert_differs("import threading\nl = threading.Lock()\nl.acquire()", "import threading\nl = threading.Lock()", "l.locked")


def test_random_generator_state():
    a = "import numpy as np\nrng = np.random.default_rng(1)"
    assert diffs(a, a) == []
    assert_differs(a, a + "\nrng.random()", "rng.state")


def test_describing_does_not_change_the_namespace(tmp_path: Path):
    (tmp_path / "f.txt").write_text("a\nb\nc\n")
    ns: dict = {"__name__": "__main__"}
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec("fh = open('f.txt')\nfh.readline()\ndef gen():\n    yield 1\n    yield 2\ng = gen()\nnext(g)\nit = iter([1, 2, 3])\nnext(it)", ns)
        before = state_compare.dump(ns)
        after = state_compare.dump(ns)
        assert state_compare.compare(before, after) == []
        assert ns["fh"].readline() == "b\n"
        assert next(ns["g"]) == 2
        assert next(ns["it"]) == 2
    finally:
        os.chdir(old)


def test_undescribable_objects_are_reported():
    class Weird:
        __slots__ = ()

        def __reduce_ex__(self, protocol):
            raise RuntimeError("no")

        def __repr__(self):
            raise RuntimeError("no repr")

    ns = {"w": Weird()}
    ns["w"].__class__.__module__ = "somewhere"
    dumped = state_compare.dump(ns)
    assert "unpicklable" in json.dumps(dumped)


# -- real kernels ------------------------------------------------------------------------------------------

def test_dump_is_process_independent(tmp_path: Path):
    """The same program in two processes with different hash seeds gives identical dumps."""
    script = tmp_path / "dump.py"
    script.write_text(textwrap.dedent(f"""
        import sys, json
        sys.path.insert(0, {str(Path(state_compare.__file__).parent)!r})
        import state_compare
        ns = {{"__name__": "__main__"}}
        exec({RICH!r}, ns)
        print(json.dumps(state_compare.dump(ns)))
    """))
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True)
        outputs.append(json.loads(proc.stdout))
    assert state_compare.compare(*outputs) == []


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    started = [Kernel.start(tmp_path_factory.mktemp("compare-kernel")) for _ in range(2)]
    yield started
    for kernel in started:
        kernel.shutdown()


KERNEL_CODE = """\
import numpy as np
class P:
    def __init__(self, v):
        self.v = v
data = np.arange(12.0)
view = data[3:9]
items = [P(data), P(view)]
items.append(items[0])
names = {'alpha', 'beta', 'gamma', 'delta'}
def fn(x):
    return x * len(names)
%time total = float(data.sum())
"""


def test_kernels_give_isomorphic_dumps_and_see_differences(kernels):
    first, second = kernels
    for kernel in kernels:
        assert kernel.execute(KERNEL_CODE)["status"] == "ok"
    a = state_compare.dump_kernel(first.client)
    b = state_compare.dump_kernel(second.client)
    assert a["errors"] == [] and set(a["variables"]) == {"P", "data", "view", "items", "names", "fn", "total"}
    assert state_compare.compare(a, b) == []
    assert second.execute("items[2] = P(data)\nview = view.copy()\nitems[1].v = view")["status"] == "ok"
    found = "\n".join(state_compare.compare(a, state_compare.dump_kernel(second.client)))
    assert "items[2]" in found and "numpy view broken" in found


def test_the_dump_leaves_no_trace_in_the_namespace(kernels):
    kernel = kernels[0]
    who = "__import__('json').dumps(sorted(get_ipython().user_ns))"
    before = kernel.evaluate(who)
    count = kernel.evaluate("str(get_ipython().execution_count)")
    state_compare.dump_kernel(kernel.client)
    state_compare.dump_kernel(kernel.client)
    assert kernel.evaluate(who) == before
    assert kernel.evaluate("str(get_ipython().execution_count)") == count


def test_pickling_an_instance_is_not_a_change_of_its_class():
    code = "class Box:\n    pass\nbox = Box()\n"
    assert diffs(code, code + "box.__reduce_ex__(2)\nassert '__slotnames__' in vars(Box)") == []
