"""Restore-side agent calls on real kernels: damaged payloads, random-state replay (``prepare``),
``verify`` and ``adopt`` (the restored kernel continues the checkpointed run)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_helpers import AGENT, KernelSession
from checkpoint_helpers import (  # noqa: F401 - target_kernel and target are fixtures
    agent_call,
    checkpoint,
    load,
    rerun,
    running_kernel,
    target,
    target_kernel,
    value,
)
from test_agent_transport import KERNEL_ID, TOKEN, FakeCompanion


# -- damaged payloads --------------------------------------------------------------------------
@pytest.fixture
def damaged(nb: KernelSession, tmp_path: Path) -> tuple[dict, list[list[str]], Path]:
    nb.run("import numpy as np\nbig = np.arange(100_000)\nsmall = {'k': 1}")
    groups = [["big", "small"]]
    written = checkpoint(nb, tmp_path, groups)
    return written, groups, tmp_path / written["groups"][0]["file"]


def _load_answer(target: KernelSession, bundle: Path, written: dict, groups: list[list[str]]) -> dict:
    rerun(target, "small = 'before'")
    answer = load(target, bundle, written, groups)["groups"][0]
    assert answer["ok"] is False
    assert value(target, "[small, 'big' in globals()]") == ["before", False], "nothing may be bound"
    return answer


def test_flipped_byte_is_a_checksum_mismatch(damaged: tuple, target: KernelSession, tmp_path: Path) -> None:
    written, groups, path = damaged
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    error = _load_answer(target, tmp_path, written, groups)["error"]
    assert error.startswith("checksum mismatch in g0.pkl: expected xxh3_128:"), error


def test_truncated_payload_is_reported(damaged: tuple, target: KernelSession, tmp_path: Path) -> None:
    written, groups, path = damaged
    path.write_bytes(path.read_bytes()[:-100])
    error = _load_answer(target, tmp_path, written, groups)["error"]
    assert "g0.pkl is truncated" in error, error


def test_missing_and_foreign_files_are_reported(damaged: tuple, target: KernelSession, tmp_path: Path) -> None:
    written, groups, path = damaged
    path.write_bytes(b"PK\x03\x04 not a payload at all")
    assert "not an Elastic Notebook payload" in _load_answer(target, tmp_path, written, groups)["error"]
    path.unlink()
    assert "payload g0.pkl is missing" in _load_answer(target, tmp_path, written, groups)["error"]


def test_wrong_members_are_refused(damaged: tuple, target: KernelSession, tmp_path: Path) -> None:
    written, _, _ = damaged
    answer = load(target, tmp_path, written, [["big"]])["groups"][0]
    assert answer["ok"] is False and "not ['big']" in answer["error"]
    assert value(target, "'big' in globals()") is False


def test_sha256_checksums_are_accepted(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    # A kernel without xxhash writes sha256; every reader must accept both.
    module = f"{AGENT}.payload"
    rerun(nb, f"{module}._saved_xxhash = {module}._xxhash\n{module}._xxhash = lambda: None")
    try:
        nb.run("words = ['a', 'b']")
        written = checkpoint(nb, tmp_path, [["words"]])
    finally:
        rerun(nb, f"{module}._xxhash = {module}._saved_xxhash")
    assert written["groups"][0]["checksum"].startswith("sha256:")
    assert load(target, tmp_path, written, [["words"]])["groups"][0]["ok"]
    assert value(target, "words") == ["a", "b"]


def test_function_group_without_by_value_library(nb: KernelSession, tmp_path: Path) -> None:
    nb.run("def helper():\n    return 1\nplain = [1, 2]")
    rerun(nb, f"{AGENT}.byvalue.LIBRARIES = ()")
    try:
        written = checkpoint(nb, tmp_path, [["helper"], ["plain"]])
    finally:
        rerun(nb, f"{AGENT}.byvalue.LIBRARIES = ('cloudpickle', 'dill')")
    failed, fine = written["groups"]
    assert failed["ok"] is False and "needs cloudpickle or dill" in failed["error"]
    assert failed["error"].startswith("cannot serialize 'helper' (function): ")
    assert fine["ok"] and fine["serializer"] == "pickle"


# -- random state replay -----------------------------------------------------------------------
_DRAWS = "r = random.random()\nn = np.random.rand(3).tolist()"


def test_prepare_replays_unseeded_random_draws(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run("import random\nimport numpy as np")
    first = nb.run(_DRAWS).record["seq"]
    expected_first = value(nb, "[r, n]")
    nb.run("unrelated = 1")
    second = nb.run(_DRAWS).record["seq"]
    expected_second = value(nb, "[r, n]")
    assert expected_first != expected_second
    written = checkpoint(nb, tmp_path, [["unrelated"]])
    bundle = {"dir": str(tmp_path), "random": written["random"]["file"], "checksum": written["random"]["checksum"]}

    rerun(target, "import random\nimport numpy as np")
    for execution, expected in ((second, expected_second), (first, expected_first), (second, expected_second)):
        answer = agent_call(target, "prepare", {"execution": execution, **bundle})
        assert answer == {"ok": True, "error": None, "applied": True, "python": True, "numpy": True, "settings": False}
        rerun(target, _DRAWS)
        assert value(target, "[r, n]") == expected

    # The same kernel can also go back to its own states.
    assert agent_call(nb, "prepare", {"execution": first})["applied"] is True
    rerun(nb, _DRAWS)
    assert value(nb, "[r, n]") == expected_first


def test_a_cell_importing_numpy_and_drawing_replays(tmp_path: Path) -> None:
    """numpy seeds itself when a cell imports it: that state is taken and given back on replay."""
    cell = "import numpy as np\nn = np.random.rand(3).tolist()"
    imported = "'numpy.random' in __import__('sys').modules"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with running_kernel("imports-numpy", tmp_path / "a") as source:
        assert value(source, imported) is False  # otherwise this test proves nothing
        seq = source.run(cell).record["seq"]
        expected = value(source, "n")
        written = checkpoint(source, tmp_path, [["n"]])
    bundle = {"dir": str(tmp_path), "random": written["random"]["file"], "checksum": written["random"]["checksum"]}
    with running_kernel("replays-import", tmp_path / "b") as target_session:
        assert value(target_session, imported) is False
        answer = agent_call(target_session, "prepare", {"execution": seq, **bundle})
        assert answer["applied"] is True and answer["numpy"] is True
        rerun(target_session, cell)
        assert value(target_session, "n") == expected
        # numpy.random imported already (e.g. by a payload): the state is set at once instead.
        assert agent_call(target_session, "prepare", {"execution": seq, **bundle})["numpy"] is True
        rerun(target_session, cell)
        assert value(target_session, "n") == expected
        # The watch stepped aside once its import happened.
        assert value(target_session, f"any(type(f).__name__ == 'NumpyRandomWatch' for f in __import__('sys').meta_path)") is False


def test_prepare_without_states_says_so(target_kernel: KernelSession, tmp_path: Path) -> None:
    with running_kernel("fresh-kernel", tmp_path) as fresh:
        answer = agent_call(fresh, "prepare", {"execution": 3})
    assert answer["ok"] is True and answer["applied"] is False
    assert "no random state was recorded before execution 3" in answer["warning"]
    bad = agent_call(target_kernel, "prepare", {"execution": 0, "dir": str(tmp_path), "random": "missing.pkl"})
    assert bad["ok"] is False and "missing" in bad["error"]


def test_states_are_stored_only_when_randomness_is_used(nb: KernelSession) -> None:
    count = f"len({AGENT}._agent.randomness.entries)"
    nb.run("import random")
    nb.run("x = 1")
    before = value(nb, count)
    for i in range(5):
        nb.run(f"y = {i}")
    assert value(nb, count) == before
    nb.run("z = random.random()")
    nb.run("w = 2")  # the state before this cell is new: z consumed randomness
    assert value(nb, count) == before + 1


# -- verify ------------------------------------------------------------------------------------
def test_verify_reports_differ_missing_unexpected(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    setup = "import numpy as np\nx = 1\narr = np.arange(5.0)\nnames = ['a', 'b']\ndef gen_f():\n    yield 1\ngen = gen_f()"
    nb.run(setup)
    variables = ["arr", "gen", "gen_f", "names", "np", "x"]
    written = checkpoint(nb, tmp_path, [["names"]], variables=variables)
    prints = written["fingerprints"]
    assert prints["gen"]["comparable"] is False and prints["x"]["comparable"] is True

    rerun(target, setup)
    same = agent_call(target, "verify", {"fingerprints": prints})
    assert (same["ok"], same["differ"], same["missing"], same["unexpected"]) == (True, [], [], [])
    assert same["notCompared"] == ["gen"]
    assert same["notComparedReasons"] == {"gen": "holds a generator object, whose state cannot be read"}

    rerun(target, "x = 2\narr[1] = 7.0\ndel names\nextra = 3")
    answer = agent_call(target, "verify", {"fingerprints": prints})
    assert answer["ok"] is False
    assert (answer["differ"], answer["missing"], answer["unexpected"]) == (["arr", "x"], ["names"], ["extra"])


def test_a_restored_session_verifies_equal(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run(
        "import numpy as np\n"
        "base = np.arange(20.0)\nview = base[5:10]\n"
        "words = {'alpha', 'beta', 'gamma'}\n"
        "def make(k):\n    def add(v):\n        return v + k + offset\n    return add\n"
        "add3 = make(3)\noffset = 0.5\n"
        "class Tag:\n    def __init__(self, name):\n        self.name = name\n"
        "tag = Tag('t')\nnested = {'tags': [tag, tag], 'view': view}"
    )
    groups = [["base", "nested", "tag", "view"], ["words"], ["add3"], ["Tag"], ["make"], ["offset"]]
    written = _restore_in_order(nb, target, tmp_path, groups, "numpy", "np")
    answer = agent_call(target, "verify", {"fingerprints": written["fingerprints"]})
    assert answer["ok"] is True, answer
    assert answer["notCompared"] == []
    assert value(target, "[add3(1), nested['tags'][0] is tag, isinstance(tag, Tag)]") == [4.5, True, True]


def test_restored_pandas_frames_verify_equal(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run("import pandas as pd\ndf = pd.DataFrame({'a': range(4), 'b': list('wxyz')})\ncolumn = df['a']")
    written = _restore_in_order(nb, target, tmp_path, [["column", "df"]], "pandas", "pd")
    answer = agent_call(target, "verify", {"fingerprints": written["fingerprints"]})
    assert answer["differ"] == [] and answer["ok"] is True, answer


def test_first_imports_during_a_load_are_timed_apart(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run("from fractions import Fraction\nhalf = Fraction(1, 2)\nplain = [1, 2]")
    written = checkpoint(nb, tmp_path, [["half"], ["plain"]])
    assert value(target, "'fractions' in __import__('sys').modules") is False  # a fresh kernel
    answer = {g["index"]: g for g in load(target, tmp_path, written, [["half"], ["plain"]])["groups"]}
    assert answer[0]["ok"] and 0 < answer[0]["importMs"] <= answer[0]["loadMs"]
    assert answer[0]["modulesImported"] >= 1  # fractions (and what it imports)
    assert answer[1]["ok"] and answer[1]["importMs"] == 0 and answer[1]["modulesImported"] == 0
    assert value(target, "str(half)") == "1/2"


def test_a_loads_imports_are_timed_wherever_they_happen(nb: KernelSession, tmp_path: Path) -> None:
    """A library's module-level object (``matplotlib.rcParams``) is pickled by reference: loading
    it imports its library from the agent's own reconstructor, not where pickle names a class.
    That time is import time too: the cost model prices imports per module and loads per byte,
    and counted as load time, 3 KB "took" 100 ms to load."""
    nb.run("import matplotlib\nsettings = matplotlib.rcParams")
    written = checkpoint(nb, tmp_path, [["settings"]])
    with running_kernel("import-timer-target", tmp_path) as fresh:
        assert value(fresh, "'matplotlib' in __import__('sys').modules") is False
        group = load(fresh, tmp_path, written, [["settings"]])["groups"][0]
        assert group["ok"] and group["modulesImported"] > 10, group
        assert group["importMs"] >= 0.5 * group["loadMs"], group
        assert value(fresh, "settings is __import__('matplotlib').rcParams") is True


def _restore_in_order(
    nb: KernelSession, target: KernelSession, bundle: Path, groups: list[list[str]], module: str, alias: str
) -> dict:
    """Checkpoint every group, re-run ``import module as alias`` in the target, load notebook
    classes first (instances refer to them by name), then the rest."""
    written = checkpoint(nb, bundle, groups, variables=sorted({n for g in groups for n in g} | {alias}))
    imports = f"import {module} as {alias}"
    assert all(g["ok"] for g in written["groups"]), written
    rerun(target, imports)
    classes = [i for i, g in enumerate(groups) if g[0][:1].isupper()]
    rest = [i for i in range(len(groups)) if i not in classes]
    for only in (classes, rest):
        assert all(g["ok"] for g in load(target, bundle, written, groups, only=only)["groups"])
    return written


# -- adopt -------------------------------------------------------------------------------------
@pytest.fixture
def companion() -> Iterator[FakeCompanion]:
    fake = FakeCompanion()
    yield fake
    fake.stop()


@pytest.fixture
def fresh(tmp_path_factory: pytest.TempPathFactory, companion: FakeCompanion) -> Iterator[KernelSession]:
    """A brand-new kernel reporting to the fake companion (adopt needs a kernel with no records)."""
    with running_kernel(KERNEL_ID, tmp_path_factory.mktemp("fresh"), companion.url, TOKEN) as session:
        yield session


def _bundle_with_history(nb: KernelSession, bundle: Path, groups: list[list[str]]) -> tuple[dict, list[dict]]:
    written = checkpoint(nb, bundle, groups)
    records = nb.records()
    (bundle / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return written, records


def test_adopt_continues_the_checkpointed_run(fresh: KernelSession, companion: FakeCompanion, tmp_path: Path) -> None:
    # A kernel of its own: the source's run must start at seq 0, like a real notebook's.
    with running_kernel("adopt-source", tmp_path) as source:
        source.run("import random\nitems = [1, 2]\ntotal = 0")
        source.run("draw = random.random()")
        source.run("total = sum(items)")
        groups = [["items"], ["total"], ["draw"]]
        written, records = _bundle_with_history(source, tmp_path, groups)
    assert [r["seq"] for r in records] == [0, 1, 2]

    rerun(fresh, "import random")
    assert all(g["ok"] for g in load(fresh, tmp_path, written, groups)["groups"])
    args = {"dir": str(tmp_path), "history": "history.jsonl", "random": written["random"]["file"]}
    assert agent_call(fresh, "adopt", args) == {"ok": True, "error": None, "records": 3}

    # The next recorded cell continues the run with fresh baselines: an in-place change of a
    # loaded variable is a write, and reading another is a read.
    fresh.seen = 3
    ex = fresh.run("items.append(total)")
    assert ex.record["seq"] == 3
    assert (ex.reads, ex.writes) == ({"items", "total"}, {"items"})
    assert fresh.run("unused = 1").writes == {"unused"}

    # Everything reached the companion under the new kernel's run id, old records first.
    assert fresh.evaluate(f"__import__('json').dumps({AGENT}.flush(10))") is True
    run_id = fresh.evaluate(f"__import__('json').dumps({AGENT}.status()['runId'])")
    assert [r["seq"] for r in companion.stored] == [0, 1, 2, 3, 4]
    assert [r["code"] for r in companion.stored[:3]] == [r["code"] for r in records]
    assert {b["runId"] for b in companion.batches} == {run_id}

    # The old run's random states were adopted: execution 1 can be replayed without the bundle.
    assert agent_call(fresh, "prepare", {"execution": 1})["applied"] is True
    rerun(fresh, "again = random.random()")
    assert value(fresh, "again == draw") is True

    # A kernel that already recorded cannot adopt again.
    again = agent_call(fresh, "adopt", args)
    assert again["ok"] is False and "already recorded 5 executions" in again["error"]


def test_adopt_refuses_a_damaged_history(fresh: KernelSession, tmp_path: Path) -> None:
    (tmp_path / "history.jsonl").write_text('{"seq": 0}\n{"seq": 2}\n')
    answer = agent_call(fresh, "adopt", {"dir": str(tmp_path), "history": "history.jsonl"})
    assert answer["ok"] is False and "expected the record with seq 1" in answer["error"]
    shutil.copy(tmp_path / "history.jsonl", tmp_path / "copy.jsonl")
    bad_sum = agent_call(
        fresh, "adopt", {"dir": str(tmp_path), "history": "copy.jsonl", "historyChecksum": "sha256:" + "0" * 64}
    )
    assert bad_sum["ok"] is False and bad_sum["error"].startswith("checksum mismatch in copy.jsonl")
    assert fresh.records() == []
