"""Linked groups (variables sharing an object), read-only cells, and the recording cost."""

from __future__ import annotations

import statistics

from agent_helpers import KernelSession


def test_alias_is_linked(nb: KernelSession) -> None:
    ex = nb.run("a = [1]\nb = a\nc = [1]")
    assert ex.groups == {frozenset({"a", "b"}), frozenset({"c"})}


def test_container_holding_another_variable_is_linked(nb: KernelSession) -> None:
    ex = nb.run("l1 = [1, 2]\nl2 = [l1]\nd = {'x': {'y': l1}}\nother = [l1[0]]")
    assert ex.groups == {frozenset({"l1", "l2", "d"}), frozenset({"other"})}


def test_lazy_iterators_are_linked_with_what_they_iterate(nb: KernelSession) -> None:
    ex = nb.run("source = [1, 2, 3]\nmapped = map(str, source)\npairs = zip(source, 'abc')\nlone = iter([4, 5])")
    assert ex.groups == {frozenset({"source", "mapped", "pairs"}), frozenset({"lone"})}


def test_numpy_view_and_base_are_linked(nb: KernelSession) -> None:
    ex = nb.run("import numpy as np\nbase = np.arange(10)\nview = base[2:5]\ncopy = base[2:5].copy()")
    assert ex.groups == {frozenset({"np"}), frozenset({"base", "view"}), frozenset({"copy"})}


def test_views_of_one_base_are_linked_without_the_base(nb: KernelSession) -> None:
    nb.run("import numpy as np\nbase = np.arange(10)\nv1 = base[:3]\nv2 = base[5:]")
    ex = nb.run("del base")
    assert ex.deletes == {"base"}
    assert ex.groups == {frozenset({"np"}), frozenset({"v1", "v2"})}


def test_dataframe_and_series_sharing_a_buffer_are_linked(nb: KernelSession) -> None:
    nb.run("import numpy as np\nimport pandas as pd\ndf = pd.DataFrame({'a': [1.0, 2.0], 'b': [3.0, 4.0]})")
    ex = nb.run("s = df['a']\nt = df.describe()")
    shares = nb.evaluate("str(int(np.shares_memory(s.to_numpy(), df.to_numpy())))")
    assert shares == 1, "this pandas version copies: the test's premise does not hold"
    # describe() builds new data: it must not be linked through the shared column Index.
    assert ex.groups == {frozenset({"np"}), frozenset({"pd"}), frozenset({"df", "s"}), frozenset({"t"})}


def test_rebinding_breaks_a_link(nb: KernelSession) -> None:
    nb.run("a = [1]\nb = a")
    ex = nb.run("b = list(b)")
    assert ex.writes == {"b"}
    assert ex.groups == {frozenset({"a"}), frozenset({"b"})}


def test_link_created_by_mutation_joins_groups(nb: KernelSession) -> None:
    nb.run("a = []\nb = [0]")
    ex = nb.run("a.append(b)")
    assert (ex.reads, ex.writes) == ({"a", "b"}, {"a"})
    assert ex.groups == {frozenset({"a", "b"})}


def test_object_attribute_links_instance_and_value(nb: KernelSession) -> None:
    ex = nb.run("class Node:\n    pass\nn = Node()\npayload = {'k': 1}\nn._data = payload")
    # The class is not linked to its instances: it is copied by reference to its definition.
    assert ex.groups == {frozenset({"Node"}), frozenset({"n", "payload"})}


def test_variables_created_outside_recorded_cells_are_in_groups(nb: KernelSession) -> None:
    assert nb.execute("quiet = [1]\nalias = quiet").status == "ok"  # no header: not recorded
    ex = nb.run("x = 1")
    assert ex.writes == {"x"}
    assert ex.groups == {frozenset({"quiet", "alias"}), frozenset({"x"})}


def test_groups_partition_all_live_variables(nb: KernelSession) -> None:
    nb.run("import numpy as np\nshared = [0]\npool = [[shared] if i % 3 == 0 else [i] for i in range(30)]")
    ex = nb.run("\n".join(f"v{i} = pool[{i}]" for i in range(30)) + "\ndel pool")
    assert ex.deletes == {"pool"}
    live = set(nb.evaluate("__import__('json').dumps([n for n in globals() if n[0] != '_' and n not in ('In', 'Out', 'get_ipython', 'exit', 'quit', 'open')])"))
    members = [name for group in ex.groups for name in group]
    assert sorted(members) == sorted(live), "every live variable must be in exactly one group"
    expected = {frozenset({"np"}), frozenset({"shared"} | {f"v{i}" for i in range(0, 30, 3)})}
    expected |= {frozenset({f"v{i}"}) for i in range(30) if i % 3}
    assert ex.groups == expected


def test_printing_a_dataframe_writes_nothing(nb: KernelSession) -> None:
    nb.run("import pandas as pd\ndf = pd.DataFrame({'a': [1, 2], 's': ['x', 'y']})")
    ex = nb.run("print(df)\ndf.head()")
    assert (ex.reads, ex.writes, ex.deletes) == ({"df"}, set(), set())
    assert "x" in ex.stdout


def test_len_of_a_list_writes_nothing(nb: KernelSession) -> None:
    nb.run("l = [1, [2, 3], {'k': 'v'}]")
    ex = nb.run("len(l)")
    assert (ex.reads, ex.writes) == ({"l"}, set())
    assert ex.results == ["3"]


def test_numpy_sum_writes_nothing(nb: KernelSession) -> None:
    nb.run("import numpy as np\narr = np.arange(100).reshape(10, 10)")
    ex = nb.run("arr.sum()")
    assert (ex.reads, ex.writes) == ({"arr"}, set())
    assert ex.results == ["np.int64(4950)"]


def test_calling_a_pure_notebook_function_writes_nothing(nb: KernelSession) -> None:
    nb.run("offset = 1\ndef sq(x):\n    return x * x + offset\nvalues = [1, 2]")
    ex = nb.run("[sq(v) for v in values]")
    assert (ex.reads, ex.writes) == ({"sq", "offset", "values"}, set())


def test_reading_object_attributes_writes_nothing(nb: KernelSession) -> None:
    nb.run("class P:\n    def __init__(self):\n        self._x = [1]\n    @property\n    def x(self):\n        return self._x\np = P()")
    ex = nb.run("p.x[0] + 1")
    assert (ex.reads, ex.writes) == ({"p"}, set())


def test_sklearn_predict_writes_nothing(nb: KernelSession) -> None:
    nb.run(
        "import numpy as np\nfrom sklearn.linear_model import LinearRegression\n"
        "X = np.arange(8.0).reshape(4, 2)\ny = X.sum(axis=1)\nmodel = LinearRegression().fit(X, y)"
    )
    ex = nb.run("pred = model.predict(X)")
    assert (ex.reads, ex.writes) == ({"model", "X"}, {"pred"})


def test_trivial_cell_overhead_with_many_variables(nb: KernelSession) -> None:
    nb.run(
        "import numpy as np\nimport pandas as pd\n"
        + "\n".join(f"var{i} = np.arange({i + 1000})" if i % 2 else f"var{i} = {{'k{i}': [{i}] * 50}}" for i in range(100))
        + "\nframe = pd.DataFrame({'a': range(1000)})"
    )
    costs = [nb.run(f"var1[0] + {i}").record["agentMs"] for i in range(15)]
    assert statistics.median(costs) < 5.0, costs


def test_buffers_too_large_to_hash_after_a_quick_cell_are_sampled_and_flagged(nb: KernelSession) -> None:
    created = nb.run("import numpy as np\nbig = np.zeros(9_000_000)\nsmall = np.zeros(10)")  # 72 MB
    assert created.record["needsFullCheck"] == ["big"]
    assert created.record["variables"]["big"]["needsFullCheck"] is True
    assert created.record["variables"]["small"]["needsFullCheck"] is False
    ex = nb.run("big.sum()")
    assert (ex.reads, ex.writes, ex.record["needsFullCheck"]) == ({"big"}, set(), ["big"])
    ex = nb.run("big[0] = 1.0")
    assert ex.writes == {"big"}
    ex = nb.run("small[0] = 1.0")
    assert (ex.writes, ex.record["needsFullCheck"]) == ({"small"}, [])


def test_objects_sharing_through_slots_deques_and_partials_are_linked(nb: KernelSession) -> None:
    ex = nb.run(
        "import collections, functools\n"
        "class Slot:\n    __slots__ = ('v',)\n    def __init__(self, v):\n        self.v = v\n"
        "shared = [0]\ns1 = Slot(shared)\ns2 = Slot([0])\n"
        "items = [1]\ndq = collections.deque([items])\n"
        "def f(a):\n    return a\np = functools.partial(f, 1)"
    )
    assert ex.groups == {
        frozenset({"collections"}), frozenset({"functools"}), frozenset({"Slot"}),
        frozenset({"shared", "s1"}), frozenset({"s2"}), frozenset({"items", "dq"}), frozenset({"f", "p"}),
    }


def test_estimator_holding_a_user_list_is_linked_to_it(nb: KernelSession) -> None:
    ex = nb.run(
        "from sklearn.pipeline import Pipeline\nfrom sklearn.preprocessing import StandardScaler\n"
        "steps = [('scale', StandardScaler())]\npipe = Pipeline(steps)\nother = Pipeline([('s', StandardScaler())])"
    )
    assert ex.groups == {
        frozenset({"Pipeline"}), frozenset({"StandardScaler"}), frozenset({"steps", "pipe"}), frozenset({"other"}),
    }
