"""What a recorded cell writes and deletes: creation, rebinding, deep in-place changes, errors.

Every case runs on a real ipykernel with the agent bootstrapped and asserts the exact sets.
"""

from __future__ import annotations

from agent_helpers import KernelSession


def test_creation(nb: KernelSession) -> None:
    ex = nb.run("a = 1\nb, (c, *d) = 2, (3, 4, 5)")
    assert (ex.reads, ex.writes, ex.deletes) == (set(), {"a", "b", "c", "d"}, set())
    assert ex.record["variables"]["a"]["type"] == "builtins.int"


def test_rebinding_to_another_type(nb: KernelSession) -> None:
    nb.run("a = 1")
    ex = nb.run("a = 'text'")
    assert (ex.reads, ex.writes) == (set(), {"a"})
    assert ex.record["variables"]["a"]["type"] == "builtins.str"


def test_rebinding_to_an_equal_value_is_still_a_write(nb: KernelSession) -> None:
    nb.run("a = 1")
    ex = nb.run("a = 1")
    assert ex.writes == {"a"}


def test_list_append(nb: KernelSession) -> None:
    nb.run("l = [1]\nother = [1]")
    ex = nb.run("l.append(2)")
    assert (ex.reads, ex.writes) == ({"l"}, {"l"})


def test_nested_list_change(nb: KernelSession) -> None:
    nb.run("l = [[1], [2, [3]]]")
    ex = nb.run("inner = l[1][1]\ninner.append(4)")
    assert ex.reads == {"l"}
    assert ex.writes == {"l", "inner"}


def test_dict_value_under_a_string_key(nb: KernelSession) -> None:
    nb.run("d = {'k': [1], 'n': 0}")
    ex = nb.run("d['k'].append(2)")
    assert (ex.reads, ex.writes) == ({"d"}, {"d"})
    ex = nb.run("d['n'] = 5")
    assert (ex.reads, ex.writes) == ({"d"}, {"d"})


def test_set_add(nb: KernelSession) -> None:
    nb.run("s = {1}")
    ex = nb.run("s.add(2)")
    assert (ex.reads, ex.writes) == ({"s"}, {"s"})


def test_object_attribute(nb: KernelSession) -> None:
    nb.run("class Box:\n    pass\no = Box()")
    ex = nb.run("o.x = 5")
    assert (ex.reads, ex.writes) == ({"o"}, {"o"})


def test_underscore_attribute_changed_by_a_method(nb: KernelSession) -> None:
    nb.run("class Counter:\n    def __init__(self):\n        self._n = 0\n    def tick(self):\n        self._n += 1\nc = Counter()")
    ex = nb.run("c.tick()")
    assert ex.reads == {"c"}
    assert ex.writes == {"c"}


def test_slots_attribute(nb: KernelSession) -> None:
    nb.run("class P:\n    __slots__ = ('x', 'y')\n    def __init__(self):\n        self.x = 1\n        self.y = 2\np = P()")
    ex = nb.run("p.y = 3")
    assert (ex.reads, ex.writes) == ({"p"}, {"p"})


def test_object_held_in_a_private_attribute_of_another(nb: KernelSession) -> None:
    nb.run("class Holder:\n    def __init__(self, v):\n        self._v = v\nitems = [1]\nh = Holder(items)\nother = 1")
    ex = nb.run("items.append(2)")
    assert ex.writes == {"items", "h"}
    assert frozenset({"items", "h"}) in ex.groups


def test_numpy_array_in_place(nb: KernelSession) -> None:
    nb.run("import numpy as np\narr = np.zeros(4)\nother = np.ones(4)")
    ex = nb.run("arr[0] = 9")
    assert (ex.reads, ex.writes) == ({"arr"}, {"arr"})
    ex = nb.run("arr += 1")
    assert (ex.reads, ex.writes) == ({"arr"}, {"arr"})


def test_numpy_write_through_a_view_changes_the_base(nb: KernelSession) -> None:
    nb.run("import numpy as np\nbase = np.zeros(6)\nv = base[1:3]")
    ex = nb.run("v[0] = 1.5")
    assert ex.reads == {"v"}
    assert ex.writes == {"v", "base"}
    ex = nb.run("base[2] = 7")
    assert ex.writes == {"v", "base"}


def test_numpy_write_through_a_view_made_inside_the_cell(nb: KernelSession) -> None:
    nb.run("import numpy as np\nbase = np.arange(6)")
    ex = nb.run("np.negative(base[::2], out=base[::2])")
    assert ex.reads == {"np", "base"}
    assert ex.writes == {"base"}


def test_pandas_dataframe_in_place(nb: KernelSession) -> None:
    nb.run("import pandas as pd\ndf = pd.DataFrame({'a': [1.0, 2.0], 'b': [3.0, 4.0]})")
    ex = nb.run("df.loc[0, 'a'] = 5.0")
    assert (ex.reads, ex.writes) == ({"df"}, {"df"})
    ex = nb.run("df['c'] = df['a'] * 2")
    assert (ex.reads, ex.writes) == ({"df"}, {"df"})
    ex = nb.run("df.drop(columns=['c'], inplace=True)")
    assert (ex.reads, ex.writes) == ({"df"}, {"df"})


def test_pandas_string_column_in_place(nb: KernelSession) -> None:
    nb.run("import pandas as pd\nsdf = pd.DataFrame({'s': ['x', 'y']}, dtype=object)")
    ex = nb.run("sdf.loc[0, 's'] = 'z'")
    assert (ex.reads, ex.writes) == ({"sdf"}, {"sdf"})


def test_pandas_series_in_place(nb: KernelSession) -> None:
    nb.run("import pandas as pd\nser = pd.Series([1, 2, 3])")
    ex = nb.run("ser.iloc[0] = 7")
    assert (ex.reads, ex.writes) == ({"ser"}, {"ser"})


def test_closure_cell_changed_by_calling_the_closure(nb: KernelSession) -> None:
    nb.run(
        "def make():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n        return n\n    return inc\n"
        "inc = make()"
    )
    ex = nb.run("inc()")
    assert ex.reads == {"inc"}
    assert ex.writes == {"inc"}


def test_change_through_an_alias_writes_both_names(nb: KernelSession) -> None:
    nb.run("a = [1]\nb = a")
    ex = nb.run("b.append(2)")
    assert ex.reads == {"b"}
    assert ex.writes == {"a", "b"}


def test_change_through_a_function_argument(nb: KernelSession) -> None:
    nb.run("def add(x, v):\n    x.append(v)\nl = []\nm = []")
    ex = nb.run("add(l, 3)")
    assert ex.reads == {"add", "l"}
    assert ex.writes == {"l"}


def test_notebook_function_mutating_a_global(nb: KernelSession) -> None:
    nb.run("data = []\ndef push(v):\n    data.append(v)")
    ex = nb.run("push(1)")
    assert ex.reads == {"push", "data"}
    assert ex.writes == {"data"}


def test_cell_raising_after_a_change_records_the_change_and_the_error(nb: KernelSession) -> None:
    nb.run("l = [1]")
    ex = nb.run("l.append(2)\nnew_var = 5\nraise ValueError('bad value')")
    assert ex.status == "error"
    assert ex.record["error"] == "ValueError: bad value"
    assert ex.reads == {"l"}
    assert ex.writes == {"l", "new_var"}


def test_cell_failing_to_parse_records_the_error_and_nothing_else(nb: KernelSession) -> None:
    nb.run("x = 1")
    ex = nb.run("x = (")
    assert ex.record["error"].startswith("SyntaxError: ")
    assert (ex.reads, ex.writes, ex.deletes) == (set(), set(), set())


def test_deletion(nb: KernelSession) -> None:
    nb.run("a = [1]\nb = 2")
    ex = nb.run("del a")
    assert (ex.reads, ex.writes, ex.deletes) == (set(), set(), {"a"})
    assert ex.groups == {frozenset({"b"})}


def test_deleting_an_alias_keeps_the_other_name(nb: KernelSession) -> None:
    nb.run("a = [1]\nb = a")
    ex = nb.run("del b")
    assert (ex.writes, ex.deletes) == (set(), {"b"})
    assert ex.groups == {frozenset({"a"})}


def test_create_and_delete_in_one_cell_is_neither(nb: KernelSession) -> None:
    ex = nb.run("tmp = 1\ndel tmp\nkeep = 2")
    assert (ex.writes, ex.deletes) == ({"keep"}, set())


def test_generator_touched_is_conservatively_modified(nb: KernelSession) -> None:
    nb.run("def gen():\n    yield from range(3)\ng = gen()\nother = 1")
    ex = nb.run("next(g)")
    assert (ex.reads, ex.writes) == ({"g"}, {"g"})
    assert ex.record["variables"]["g"]["serializable"] is False


def test_untouched_generator_is_not_written(nb: KernelSession) -> None:
    nb.run("def gen():\n    yield 1\ng = gen()")
    ex = nb.run("y = 1")
    assert (ex.reads, ex.writes) == (set(), {"y"})


def test_open_file_and_lock_touched_are_conservatively_modified(nb: KernelSession) -> None:
    nb.run("import threading\nlk = threading.Lock()\nfh = open('out.txt', 'w')")
    ex = nb.run("fh.write('x')")
    assert (ex.reads, ex.writes) == ({"fh"}, {"fh"})
    assert ex.record["variables"]["fh"]["serializable"] is False
    ex = nb.run("lk.locked()")
    assert (ex.reads, ex.writes) == ({"lk"}, {"lk"})
    nb.run("fh.close()")


def test_object_whose_reduce_fails_is_conservatively_modified(nb: KernelSession) -> None:
    nb.run("class Opaque:\n    def __reduce_ex__(self, protocol):\n        raise TypeError('no')\nop = Opaque()")
    ex = nb.run("str(op)")
    assert (ex.reads, ex.writes) == ({"op"}, {"op"})
    assert ex.record["variables"]["op"]["serializable"] is False


def test_sklearn_fit_modifies_the_model(nb: KernelSession) -> None:
    nb.run(
        "import numpy as np\nfrom sklearn.linear_model import LinearRegression\n"
        "X = np.arange(8.0).reshape(4, 2)\ny = X.sum(axis=1)\nmodel = LinearRegression()"
    )
    ex = nb.run("model.fit(X, y)")
    assert ex.reads == {"model", "X", "y"}
    assert ex.writes == {"model"}


def test_variables_describe_written_values(nb: KernelSession) -> None:
    ex = nb.run("import numpy as np\nbig = np.zeros(1000)\nwords = ['a', 'b']")
    variables = ex.record["variables"]
    assert variables["big"] == {**variables["big"], "type": "numpy.ndarray", "size": 8000, "serializable": True}
    assert variables["words"]["type"] == "builtins.list"
    assert variables["np"]["type"] == "builtins.module"
    assert set(variables) == {"np", "big", "words"}


def test_the_record_counts_modules_a_cell_loaded(nb) -> None:
    """The planner prices re-importing a copied module by the cell that loaded modules."""
    loaded = nb.run("import xml.dom.minidom as minidom").record
    assert loaded["modulesLoaded"] >= 2, loaded
    assert "modulesLoaded" not in nb.run("import xml.dom.minidom as again").record
    assert "modulesLoaded" not in nb.run("import time\nx = time.time()").record


def test_the_record_names_libraries_a_cell_loaded_and_where_values_are_defined(nb, tmp_path) -> None:
    """Loading a copied object of a library imports that library again: the planner prices it by
    the cell that loaded the library first, found through ``packagesLoaded``, and a class or
    function variable through ``definedIn`` (its type, ``type``, names no library)."""
    package = tmp_path / "en_demo_library"
    (package / "shapes").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "shapes" / "__init__.py").write_text(
        "import json\nclass Square:\n    side = 2\ndef area(s):\n    return s.side ** 2\n"
    )
    nb.run(f"import sys\nsys.path.insert(0, {str(tmp_path)!r})")
    ex = nb.run("from en_demo_library.shapes import Square, area\nsquare = Square()")
    assert ex.record["packagesLoaded"] == ["en_demo_library"], ex.record  # json: standard library
    variables = ex.record["variables"]
    assert variables["Square"]["definedIn"] == "en_demo_library.shapes"
    assert variables["area"]["definedIn"] == "en_demo_library.shapes"
    assert variables["square"]["type"] == "en_demo_library.shapes.Square"
    assert "definedIn" not in variables["square"]
    again = nb.run("from en_demo_library.shapes import Square as Again\ndef mine():\n    return 1")
    assert "packagesLoaded" not in again.record
    assert "definedIn" not in again.record["variables"]["mine"]  # the notebook's own
