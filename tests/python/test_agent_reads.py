"""What a recorded cell reads: static scoping rules and indirect reads through notebook code.

Every case runs on a real ipykernel with the agent bootstrapped and asserts the exact sets.
"""

from __future__ import annotations

from agent_helpers import KernelSession


def test_module_level_load_is_a_read(nb: KernelSession) -> None:
    nb.run("a = 1")
    ex = nb.run("b = a + 1")
    assert (ex.reads, ex.writes, ex.deletes) == ({"a"}, {"b"}, set())


def test_store_before_load_in_straight_line_code_is_not_a_read(nb: KernelSession) -> None:
    nb.run("df = [0]")
    ex = nb.run("df = list(range(3))\ndf.append(1)\nn = len(df)")
    assert ex.reads == set()
    assert ex.writes == {"df", "n"}


def test_load_after_conditional_store_is_a_read(nb: KernelSession) -> None:
    nb.run("x = 1\nflag = False")
    ex = nb.run("if flag:\n    x = 2\ny = x")
    assert ex.reads == {"flag", "x"}
    # A store target that exists afterwards counts as a write, even on a branch not taken.
    assert ex.writes == {"x", "y"}


def test_loads_inside_loops_and_try_are_conservatively_reads(nb: KernelSession) -> None:
    nb.run("t = 0\nitems = [1, 2]")
    ex = nb.run("for i in items:\n    t = i\n    u = t\ntry:\n    v = t\nexcept Exception:\n    pass")
    assert ex.reads == {"items", "t"}
    assert ex.writes == {"i", "t", "u", "v"}


def test_names_read_inside_a_function_called_in_the_cell(nb: KernelSession) -> None:
    nb.run("k = 3")
    ex = nb.run("def f():\n    return k * 2\nr = f()")
    assert ex.reads == {"k"}
    assert ex.writes == {"f", "r"}


def test_function_only_defined_reads_nothing_yet(nb: KernelSession) -> None:
    nb.run("k = 3")
    ex = nb.run("def g():\n    return k")
    assert (ex.reads, ex.writes) == (set(), {"g"})
    # Calling it later reads the global through the function.
    later = nb.run("g()")
    assert (later.reads, later.writes) == ({"g", "k"}, set())


def test_parameters_and_locals_shadow_globals(nb: KernelSession) -> None:
    nb.run("x = 1\ny = 2")
    ex = nb.run("def f(x):\n    y = x + 1\n    return y\nz = f(5)")
    assert ex.reads == set()
    assert ex.writes == {"f", "z"}


def test_names_read_inside_a_lambda(nb: KernelSession) -> None:
    nb.run("k = 2\nv = 10")
    ex = nb.run("h = (lambda v: v * k)(3)")
    assert ex.reads == {"k"}
    assert ex.writes == {"h"}


def test_lambda_default_value_is_read_at_definition(nb: KernelSession) -> None:
    nb.run("d = 4")
    ex = nb.run("inc = lambda v, step=d: v + step")
    assert (ex.reads, ex.writes) == ({"d"}, {"inc"})


def test_list_comprehension_reads_free_names_not_its_own_target(nb: KernelSession) -> None:
    nb.run("n = 3\nm = 2\ni = 100")
    ex = nb.run("sq = [i * m for i in range(n)]")
    assert ex.reads == {"m", "n"}
    assert ex.writes == {"sq"}


def test_dict_set_and_generator_comprehensions(nb: KernelSession) -> None:
    nb.run("keys = ['a', 'b']\noffset = 1\nrows = [[1, 2], [3]]")
    ex = nb.run(
        "d = {k: len(k) + offset for k in keys}\n"
        "s = {x for row in rows for x in row}\n"
        "total = sum(x for x in s if x > offset)"
    )
    assert ex.reads == {"keys", "offset", "rows"}
    assert ex.writes == {"d", "s", "total"}


def test_walrus_in_comprehension_binds_at_module_level(nb: KernelSession) -> None:
    nb.run("data = [1, 2, 3]")
    ex = nb.run("[last := v for v in data]")
    assert (ex.reads, ex.writes) == ({"data"}, {"last"})


def test_class_body_reads_globals(nb: KernelSession) -> None:
    nb.run("base_rate = 10\nParent = object")
    ex = nb.run("class C(Parent):\n    rate = base_rate\n    def m(self):\n        return self.rate")
    assert ex.reads == {"Parent", "base_rate"}
    assert ex.writes == {"C"}


def test_decorators_and_default_values_are_reads(nb: KernelSession) -> None:
    nb.run("deco = lambda f: f\ndflt = 5")
    ex = nb.run("@deco\ndef f(a=dflt, *, b=dflt):\n    return a")
    assert ex.reads == {"deco", "dflt"}
    assert ex.writes == {"f"}


def test_global_statement_makes_a_function_read_and_write_the_global(nb: KernelSession) -> None:
    nb.run("counter = 0")
    ex = nb.run("def bump():\n    global counter\n    counter += 1\nbump()")
    assert ex.reads == {"counter"}
    assert ex.writes == {"bump", "counter"}
    assert nb.evaluate("str(counter)") == 1


def test_augmented_assignment_reads_its_target(nb: KernelSession) -> None:
    nb.run("c = 1")
    ex = nb.run("c += 1")
    assert (ex.reads, ex.writes, ex.deletes) == ({"c"}, {"c"}, set())


def test_augmented_assignment_to_subscript_reads_the_container(nb: KernelSession) -> None:
    nb.run("arr = [1, 2]\nidx = 0")
    ex = nb.run("arr[idx] += 5")
    assert (ex.reads, ex.writes) == ({"arr", "idx"}, {"arr"})


def test_int_and_str_globals_read_by_a_called_notebook_function(nb: KernelSession) -> None:
    nb.run("rate = 3\nunit = 'kg'\ndef scale(v):\n    return f'{v * rate} {unit}'")
    ex = nb.run("out = scale(2)")
    assert ex.reads == {"scale", "rate", "unit"}
    assert ex.writes == {"out"}


def test_indirect_reads_are_transitive(nb: KernelSession) -> None:
    nb.run("base = 'a'\ndef inner():\n    return base * 2\ndef outer():\n    return inner() + '!'")
    ex = nb.run("res = outer()")
    assert ex.reads == {"outer", "inner", "base"}
    assert ex.writes == {"res"}


def test_methods_of_a_notebook_class_read_globals_through_an_instance(nb: KernelSession) -> None:
    nb.run("factor = 2\nclass K:\n    def get(self):\n        return factor\nk = K()")
    ex = nb.run("v = k.get()")
    assert (ex.reads, ex.writes) == ({"k", "factor"}, {"v"})


def test_bound_method_variable_reads_through_its_function(nb: KernelSession) -> None:
    nb.run("factor = 2\nclass K:\n    def get(self):\n        return factor\nmeth = K().get")
    ex = nb.run("w = meth()")
    assert (ex.reads, ex.writes) == ({"meth", "factor"}, {"w"})


def test_only_names_that_existed_before_the_cell_are_reads(nb: KernelSession) -> None:
    nb.run("def f():\n    return later_value")
    ex = nb.run("later_value = 1\nr = f()")
    assert ex.reads == {"f"}
    assert ex.writes == {"later_value", "r"}


def test_library_functions_are_not_walked_for_indirect_reads(nb: KernelSession) -> None:
    nb.run("import json\npayload = {'a': 1}")
    ex = nb.run("text = json.dumps(payload)")
    assert (ex.reads, ex.writes) == ({"json", "payload"}, {"text"})


def test_del_is_not_a_read(nb: KernelSession) -> None:
    nb.run("gone = [1]\nkept = 2")
    ex = nb.run("del gone")
    assert (ex.reads, ex.writes, ex.deletes) == (set(), set(), {"gone"})


def test_decorated_function_reads_through_the_wrapper_closure(nb: KernelSession) -> None:
    nb.run(
        "limit = 5\ndef logged(f):\n    def wrapper(*a):\n        return f(*a)\n    return wrapper\n"
        "@logged\ndef capped():\n    return limit"
    )
    ex = nb.run("r = capped()")
    assert (ex.reads, ex.writes) == ({"capped", "limit"}, {"r"})


def test_partial_of_a_notebook_function_reads_its_globals(nb: KernelSession) -> None:
    nb.run("import functools\noffset = 10\ndef add(a, b):\n    return a + b + offset\nadd1 = functools.partial(add, 1)")
    ex = nb.run("r = add1(2)")
    # Calling the partial neither changes it nor the function it wraps.
    assert (ex.reads, ex.writes) == ({"add1", "offset"}, {"r"})


def test_notebook_function_held_as_a_default_value_is_followed(nb: KernelSession) -> None:
    nb.run("scale = 3\ndef times(x):\n    return x * scale\ndef apply(x, fn=times):\n    return fn(x)")
    ex = nb.run("r = apply(2)")
    assert (ex.reads, ex.writes) == ({"apply", "scale"}, {"r"})
