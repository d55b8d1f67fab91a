"""The ``restore`` and ``imports`` agent calls on real kernels: a restore's steps (re-runs with
their random states, loads), then verify and adopt, in one call; where it stops early (a failed
load, a spent time budget, a re-run needing the kernel's event loop); and the early imports."""

from __future__ import annotations

import json
from pathlib import Path

from agent_helpers import AGENT, KernelSession
from checkpoint_helpers import (  # noqa: F401 - target_kernel and target are fixtures
    agent_call,
    checkpoint,
    rerun,
    running_kernel,
    target,
    target_kernel,
    value,
)


def _load_step(written: dict, groups: list[list[str]], only: list[int]) -> dict:
    entries = [
        {"index": g["index"], "members": groups[g["index"]], "file": g["file"], "checksum": g["checksum"]}
        for g in written["groups"]
        if g["index"] in only
    ]
    return {"kind": "load", "groups": entries}


def _rerun_step(execution: int, code: str) -> dict:
    return {"kind": "rerun", "execution": execution, "code": code}


def _random(bundle: Path, written: dict) -> dict:
    return {"dir": str(bundle), "file": written["random"]["file"], "checksum": written["random"]["checksum"]}


# Code as cells have it: IPython syntax, magics, shell lines, output, an error.
_CELLS = [
    "import os\nwords = !echo alpha beta\nprint('hello from a re-run')",
    "%cd -q .\nhere = %pwd\nlisting = %sx echo listed",
    "def twice(v):\n    return 2 * v\nfour = twice(2)\ntwice(3)",
    "from IPython.display import display\ndisplay({'text/plain': 'shown'}, raw=True)",
    "1 / 0",
    "after_error = 'still run'",
]
_NAMES = "[words, here == os.getcwd(), listing, four, after_error]"


def _streams(outputs: list[dict]) -> tuple[str, list]:
    """The text on stdout (however it was split into messages) and the other outputs."""
    text = "".join(o["text"] for o in outputs if o["type"] == "stream" and o["name"] == "stdout")
    return text, [(o["type"], o.get("data"), o.get("ename"), o.get("evalue")) for o in outputs if o["type"] != "stream"]


def test_reruns_run_as_execute_requests_that_show_no_value(nb: KernelSession, target: KernelSession) -> None:
    """Each re-run of one ``restore`` call does what the same code sent as an execute request
    does, minus showing its value (a silent request shows none either): same variables, same
    output, same error, no history, nothing recorded."""
    outputs = []
    for code in _CELLS:
        ex = nb.execute(code, silent=True, store_history=False)
        outputs += ex.outputs
    expected = value(nb, _NAMES)
    count_before = value(target, "get_ipython().execution_count")
    history_before = value(target, "len(In)")
    records_before = len(target.records())

    steps = [_rerun_step(i, code) for i, code in enumerate(_CELLS)]
    args = {"steps": steps, "dir": None, "random": None, "budgetMs": None}
    encoded = __import__("base64").b64encode(json.dumps(args).encode()).decode()
    ex = target.execute("", silent=True, store_history=False, user_expressions={"r": f"{AGENT}.call('restore', {encoded!r})"})
    answer = json.loads(__import__("base64").b64decode(__import__("ast").literal_eval(ex.reply["user_expressions"]["r"]["data"]["text/plain"])))

    assert answer["ok"] is True and answer["stopped"] is None, answer
    assert [s["execution"] for s in answer["steps"]] == list(range(len(_CELLS)))
    errors = [s["error"] for s in answer["steps"]]
    assert errors == [None, None, None, None, "ZeroDivisionError: division by zero", None]
    assert value(target, _NAMES) == expected == [["alpha beta"], True, ["listed"], 4, "still run"]
    assert _streams(ex.outputs) == _streams(outputs)
    assert _streams(ex.outputs)[0] == "hello from a re-run\n"
    assert value(target, "get_ipython().execution_count") == count_before
    assert value(target, "len(In)") == history_before
    assert len(target.records()) == records_before


def _session(nb: KernelSession, bundle: Path) -> tuple[dict, list[list[str]], list[dict]]:
    """A recorded session with two copied groups and random draws; its checkpoint and records."""
    nb.run("import random\nseed_list = [1, 2, 3]")
    nb.run("drawn = [random.random() for _ in range(3)]")
    nb.run("total = sum(seed_list)\nlabel = f'total {total}'")
    groups = [["seed_list"], ["total"], ["drawn"], ["label"]]
    written = checkpoint(nb, bundle, groups, variables=["drawn", "label", "random", "seed_list", "total"])
    records = nb.records()[-3:]
    (bundle / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return written, groups, records


def test_a_whole_restore_is_one_call(tmp_path: Path) -> None:
    """Re-runs with their random states, loads, verify and adopt: one call, one answer."""
    with running_kernel("replay-source", tmp_path) as source:
        written, groups, records = _session(source, tmp_path)
    with running_kernel("replay-target", tmp_path) as fresh:
        steps = [
            _rerun_step(0, records[0]["code"]),
            _load_step(written, groups, [0]),
            _rerun_step(1, records[1]["code"]),  # unseeded draws: the random state is set first
            _load_step(written, groups, [1, 3]),
        ]
        answer = agent_call(fresh, "restore", {
            "steps": steps, "dir": str(tmp_path), "random": _random(tmp_path, written), "budgetMs": None,
            "finish": {"fingerprints": written["fingerprints"],
                       "adopt": {"dir": str(tmp_path), "history": "history.jsonl", "random": written["random"]["file"]}},
        })
        assert answer["ok"] and answer["stopped"] is None, answer
        assert [s["kind"] for s in answer["steps"]] == ["rerun", "load", "rerun", "load"]
        assert all(g["ok"] for s in answer["steps"] if s["kind"] == "load" for g in s["groups"])
        assert answer["verification"]["ok"] is True, answer["verification"]
        assert answer["adopted"] == {"ok": True, "error": None, "records": 3}
        assert answer["verifyMs"] >= 0 and answer["adoptMs"] >= 0
        # The next cell continues the run.
        fresh.seen = 3
        assert fresh.run("more = total + 1").record["seq"] == 3


def test_the_generators_end_where_the_checkpointed_session_left_them(tmp_path: Path) -> None:
    """Re-runs set the generators to earlier states; the end of the restore sets the ones the
    checkpoint was taken with, so the restored session draws what the original would have next
    (a copied estimator holding numpy's global generator fingerprints the same, too)."""
    cells = [
        "import random\nimport numpy as np\nfirst = [random.random(), np.random.rand()]",
        "later = [random.random(), np.random.rand()]  # copied: not re-run",
    ]
    with running_kernel("final-source", tmp_path) as source:
        for code in cells:
            source.run(code)
        written = checkpoint(source, tmp_path, [["first"], ["later"], ["np", "random"]], variables=["first", "later", "np", "random"])
        records = source.records()[-2:]
        (tmp_path / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        expected = value(source, "[random.random(), np.random.rand()]")
    with running_kernel("final-target", tmp_path) as fresh:
        steps = [_rerun_step(0, records[0]["code"]), _load_step(written, [["first"], ["later"], ["np", "random"]], [1])]
        answer = agent_call(fresh, "restore", {
            "steps": steps, "dir": str(tmp_path), "random": _random(tmp_path, written), "budgetMs": None,
            "finish": {"fingerprints": written["fingerprints"],
                       "adopt": {"dir": str(tmp_path), "history": "history.jsonl", "random": written["random"]["file"]}},
        })
        assert answer["ok"] and answer["verification"]["ok"], answer["verification"]
        assert value(fresh, "[random.random(), np.random.rand()]") == expected


def test_a_failed_load_stops_the_sequence(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    written, groups, records = _session(nb, tmp_path)
    damaged = tmp_path / written["groups"][1]["file"]
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    steps = [
        _load_step(written, groups, [0]),
        _load_step(written, groups, [1, 3]),
        _rerun_step(1, records[1]["code"]),
    ]
    answer = agent_call(target, "restore", {
        "steps": steps, "dir": str(tmp_path), "random": _random(tmp_path, written), "budgetMs": None,
        "finish": {"fingerprints": written["fingerprints"]},
    })
    assert answer["stopped"] == "load-failed"
    assert len(answer["steps"]) == 2
    failed = {g["index"]: g for g in answer["steps"][1]["groups"]}
    assert failed[1]["ok"] is False and "checksum mismatch" in failed[1]["error"]
    assert failed[3]["ok"] is True  # the other group of the step was still loaded
    assert "verification" not in answer
    assert value(target, "[seed_list, 'total' in globals(), 'drawn' in globals()]") == [[1, 2, 3], False, False]


def test_a_spent_budget_hands_back_between_steps(target: KernelSession) -> None:
    steps = [_rerun_step(i, f"import time\ntime.sleep(0.05)\nstep_{i} = {i}") for i in range(3)]
    first = agent_call(target, "restore", {"steps": steps, "dir": None, "random": None, "budgetMs": 10})
    assert first["stopped"] == "budget" and len(first["steps"]) == 1
    assert value(target, "[n for n in ('step_0', 'step_1', 'step_2') if n in globals()]") == ["step_0"]
    rest = agent_call(target, "restore", {"steps": steps[1:], "dir": None, "random": None, "budgetMs": None})
    assert rest["stopped"] is None and [s["execution"] for s in rest["steps"]] == [1, 2]
    assert value(target, "[step_0, step_1, step_2]") == [0, 1, 2]


def test_top_level_await_is_left_to_its_own_request(target: KernelSession) -> None:
    steps = [
        _rerun_step(0, "before = 1"),
        _rerun_step(1, "import asyncio\nawait asyncio.sleep(0)\nawaited = 2"),
        _rerun_step(2, "later = 3"),
    ]
    answer = agent_call(target, "restore", {"steps": steps, "dir": None, "random": None, "budgetMs": None})
    assert answer["stopped"] == "event-loop" and len(answer["steps"]) == 1
    assert value(target, "['before' in globals(), 'awaited' in globals(), 'later' in globals()]") == [True, False, False]
    rerun(target, steps[1]["code"])  # what the orchestrator does with it: an execute request of its own
    rest = agent_call(target, "restore", {"steps": steps[2:], "dir": None, "random": None, "budgetMs": None})
    assert rest["stopped"] is None
    assert value(target, "[before, awaited, later]") == [1, 2, 3]


def test_bad_arguments_are_refused(target: KernelSession, tmp_path: Path) -> None:
    cases = [
        ({"steps": "x"}, "'steps' must be a list"),
        ({"steps": [{"kind": "jump"}]}, "each step must be {'kind': 'rerun'|'load'"),
        ({"steps": [{"kind": "rerun", "execution": 0}]}, "needs its 'code' as a string"),
        ({"steps": [{"kind": "load", "groups": []}]}, "'dir' (the bundle folder) is needed"),
        ({"steps": [], "budgetMs": 0}, "'budgetMs' must be a positive number"),
        ({"steps": [], "random": {"dir": str(tmp_path), "file": "../x.pkl"}}, "is outside the bundle folder"),
    ]
    for args, message in cases:
        answer = agent_call(target, "restore", args)
        assert answer["ok"] is False and message in answer["error"], (args, answer)


def test_an_unreadable_random_state_file_fails_the_call(target: KernelSession, tmp_path: Path) -> None:
    answer = agent_call(target, "restore", {
        "steps": [_rerun_step(4, "x = 1")], "dir": None, "random": {"dir": str(tmp_path), "file": "missing.pkl"}, "budgetMs": None,
    })
    assert answer["ok"] is False
    assert answer["error"].startswith("could not restore the random state before execution 4: "), answer
    assert value(target, "'x' in globals()") is False


# -- early imports -----------------------------------------------------------------------------
def test_imports_only_what_the_reruns_import_and_binds_nothing(tmp_path: Path) -> None:
    (tmp_path / "local_helper.py").write_text("VALUE = 1\n")
    codes = [
        "import json as j\nfrom fractions import Fraction\nimport local_helper",
        "def later():\n    import colorsys\n",  # run only when called: not imported
        "import sched\nimport tomllib",  # tomllib: not among the session's modules
        "import os\nos.environ['SETTING'] = '1'\nimport statistics",  # changes the import environment
        "import zipfile",  # after it: not imported early either
    ]
    available = ["json", "fractions", "local_helper", "colorsys", "sched", "statistics", "zipfile"]
    modules = ["json", "fractions", "local_helper", "colorsys", "sched", "tomllib", "statistics", "zipfile"]
    with running_kernel("imports", tmp_path) as kernel:
        probe = f"{{m: m in __import__('sys').modules for m in {modules!r}}}"
        assert not any(value(kernel, probe)[m] for m in ("fractions", "local_helper", "colorsys", "sched", "tomllib", "statistics"))
        names_before = value(kernel, "sorted(globals())")
        state_before = value(kernel, "hash(__import__('random').getstate())")
        answer = agent_call(kernel, "imports", {"codes": codes, "available": available})
        assert answer["ok"] is True, answer
        assert answer["imported"] == ["fractions", "sched"]
        assert answer["skipped"] == {"local_helper": "in the notebook's folder (a cell may change it)"}
        assert answer["importMs"] > 0
        assert answer["modulesImported"] >= 2  # fractions and sched at least (the planner's time per module)
        imported = value(kernel, probe)
        assert imported["fractions"] and imported["sched"]
        assert not any(imported[m] for m in ("local_helper", "colorsys", "tomllib", "statistics"))
        assert value(kernel, "sorted(globals())") == names_before
        assert value(kernel, "hash(__import__('random').getstate())") == state_before


def test_imports_can_come_with_the_restore_call(target: KernelSession) -> None:
    code = "import colorsys\nhls = colorsys.rgb_to_hls(1.0, 0.0, 0.0)"
    assert value(target, "'colorsys' in __import__('sys').modules") is False  # otherwise this test proves nothing
    answer = agent_call(target, "restore", {
        "steps": [_rerun_step(0, code)], "dir": None, "random": None, "budgetMs": None,
        "imports": {"codes": [code], "available": ["colorsys"]},
    })
    assert answer["stopped"] is None and answer["steps"][0]["error"] is None
    assert answer["imports"]["imported"] == ["colorsys"]
    assert value(target, "hls") == [0.0, 0.5, 1.0]


_SHOWN_CELLS = [
    "class Shown:\n    count = 0\n    def _repr_html_(self):\n        Shown.count += 1\n        return '<b>shown</b>'\nshown = Shown()",
    "shown",
    "quiet = Shown()\nquiet;",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nfirst = plt.gcf()",
    "plt.plot([3, 4])\nsecond = plt.gcf()",
]
_SHOWN = "[Shown.count, first is second, len(first.axes[0].lines), len(second.axes[0].lines)]"


def test_reruns_display_and_run_the_execute_hooks_as_the_cells_did(nb: KernelSession, target: KernelSession) -> None:
    """A re-run formats its cell's value as the notebook's display did (a ``_repr_html_`` that
    counts, not for a cell ending in ``;``) and runs the execute hooks (matplotlib's inline
    backend closes the cell's figures, so the next ``plt.plot`` draws a new one): a silent run did
    neither, and the restored state was not the one the cells made."""
    for code in _SHOWN_CELLS:
        nb.execute(code)
    expected = value(nb, _SHOWN)
    assert expected == [1, False, 1, 1]
    steps = [_rerun_step(i, code) for i, code in enumerate(_SHOWN_CELLS)]
    args = {"steps": steps, "dir": None, "random": None, "budgetMs": None}
    encoded = __import__("base64").b64encode(json.dumps(args).encode()).decode()
    ex = target.execute("", silent=True, store_history=False, user_expressions={"r": f"{AGENT}.call('restore', {encoded!r})"})
    answer = json.loads(__import__("base64").b64decode(__import__("ast").literal_eval(ex.reply["user_expressions"]["r"]["data"]["text/plain"])))
    assert answer["ok"] is True and [s["error"] for s in answer["steps"]] == [None] * len(_SHOWN_CELLS), answer
    assert value(target, _SHOWN) == expected
    # Nothing of the display reached the notebook, nor Out.
    assert not [o for o in ex.outputs if o["type"] == "execute_result"]
    assert value(target, "len(Out)") == 0
