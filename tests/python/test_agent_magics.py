"""Cells with line magics, cell magics and shell lines; the header's options; unrecorded cells."""

from __future__ import annotations

from agent_helpers import AGENT, KernelSession


def test_shell_line_runs_and_records_its_code(nb: KernelSession) -> None:
    ex = nb.run("!echo hi")
    assert ex.stdout.strip() == "hi"
    assert ex.record["code"] == "get_ipython().system('echo hi')\n"
    assert (ex.reads, ex.writes) == (set(), set())


def test_shell_capture_assignment_writes_the_variable(nb: KernelSession) -> None:
    ex = nb.run("x = !echo hi")
    assert (ex.reads, ex.writes) == (set(), {"x"})
    assert nb.evaluate("__import__('json').dumps(list(x))") == ["hi"]


def test_shell_line_reads_interpolated_variables(nb: KernelSession) -> None:
    nb.run("word = 'hello'\nnum = 3\nunused = 1")
    ex = nb.run("!echo $word {num + 1}")
    assert ex.stdout.strip() == "hello 4"
    assert ex.reads == {"word", "num"}


def test_line_magic_with_python_code(nb: KernelSession) -> None:
    nb.run("l = [1, 2]")
    ex = nb.run("%time l2 = l + [3]")
    assert "Wall time" in ex.stdout
    assert (ex.reads, ex.writes) == ({"l"}, {"l2"})


def test_cell_magic_with_python_body(nb: KernelSession) -> None:
    nb.run("l = [1, 2]")
    ex = nb.run("%%time\nl.append(3)\nq = l")
    assert (ex.reads, ex.writes) == ({"l"}, {"l", "q"})
    assert ex.groups == {frozenset({"l", "q"})}


def test_capture_cell_magic_writes_its_target(nb: KernelSession) -> None:
    nb.run("msg = 'captured'")
    ex = nb.run("%%capture out\nprint(msg)")
    assert ex.stdout == ""
    assert (ex.reads, ex.writes) == ({"msg"}, {"out"})


def test_line_magic_without_python_code(nb: KernelSession) -> None:
    nb.run("a = 1")
    ex = nb.run("%who")
    assert ex.stdout.split() == ["a"]
    assert (ex.reads, ex.writes, ex.deletes) == (set(), set(), set())


def test_writefile_cell_magic_changes_no_variable(nb: KernelSession) -> None:
    ex = nb.run("%%writefile note.txt\nsome text")
    assert (ex.reads, ex.writes) == (set(), set())
    assert nb.evaluate("__import__('json').dumps(open('note.txt').read())") == "some text\n"


def test_run_magic_is_treated_as_touching_everything(nb: KernelSession) -> None:
    nb.execute("%%writefile script.py\nshared.append(99)")
    nb.run("shared = [1]\nuntouched = [2]")
    ex = nb.run("%run -i script.py")
    assert ex.writes == {"shared"}  # compared, not assumed: `untouched` did not change


def test_header_options_are_recorded(nb: KernelSession) -> None:
    ex = nb.run("a = 1", header="%%intercept --cell-index 7 --cell-id 6f1c0e2a-cell")
    assert ex.record["cellIndex"] == 7
    assert ex.record["cellId"] == "6f1c0e2a-cell"
    plain = nb.run("b = 2")
    assert plain.record["cellIndex"] is None and plain.record["cellId"] is None


def test_record_fields_and_sequence(nb: KernelSession) -> None:
    first = nb.run("a = 1")
    second = nb.run("import time\ntime.sleep(0.05)")
    assert second.record["seq"] == first.record["seq"] + 1
    assert second.record["executionCount"] == second.reply["execution_count"]
    assert second.record["durationMs"] >= 50
    assert second.record["startedAtMs"] >= first.record["startedAtMs"]
    assert second.record["code"] == "import time\ntime.sleep(0.05)\n"
    assert second.record["error"] is None
    assert 0 <= second.record["agentMs"] < second.record["durationMs"]


def test_cells_without_the_header_are_not_recorded(nb: KernelSession) -> None:
    before = len(nb.records())
    assert nb.execute("x = 1").status == "ok"
    assert nb.execute("%%time\ny = 2").status == "ok"
    assert len(nb.records()) == before


def test_silent_execution_is_not_recorded(nb: KernelSession) -> None:
    before = len(nb.records())
    assert nb.execute("%%intercept\nz = 1", silent=True, store_history=False).status == "ok"
    assert len(nb.records()) == before
    assert nb.evaluate("str(z)") == 1


def test_the_magic_runs_the_body_when_the_transformer_is_gone(nb: KernelSession) -> None:
    remove = (
        f"_t = [t for t in get_ipython().input_transformers_cleanup if t.__module__.startswith('_elastic')]\n"
        "for _x in _t: get_ipython().input_transformers_cleanup.remove(_x)\n"
    )
    restore = "get_ipython().input_transformers_cleanup[:0] = _t\ndel _t, _x"
    assert nb.execute(remove, silent=True, store_history=False).status == "ok"
    try:
        ex = nb.run("items = [1]\nitems.append(2)\nprint(len(items))")
    finally:
        assert nb.execute(restore, silent=True, store_history=False).status == "ok"
    assert ex.stdout == "2\n"
    assert ex.writes == {"items"}
    assert nb.evaluate(f"str(len({AGENT}._agent.shell.input_transformers_cleanup))") >= 1
