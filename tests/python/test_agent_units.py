"""Unit-level checks of the agent's parts, without a kernel: the header transformer, the static
analysis, fingerprints and the link index. (The kernel suites cover the same rules end to end.)"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import numpy as np
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from elastic_notebook.bootstrap import AGENT_DIR


def _load_agent() -> ModuleType:
    name = "_elastic_notebook_agent_unit"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, AGENT_DIR / "__init__.py", submodule_search_locations=[str(AGENT_DIR)]
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


agent = _load_agent()
intercept = sys.modules[agent.__name__ + ".intercept"]
analysis = sys.modules[agent.__name__ + ".analysis"]
fingerprint_mod = sys.modules[agent.__name__ + ".fingerprint"]
groups_mod = sys.modules[agent.__name__ + ".groups"]
names_mod = sys.modules[agent.__name__ + ".names"]


@pytest.fixture
def manager() -> TransformerManager:
    tm = TransformerManager()
    tm.cleanup_transforms.insert(0, intercept.strip_header)
    return tm


def test_header_is_stripped_and_the_rest_untouched(manager: TransformerManager) -> None:
    lines = ["%%intercept --cell-index 2\n", "x = 1\n", "%%intercept\n"]
    before = list(lines)
    assert intercept.strip_header(lines) == ["x = 1\n", "%%intercept\n"]
    assert lines == before  # pure: the input list is not changed
    assert intercept.strip_header(["%%interceptor\n"]) == ["%%interceptor\n"]
    assert manager.transform_cell("%%intercept\n!echo hi\n") == "get_ipython().system('echo hi')\n"


def test_is_complete_sees_the_body(manager: TransformerManager) -> None:
    assert manager.check_complete("%%intercept --cell-id a\nfor i in x:\n")[0] == "incomplete"
    assert manager.check_complete("%%intercept --cell-id a\nx = 1\n")[0] == "complete"


def test_header_options_parse() -> None:
    assert intercept.parse_header("%%intercept --cell-index 3 --cell-id 'a b'\nx") == {"cell_index": 3, "cell_id": "a b"}
    assert intercept.parse_header("%%intercept --cell-index nope\n") == {"cell_index": None, "cell_id": None}


@pytest.mark.parametrize(
    ("code", "reads", "stores"),
    [
        ("y = x", {"x"}, {"y"}),
        ("x = 1\ny = x", set(), {"x", "y"}),
        ("x += 1", {"x"}, {"x"}),
        ("f = lambda a: a + b", {"b"}, {"f"}),
        ("def f():\n    global g\n    g = h\nf()", {"h"}, {"f"}),
        ("[a for a in b if a > c]", {"b", "c"}, set()),
        ("class C(B):\n    z = w\n    def m(self):\n        return q", {"B", "w"}, {"C"}),
        ("import os.path as p, sys\nfrom json import dumps", set(), {"p", "sys", "dumps"}),
        ("try:\n    v = 1\nexcept E as err:\n    pass\nu = v", {"E", "v"}, {"v", "err", "u"}),
    ],
)
def test_static_analysis(code: str, reads: set[str], stores: set[str]) -> None:
    result = analysis.analyse_cell(code)
    assert (result.reads, result.stores) == (reads, stores)


def test_analysis_flags_code_it_cannot_see() -> None:
    assert analysis.analyse_cell("exec('x = 1')").calls_unknown_code
    assert analysis.analyse_cell("get_ipython().run_line_magic('run', 'x.py')").calls_unknown_code
    assert not analysis.analyse_cell("print(1)").calls_unknown_code
    assert analysis.analyse_cell("x = (") is None


def test_indirect_globals_follow_notebook_functions_transitively() -> None:
    ns: dict = {}
    exec("rate = 2\nname = 'n'\ndef a():\n    return b() * rate\ndef b():\n    return len(name)\nunrelated = 1", ns)
    assert analysis.indirect_globals({"a"}, ns) == {"b", "rate", "name"}


def test_fingerprint_detects_deep_changes_and_is_stable() -> None:
    class Obj:
        def __init__(self) -> None:
            self._hidden = {"k": [1, 2]}

    value = {"o": Obj(), "arr": np.arange(10)}
    fp = fingerprint_mod.fingerprint
    first = fp(value, {})
    assert fp(value, {}).same_as(first)
    value["o"]._hidden["k"].append(3)
    second = fp(value, {})
    assert not second.same_as(first)
    value["arr"][5] = -1
    assert not fp(value, {}).same_as(second)


def test_fingerprint_never_touches_user_arrays() -> None:
    arr = np.arange(1000.0)
    view = arr[::2]
    flags = (arr.flags.writeable, view.flags.writeable)
    fingerprint_mod.fingerprint(view, {})
    assert (arr.flags.writeable, view.flags.writeable) == flags
    view[0] = 5  # still writable
    assert arr[0] == 5


def test_large_buffers_beyond_the_budget_are_sampled_and_flagged() -> None:
    arr = np.zeros(1_000_000)
    full = fingerprint_mod.fingerprint(arr, {}, budget_bytes=100_000_000)
    sampled = fingerprint_mod.fingerprint(arr, {}, budget_bytes=1000)
    assert (full.partial, sampled.partial) == (False, True)
    arr[0] = 1  # the first sample always covers the start
    assert not fingerprint_mod.fingerprint(arr, {}, budget_bytes=1000).same_as(sampled)


def test_unobservable_values_never_compare_equal() -> None:
    gen = (i for i in range(3))
    fp = fingerprint_mod.fingerprint(gen, {})
    assert not fp.observable and not fp.same_as(fp)
    assert id(gen) in fp.ids


def test_link_index_groups_and_incremental_updates() -> None:
    index = groups_mod.LinkIndex()
    index.update("a", frozenset({1, 2}))
    index.update("b", frozenset({2, 3}))
    index.update("c", frozenset({4}))
    assert index.groups(["a", "b", "c", "d"]) == [["a", "b"], ["c"], ["d"]]
    assert index.linked_with({"a"}) == {"a", "b"}
    index.update("b", frozenset({3}))
    assert index.groups(["a", "b", "c"]) == [["a"], ["b"], ["c"]]
    index.update("c", frozenset({3}))
    index.remove("b")
    assert index.groups(["a", "c"]) == [["a"], ["c"]]


@pytest.mark.parametrize(
    ("name", "is_user"),
    [("x", True), ("_x", True), ("_", False), ("__", False), ("___", False), ("_i", False), ("_ii", False),
     ("_iii", False), ("_i12", False), ("_12", False), ("_ih", False), ("_oh", False), ("_dh", False),
     ("In", False), ("Out", False), ("__name__", False), ("__x", True)],
)
def test_user_names(name: str, is_user: bool) -> None:
    assert names_mod.is_user_name(name, set()) is is_user


def test_user_names_lists_exactly_what_is_user_name_accepts() -> None:
    ns = dict.fromkeys(["x", "_x", "_", "__", "_i3", "_7", "In", "Out", "__name__", "__x", "hidden", "df"])
    assert names_mod.user_names(ns, {"hidden": 1}) == ["x", "_x", "__x", "df"]


def test_analysis_is_cached_by_code_and_hands_out_copies() -> None:
    first = analysis.analyse_cell("y = x + 1")
    first.reads.add("mutated by a caller")
    first.stores.clear()
    again = analysis.analyse_cell("y = x + 1")
    assert (again.reads, again.stores, again.calls_unknown_code) == ({"x"}, {"y"}, False)
    assert analysis.analyse_cell("x = (") is None
    assert analysis.analyse_cell("x = (") is None


def test_indirect_globals_never_runs_user_attribute_hooks() -> None:
    """Looking for a partial's ``func`` must not call ``__getattr__`` (a DataFrame's looks for a
    column of that name); partial-like objects keeping ``func`` in their ``__dict__`` still count."""
    ns: dict = {}
    exec(
        "import functools\nrate = 3\ndef f(a):\n    return a * rate\n"
        "class Lazy:\n    calls = []\n    def __getattr__(self, name):\n        Lazy.calls.append(name)\n        raise AttributeError(name)\n"
        "lazy = Lazy()\n"
        "class Bound:\n    def __init__(self):\n        self.func = f\n        self.args = ()\n"
        "bound = Bound()\np = functools.partial(f, 2)",
        ns,
    )
    assert analysis.indirect_globals({"lazy"}, ns) == set()
    assert ns["Lazy"].calls == []
    assert analysis.indirect_globals({"bound"}, ns) == {"rate"}
    assert analysis.indirect_globals({"p"}, ns) == {"rate"}


def test_link_index_keeps_groups_right_across_cached_updates() -> None:
    index = groups_mod.LinkIndex()
    index.update("a", frozenset({1, 2}))
    index.update("b", frozenset({3}))
    assert index.groups(["a", "b"]) == [["a"], ["b"]]
    index.update("b", frozenset({3, 2}))  # b now shares 2 with a
    assert index.groups(["a", "b"]) == [["a", "b"]]
    index.update("a", frozenset({1, 2, 9}))  # a change that touches no shared id
    assert index.linked_with({"b"}) == {"a", "b"}
    index.update("a", frozenset({1}))  # the shared id is gone
    assert index.groups(["a", "b"]) == [["a"], ["b"]]
    index.update("c", frozenset({1}))
    assert index.linked_with({"c"}) == {"a", "c"}
    index.remove("a")
    assert index.groups(["b", "c"]) == [["b"], ["c"]]


@pytest.mark.parametrize(
    ("code", "reads", "stores", "unknown"),
    [
        ("y = globals()['x'] + 1", {"x"}, {"y"}, False),
        ("globals()['z'] = 5", set(), {"z"}, False),
        ("globals()['n'] += 1", {"n"}, {"n"}, False),
        ("x = 1\ny = globals()['x']", set(), {"x", "y"}, False),
        ("def f():\n    x = 1\n    return globals()['x']\nf()", {"x"}, {"f"}, False),
        ("globals()[name]", {"globals", "name"}, set(), True),
        ("globals().update(a=1)", {"globals"}, set(), True),
        ("def f():\n    return locals()\nf()", {"locals"}, {"f"}, False),
        ("g = lambda: vars()", {"vars"}, {"g"}, False),
        ("locals()", {"locals"}, set(), True),
        ("vars()", {"vars"}, set(), True),
        ("[locals() for _ in range(2)]", {"range", "locals"}, set(), True),
        ("def f():\n    return globals()\nf()", {"globals"}, {"f"}, True),
        ("d = vars(obj)", {"obj", "vars"}, {"d"}, True),
    ],
)
def test_namespace_access_is_exact_when_the_names_are_known(
    code: str, reads: set[str], stores: set[str], unknown: bool
) -> None:
    """globals() with a constant key names one global; locals() in a function is its own."""
    result = analysis.analyse_cell(code)
    assert (result.reads, result.stores, result.calls_unknown_code) == (reads, stores, unknown)


def test_link_index_with_three_owners_of_one_object() -> None:
    index = groups_mod.LinkIndex()
    for name in ("a", "b", "c"):
        index.update(name, frozenset({1, ord(name)}))
    assert index.groups(["a", "b", "c", "d"]) == [["a", "b", "c"], ["d"]]
    first = index.groups(["a", "b", "c", "d"])
    first[0].append("mutated by a caller")
    assert index.groups(["a", "b", "c", "d"]) == [["a", "b", "c"], ["d"]]
    index.remove("b")
    assert index.groups(["a", "c"]) == [["a", "c"]]
    index.update("a", frozenset({97}))
    assert index.groups(["a", "c"]) == [["a"], ["c"]]
    index.update("a", frozenset({97, 1}))
    assert index.linked_with({"a"}) == {"a", "c"}
