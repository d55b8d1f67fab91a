"""numpy's builtin dtypes, and objects a library keeps at module level (``scipy.stats.t``, numpy's global ``RandomState``,
statsmodels' variance functions, ``matplotlib.rcParams``, ``dataclasses.MISSING``) travel by
reference: the restored session holds the library's own object, as the checkpointed one did,
with the content the checkpointed one had. Unit level: pickled and loaded in this process, where
only a reference keeps ``is`` true and only the state applied on load brings changed content back."""

from __future__ import annotations

import dataclasses
import io
import pickle

import matplotlib
import numpy as np
import pytest
import scipy.stats
from statsmodels.genmod.families import varfuncs

from test_agent_units import agent

byvalue = __import__(agent.__name__ + ".byvalue", fromlist=["serialize"])


def round_trip(members: dict) -> dict:
    pickled = byvalue.serialize(members, {})
    return pickle.loads(pickled.stream, buffers=pickled.buffers)


@pytest.mark.parametrize(
    "value",
    [scipy.stats.t, scipy.stats.norm, np.random.mtrand._rand, varfuncs.constant, varfuncs.mu_squared, dataclasses.MISSING],
    ids=["scipy.stats.t", "scipy.stats.norm", "numpy global RandomState", "varfuncs.constant", "varfuncs.mu_squared", "MISSING"],
)
def test_a_module_level_library_object_stays_the_library_object(value: object) -> None:
    holder = {"inside": [value], "again": value}
    loaded = round_trip({"holder": holder})["holder"]
    assert loaded["inside"][0] is value
    assert loaded["again"] is value


def test_its_content_is_the_checkpointed_content() -> None:
    key = "lines.linewidth"
    before = matplotlib.rcParams[key]
    try:
        matplotlib.rcParams[key] = 3.25
        pickled = byvalue.serialize({"params": matplotlib.rcParams}, {})
        matplotlib.rcParams[key] = 1.0  # what a fresh kernel would have
        loaded = pickle.loads(pickled.stream, buffers=pickled.buffers)["params"]
        assert loaded is matplotlib.rcParams
        assert matplotlib.rcParams[key] == 3.25
    finally:
        matplotlib.rcParams[key] = before


def test_the_global_generator_comes_back_at_its_checkpointed_state() -> None:
    np.random.seed(7)
    pickled = byvalue.serialize({"rng": np.random.mtrand._rand}, {})
    expected = np.random.random(3)
    np.random.seed(99)
    loaded = pickle.loads(pickled.stream, buffers=pickled.buffers)["rng"]
    assert loaded is np.random.mtrand._rand
    assert np.array_equal(np.random.random(3), expected)


def test_other_instances_of_those_classes_are_still_copied() -> None:
    own = np.random.RandomState(3)
    power = varfuncs.Power(power=3.0)
    loaded = round_trip({"own": own, "power": power})
    assert loaded["own"] is not own and loaded["own"].random() == np.random.RandomState(3).random()
    assert loaded["power"] is not power and loaded["power"].power == 3.0


def test_arrays_come_back_with_numpy_s_own_builtin_dtypes() -> None:
    """scikit-learn's KDTree keeps the very array its estimator holds only when
    ``np.asarray(x, dtype=np.float64) is x``: true for the singleton dtype, false for an equal copy."""
    import pandas as pd

    small, large = np.arange(6.0).reshape(3, 2), np.ones((300, 300))
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
    loaded = round_trip({"small": small, "large": large, "frame": frame, "kinds": [np.dtype("int32"), np.dtype(">f8")]})
    for name in ("small", "large"):
        assert loaded[name].dtype is np.dtype("float64"), name
        assert np.asarray(loaded[name], dtype=np.float64) is loaded[name], name
        assert (loaded[name] * 2).dtype is np.dtype("float64"), name
    assert loaded["frame"].to_numpy().dtype is np.dtype("float64")
    assert loaded["frame"]["b"].to_numpy().dtype is np.dtype("int64")
    assert loaded["kinds"][0] is np.dtype("int32")
    assert loaded["kinds"][1] == np.dtype(">f8")  # not builtin: numpy's own pickling


def test_an_estimator_refitted_on_restored_data_shares_what_it_shared() -> None:
    from sklearn.neighbors import KNeighborsClassifier

    X = np.random.RandomState(0).rand(40, 2)
    restored = round_trip({"X": X})["X"]
    knn = KNeighborsClassifier(n_neighbors=3, algorithm="kd_tree").fit(np.ascontiguousarray(restored), np.arange(40) % 2)
    assert knn._tree.__getstate__()[0] is knn._fit_X
