"""Library settings (matplotlib's rcParams) as re-runs depend on them: taken before each cell as
their difference from the defaults, kept in ``random.pkl``, set again before each re-run and at
the end of a restore. A cell like ``plt.rc("figure", figsize=(16, 8))`` assigns no variable, so
the history alone cannot know that a later figure depends on it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checkpoint_helpers import agent_call, checkpoint, running_kernel, value
from test_agent_units import agent  # the agent package, loaded from its folder

settings = sys.modules[agent.__name__ + ".settings"]
randomness = sys.modules[agent.__name__ + ".randomness"]


@pytest.fixture
def rc():
    """matplotlib's rcParams at their defaults (backend aside), put back as they were after the test."""
    mpl = pytest.importorskip("matplotlib")
    saved = dict.copy(mpl.rcParams)
    dict.update(mpl.rcParams, {k: v for k, v in dict.items(mpl.rcParamsOrig) if k not in ("backend", "interactive")})
    yield mpl.rcParams
    dict.update(mpl.rcParams, saved)


def test_settings_are_kept_as_their_difference_from_the_defaults(rc, tmp_path: Path) -> None:
    history = randomness.RandomHistory()
    history.capture(0)
    assert history.settings.entries == [(0, {})]  # matplotlib is imported, nothing changed yet
    rc["figure.figsize"] = [16, 8]
    rc["font.family"] = ["monospace"]
    history.capture(1)
    history.capture(2)  # nothing changed since: not stored again
    rc["font.family"].append("serif")  # changed in place: the kept list is a copy
    history.capture(3)
    kept = [(seq, diff) for seq, diff in history.settings.entries if diff]
    assert kept == [
        (1, {"figure.figsize": [16.0, 8.0], "font.family": ["monospace"]}),
        (3, {"figure.figsize": [16.0, 8.0], "font.family": ["monospace", "serif"]}),
    ]
    saved = history.save(str(tmp_path / "random.pkl"))
    states = randomness.load_states(str(tmp_path / "random.pkl"), saved.checksum)
    assert states.settings.final == {"figure.figsize": [16.0, 8.0], "font.family": ["monospace", "serif"]}

    rc["lines.linewidth"] = 7.0
    assert states.settings.apply(2) is True  # before execution 2: the state captured before 1
    assert list(rc["figure.figsize"]) == [16.0, 8.0] and rc["font.family"] == ["monospace"]
    assert rc["lines.linewidth"] == dict.__getitem__(__import__("matplotlib").rcParamsOrig, "lines.linewidth")
    assert states.settings.apply(2) is False  # already so: nothing to change
    assert states.settings.apply_final() is True and rc["font.family"] == ["monospace", "serif"]
    assert states.settings.apply(0) is True  # before any change: the defaults
    assert settings.current() == {}


def test_a_setting_that_does_not_pickle_leaves_the_random_states_saved(rc, tmp_path: Path) -> None:
    history = randomness.RandomHistory()
    dict.__setitem__(rc, "figure.dpi", lambda: 1)  # no validator would let this in; a library might
    history.capture(0)
    saved = history.save(str(tmp_path / "random.pkl"))
    states = randomness.load_states(str(tmp_path / "random.pkl"), saved.checksum)
    assert states.settings.entries == [] and states.settings.final is None


def test_malformed_settings_are_refused(tmp_path: Path) -> None:
    assert settings.from_saved(None).entries == []  # bundles from before settings were kept
    for bad in ({"entries": "x"}, {"entries": [(0,)]}, {"entries": [("a", {})]}, {"entries": [], "final": {1: 2}}):
        with pytest.raises(ValueError, match="malformed library settings"):
            settings.from_saved(bad)


def test_a_session_that_changes_no_setting_never_imports_matplotlib_to_restore_one() -> None:
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_agent_units import agent\n"
        "s = sys.modules[agent.__name__ + '.settings']\n"
        "assert s.current() is None and s.set_settings(None) is False and s.set_settings({}) is False\n"
        "assert 'matplotlib' not in sys.modules\n"
        "sys.modules['matplotlib'] = None  # not installed: settings are left, nothing raises\n"
        "assert s.set_settings({'figure.dpi': 50.0}) is False\n"
        "del sys.modules['matplotlib']\n"
        "import matplotlib\n"
        "assert s.current() == {}, s.current()\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


_CELLS = [
    "import matplotlib.pyplot as plt",
    'plt.rc("figure", figsize=(16, 8))',
    "fig = plt.figure()\nsize = [float(v) for v in fig.get_size_inches()]",
    'plt.style.use("ggplot")  # after the figure: not what it was made with',
]
_SETTINGS = "[list(plt.rcParams['figure.figsize']), plt.rcParams['axes.facecolor']]"


def test_a_rerun_plots_with_the_settings_of_its_time_and_the_restore_ends_with_the_checkpoints(tmp_path: Path) -> None:
    """The figure is re-run (not copied) in a fresh kernel: it must be 16x8 as in the session,
    not matplotlib's default 6.4x4.8, without the style set after it; the restored session then
    has the settings the checkpoint was taken with, so its next figure is the session's."""
    with running_kernel("settings-source", tmp_path) as source:
        for code in _CELLS:
            source.run(code)
        records = source.records()[-len(_CELLS):]
        groups = [["plt"], ["fig", "size"]]
        written = checkpoint(source, tmp_path, groups)
        (tmp_path / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
        expected = value(source, _SETTINGS)
        assert value(source, "size") == [16.0, 8.0] and expected[0] == [16.0, 8.0]
    with running_kernel("settings-target", tmp_path) as fresh:
        plt_group = written["groups"][0]
        steps = [
            {"kind": "load", "groups": [{"index": 0, "members": ["plt"], "file": plt_group["file"], "checksum": plt_group["checksum"]}]},
            {"kind": "rerun", "execution": records[2]["seq"], "code": records[2]["code"]},
        ]
        random = {"dir": str(tmp_path), "file": written["random"]["file"], "checksum": written["random"]["checksum"]}
        answer = agent_call(fresh, "restore", {
            "steps": steps, "dir": str(tmp_path), "random": random, "budgetMs": None,
            "finish": {"fingerprints": written["fingerprints"]},
        })
        assert answer["ok"] and answer["stopped"] is None, answer
        assert answer["verification"]["ok"] is True, answer["verification"]
        assert value(fresh, "size") == [16.0, 8.0]
        assert value(fresh, _SETTINGS) == expected
