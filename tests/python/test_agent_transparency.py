"""The agent never changes what the user sees: the same cells give the same In, Out, _, execution
counts, displays, tracebacks, history and namespace with the agent (behind the hidden header) as
in a kernel without it."""

from __future__ import annotations

import json
import re
import time

import pytest

from agent_helpers import Execution, KernelSession

CELLS = [
    "import numpy as np\nx = 1",
    "x + 1",
    "_ * 10",
    "def f(v):\n    return 1 / v\n\nf(0)",
    "print('hi')\n'shown'",
    "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))\n3",
    "y = [x];",
    "%who",
    "!echo $x",
    "z = !echo {x + 1}\nz",
    "%%capture cap\nprint('inside')",
    "pass\n\n\nraise KeyError('k')",
    "x = (",
    "_, __, ___, _i, _ii, _iii, _i2, _2, len(In), sorted(Out)",
    "In[1:]",
    "class Pt:\n    def get(self):\n        return x\np = Pt()\np.v = [1]\nm = p.get",
    "m()\nsorted(vars(Pt))",
    "%history -n",
    "%history -n -t 1-3",
]

_NOISE = [
    (re.compile(r"0x[0-9a-f]+"), "0x?"),
    (re.compile(r"ipykernel_\d+/\d+"), "ipykernel_?"),
]


def _normalize(value: object) -> str:
    text = json.dumps(value, sort_keys=True)
    for pattern, repl in _NOISE:
        text = pattern.sub(repl, text)
    return text


def _namespace(session: KernelSession) -> list[str]:
    return session.evaluate("__import__('json').dumps(sorted(get_ipython().user_ns))")


@pytest.fixture(scope="module")
def scenario(agent_kernel: KernelSession, plain_kernel: KernelSession) -> list[tuple[Execution, Execution]]:
    """Every cell of CELLS run in a fresh kernel with the agent and in one without."""
    pairs = []
    for cell in CELLS:
        recorded = agent_kernel.run(cell)
        plain = plain_kernel.execute(cell)
        pairs.append((recorded, plain))
    return pairs


def test_every_cell_was_recorded(scenario: list[tuple[Execution, Execution]]) -> None:
    codes = [recorded.record["code"] for recorded, _ in scenario]
    assert len(codes) == len(CELLS)
    assert codes[0] == "import numpy as np\nx = 1\n"
    assert [recorded.record["executionCount"] for recorded, _ in scenario] == list(range(1, len(CELLS) + 1))


def test_execution_counts_and_statuses_match(scenario: list[tuple[Execution, Execution]]) -> None:
    for recorded, plain in scenario:
        assert recorded.reply["execution_count"] == plain.reply["execution_count"]
        assert recorded.status == plain.status


def test_outputs_and_displays_match(scenario: list[tuple[Execution, Execution]]) -> None:
    for (recorded, plain), cell in zip(scenario, CELLS):
        assert _normalize(recorded.outputs) == _normalize(plain.outputs), cell
    # Spot checks that the comparison compares something.
    assert scenario[1][0].results == ["2"]
    assert scenario[2][0].results == ["20"]
    assert scenario[5][0].outputs[0]["data"]["text/html"] == "<b>x</b>"


def test_tracebacks_show_the_users_line_numbers(scenario: list[tuple[Execution, Execution]]) -> None:
    for index, line in ((3, "line 4"), (11, "line 4")):
        recorded, plain = scenario[index]
        assert recorded.error is not None and plain.error is not None
        assert _normalize(recorded.error) == _normalize(plain.error)
        text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(recorded.error["traceback"]))
        assert f"In[{index + 1}], {line}" in text
    syntax_recorded, syntax_plain = scenario[12]
    assert _normalize(syntax_recorded.error) == _normalize(syntax_plain.error)
    assert syntax_recorded.record["error"].startswith("SyntaxError")


def test_history_shows_the_users_source(scenario: list[tuple[Execution, Execution]]) -> None:
    recorded, plain = scenario[CELLS.index("%history -n")]
    assert recorded.stdout == plain.stdout
    assert "%%intercept" not in recorded.stdout
    assert "   3: _ * 10\n" in recorded.stdout
    translated, plain_translated = scenario[-1]
    assert translated.stdout == plain_translated.stdout


def test_in_out_and_underscore_variables_match(
    scenario: list[tuple[Execution, Execution]], agent_kernel: KernelSession, plain_kernel: KernelSession
) -> None:
    expression = (
        "__import__('json').dumps({'In': In, 'Out': {str(k): repr(v) for k, v in Out.items()},"
        " 'under': [repr(_), repr(__), repr(___)], 'i': [_i, _ii, _iii, _i1, _i4, _i10],"
        " 'ih': _ih, 'count': get_ipython().execution_count})"
    )
    recorded, plain = agent_kernel.evaluate(expression), plain_kernel.evaluate(expression)
    assert _normalize(recorded) == _normalize(plain)
    assert recorded["i"][3] == "import numpy as np\nx = 1"
    assert "%%intercept" not in json.dumps(recorded)


def test_history_database_holds_the_users_source(
    scenario: list[tuple[Execution, Execution]], agent_kernel: KernelSession
) -> None:
    expression = (
        "__import__('json').dumps([s for (n, _l, s) in get_ipython().history_manager.search('*', raw=True)"
        " if n == get_ipython().history_manager.session_number])"
    )
    deadline = time.monotonic() + 10
    stored: list[str] = []
    while time.monotonic() < deadline:
        stored = agent_kernel.evaluate(expression)
        if len(stored) >= len(CELLS):
            break
        time.sleep(0.1)
    assert stored[: len(CELLS)] == [cell.rstrip("\n") for cell in CELLS]


def test_namespace_has_exactly_the_same_names(
    scenario: list[tuple[Execution, Execution]], agent_kernel: KernelSession, plain_kernel: KernelSession
) -> None:
    assert _namespace(agent_kernel) == _namespace(plain_kernel)
    who = "%who"
    assert agent_kernel.execute(who).stdout == plain_kernel.execute(who).stdout


def test_dir_in_a_fresh_kernel_is_unchanged_by_the_bootstrap(plain_kernel: KernelSession) -> None:
    before = plain_kernel.evaluate("__import__('json').dumps(sorted(dir()))")
    ns_before = _namespace(plain_kernel)
    path_before = plain_kernel.evaluate("__import__('json').dumps(__import__('sys').path)")
    plain_kernel.bootstrap()
    assert plain_kernel.evaluate("__import__('json').dumps(sorted(dir()))") == before
    assert _namespace(plain_kernel) == ns_before
    assert plain_kernel.evaluate("__import__('json').dumps(__import__('sys').path)") == path_before
    assert plain_kernel.evaluate("str(int('_elastic_notebook_agent' in __import__('sys').modules))") == 1
