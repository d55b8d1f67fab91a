"""Per-cell fingerprints of matplotlib objects, without a kernel: every variable holding an artist
(the figure, its axes, an image, a line, a colorbar, an array of axes) sees a change made
anywhere in its figure, the figure is walked once for all of them at one moment, walking changes
nothing (matplotlib's callback registries advance an id counter when pickled), and an unchanged
figure fingerprints the same twice."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from test_agent_units import fingerprint_mod as fpm  # noqa: E402


def session() -> dict:
    fig, axs = plt.subplots(1, 2)
    image = axs[0].imshow(np.arange(9.0).reshape(3, 3))
    colorbar = fig.colorbar(image, ax=axs[0])
    (line,) = axs[1].plot([1, 2, 3])
    return {"fig": fig, "axs": axs, "left": axs[0], "right": axs[1], "image": image, "colorbar": colorbar, "line": line}


def prints(ns: dict) -> dict:
    """The fingerprints of every variable at one moment, sharing the figures walked."""
    figures: fpm.Figures = {}
    return {name: fpm.fingerprint(value, ns, figures=figures) for name, value in ns.items()}


@pytest.fixture
def ns():
    values = session()
    yield values
    plt.close("all")


CHANGES: dict[str, Callable[[dict], object]] = {
    "a title on one axes": lambda ns: ns["right"].set_title("changed"),
    "a new line": lambda ns: ns["left"].plot([3, 2, 1]),
    "new image data": lambda ns: ns["image"].set_data(np.ones((3, 3))),
    "a colorbar label": lambda ns: ns["colorbar"].set_label("units"),
    "a line's data": lambda ns: ns["line"].set_ydata([0, 0, 0]),
}


def test_unchanged_figures_fingerprint_the_same_and_walking_changes_nothing(ns: dict) -> None:
    counters = [repr(ax.callbacks._cid_gen) for ax in ns["axs"]]
    first, second = prints(ns), prints(ns)
    assert all(second[name].same_as(first[name]) for name in ns), [n for n in ns if not second[n].same_as(first[n])]
    assert [repr(ax.callbacks._cid_gen) for ax in ns["axs"]] == counters
    assert ns["left"].callbacks.connect("xlim_changed", print) == int(counters[0][6:-1])


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_anywhere_in_the_figure_shows_in_every_artist_variable(ns: dict, change: str) -> None:
    before = prints(ns)
    CHANGES[change](ns)
    after = prints(ns)
    assert sorted(name for name in ns if not after[name].same_as(before[name])) == sorted(ns)


def test_the_figure_is_walked_once_for_all_of_its_artists(ns: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    shared: fpm.Figures = {}
    together = {name: fpm.fingerprint(value, ns, figures=shared) for name, value in ns.items()}
    assert len(shared) == 1
    alone = {name: fpm.fingerprint(value, ns) for name, value in ns.items()}
    assert all(together[name].same_as(alone[name]) for name in ns)
    # Each artist keeps its own place: two axes of one figure do not fingerprint alike.
    assert together["left"].digest != together["right"].digest
    # They share the figure, so they are linked, as before.
    assert together["line"].ids & together["colorbar"].ids


def test_two_figures_are_apart(ns: dict) -> None:
    other_fig, other_ax = plt.subplots()
    ns = {**ns, "other_ax": other_ax}
    before = prints(ns)
    other_ax.set_title("only here")
    after = prints(ns)
    assert [name for name in ns if not after[name].same_as(before[name])] == ["other_ax"]


def test_an_artist_outside_any_figure_is_walked_as_it_is() -> None:
    line = Line2D([0, 1], [0, 1])
    before = fpm.fingerprint(line, {})
    line.set_color("red")
    assert not fpm.fingerprint(line, {}).same_as(before)


def test_pickling_a_figure_leaves_its_callback_counters_alone(ns: dict) -> None:
    import pickle

    from test_agent_units import agent

    byvalue = __import__(agent.__name__ + ".byvalue", fromlist=["serialize"])
    counters = [repr(ax.callbacks._cid_gen) for ax in ns["axs"]]
    pickled = byvalue.serialize({"fig": ns["fig"], "axs": ns["axs"]}, {})
    assert [repr(ax.callbacks._cid_gen) for ax in ns["axs"]] == counters
    loaded = pickle.loads(pickled.stream, buffers=pickled.buffers)
    assert [repr(ax.callbacks._cid_gen) for ax in loaded["axs"]] == counters
    assert loaded["axs"][0].figure is loaded["fig"]
    assert isinstance(loaded["axs"][1].callbacks.connect("ylim_changed", print), int)


def test_an_array_of_axes_is_linked_with_its_figure(ns: dict) -> None:
    """``plt.subplots`` returns the axes in an object array: it must be linked (one group, copied
    together) with the figure and everything else in it."""
    together = prints(ns)
    for name in ("fig", "image", "colorbar", "line"):
        assert together["axs"].ids & together[name].ids, name
