"""The fingerprint's fast paths, without a kernel: pandas frames and series (blocks, extension
arrays, axes, names, attrs, flags), large and strided arrays, huge Python containers, and the ids
used for links. Every case changes something the fast path hashes and asserts that the change
shows; the cases for stability assert that reading (which fills pandas' caches) changes nothing.
"""

from __future__ import annotations

import collections
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_agent_units import fingerprint_mod as fpm

SMALL_BUDGET = 64 * 1024  # forces sampling of anything beyond 256 KB
FULL = 1 << 62  # the checkpoint-time budget: nothing sampled


def fp(value: Any, budget: int = fpm.DEFAULT_BUDGET_BYTES) -> Any:
    return fpm.fingerprint(value, {}, budget)


def changes(value: Any, change: Callable[[], object], budget: int = fpm.DEFAULT_BUDGET_BYTES) -> bool:
    """True when ``change()`` makes the fingerprint of ``value`` differ (and it was stable before)."""
    before = fp(value, budget)
    assert fp(value, budget).same_as(before), "not stable without a change"
    change()
    return not fp(value, budget).same_as(before)


def frame() -> pd.DataFrame:
    objects = np.empty(6, dtype=object)
    objects[:] = [[1], {"k": 2}, "t", 4, None, (5,)]
    return pd.DataFrame(
        {
            "x": np.arange(6.0),
            "n": np.arange(6),
            "s": pd.array(["a", "b", None, "d", "e", "f"], dtype="str"),
            "o": objects,
            "c": pd.Categorical(["u", "v", "u", "v", "u", "v"]),
            "d": pd.date_range("2024-01-01", periods=6, freq="D"),
        },
        index=pd.Index([10, 11, 12, 13, 14, 15], name="key"),
    )


def test_frames_take_the_fast_path() -> None:
    walker = fpm._Walker({}, fpm.DEFAULT_BUDGET_BYTES)
    walker.walk(frame())
    assert walker.parts[0] == "PD:DataFrame"
    assert not any(part.startswith("R:pandas.core.internals") for part in walker.parts), walker.parts


def _set(df: pd.DataFrame, row: object, column: str, value: object) -> None:
    df.loc[row, column] = value


def _set_index(df: pd.DataFrame) -> None:
    df.index = pd.Index([9, 11, 12, 13, 14, 15], name="key")


def _add_category(df: pd.DataFrame) -> None:
    df["c"] = df["c"].cat.add_categories(["w"])


def _no_duplicate_labels(df: pd.DataFrame) -> None:
    df.flags.allows_duplicate_labels = False


FRAME_CHANGES: dict[str, Callable[[pd.DataFrame], object]] = {
    "float cell": lambda df: _set(df, 12, "x", -1.0),
    "int cell": lambda df: _set(df, 15, "n", 99),
    "string cell": lambda df: _set(df, 10, "s", "z"),
    "missing string": lambda df: _set(df, 12, "s", "was missing"),
    "object cell": lambda df: _set(df, 13, "o", 40),
    "list inside an object cell": lambda df: df.loc[10, "o"].append(2),
    "dict inside an object cell": lambda df: df.loc[11, "o"].update(k=3),
    "categorical code": lambda df: _set(df, 10, "c", "v"),
    "categories": _add_category,
    "datetime cell": lambda df: _set(df, 10, "d", pd.Timestamp("2000-01-01")),
    "index values": _set_index,
    "index name": lambda df: df.index.rename("other", inplace=True),
    "column label": lambda df: setattr(df, "columns", ["y", "n", "s", "o", "c", "d"]),
    "new column": lambda df: df.insert(0, "new", 1),
    "dropped column": lambda df: df.pop("n"),
    "attrs": lambda df: df.attrs.update(unit="m"),
    "flags": _no_duplicate_labels,
    "user attribute": lambda df: vars(df).update(note="user attribute"),
}


@pytest.mark.parametrize("name", FRAME_CHANGES)
def test_every_in_place_change_of_a_frame_shows(name: str) -> None:
    df = frame()
    assert changes(df, lambda: FRAME_CHANGES[name](df))


def test_series_changes_show() -> None:
    s = pd.Series(np.arange(5.0), name="a")
    assert changes(s, lambda: s.iloc.__setitem__(2, -1.0))
    assert changes(s, lambda: setattr(s, "name", "b"))
    assert changes(s, lambda: setattr(s, "index", list("vwxyz")))
    strings = pd.Series(["p", None, "r"], dtype="str")
    assert changes(strings, lambda: strings.iloc.__setitem__(1, "q"))


def test_reading_a_frame_changes_nothing() -> None:
    """Reads fill pandas caches (index engines, datetime units, cached properties): no change."""
    df = frame()
    before = fp(df)
    df.loc[12, "x"], df["d"].dt.day, df.index.get_loc(13), df["c"].cat.codes, repr(df), df.describe()
    df.groupby("c", observed=True)["x"].sum(), df.columns.get_loc("s"), df.index.is_monotonic_increasing
    assert fp(df).same_as(before)


def test_a_frame_over_an_array_sees_writes_to_the_array() -> None:
    """A frame built without copying holds a (Fortran-ordered) view of the user's array."""
    base = np.arange(12.0).reshape(4, 3)
    df = pd.DataFrame(base, copy=False)
    assert np.shares_memory(df.to_numpy(), base)
    assert changes(df, lambda: base.__setitem__((3, 2), -1.0))
    assert fp(df).ids & fp(base).ids, "frame and array share memory: linked"
    # The same beyond the budget (sampled, in memory order): the first and last elements.
    big = np.zeros((200_000, 3))
    big_df = pd.DataFrame(big, copy=False)
    assert changes(big_df, lambda: big.__setitem__((0, 0), 1.0), SMALL_BUDGET)
    assert changes(big_df, lambda: big.__setitem__((-1, -1), 1.0), SMALL_BUDGET)
    assert fp(big_df, SMALL_BUDGET).partial


def test_large_blocks_are_sampled_start_to_end() -> None:
    df = pd.DataFrame({"x": np.zeros(100_000), "y": np.zeros(100_000)})
    assert fp(df, SMALL_BUDGET).partial
    assert changes(df, lambda: df.iloc.__setitem__((0, 0), 1.0), SMALL_BUDGET)
    assert changes(df, lambda: df.iloc.__setitem__((-1, 1), 1.0), SMALL_BUDGET)
    assert changes(df, lambda: df.iloc.__setitem__((slice(40_000, 41_000), 0), 2.0), SMALL_BUDGET)


def test_series_sharing_a_frame_block_is_linked_and_derived_frames_are_not() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": pd.Categorical(["x", "y"])})
    s = df["a"]
    assert np.shares_memory(s.to_numpy(), df[["a", "b"]].to_numpy()) or fp(df).ids & fp(s).ids
    assert fp(df).ids & fp(s).ids
    # describe() and head() build new data; they share only immutable Index and dtype objects.
    top = df.head(1).copy()
    assert top["c"].dtype is df["c"].dtype
    assert not fp(df).ids & fp(top).ids
    assert not fp(df).ids & fp(df.describe()).ids


def test_frame_subclasses_take_the_generic_walk_and_still_see_changes() -> None:
    class Sub(pd.DataFrame):
        _metadata = ["unit"]

        @property
        def _constructor(self) -> type:
            return Sub

    sub = Sub({"a": [1.0, 2.0]})
    sub.unit = "kg"
    assert changes(sub, lambda: sub.iloc.__setitem__((0, 0), 5.0))
    assert changes(sub, lambda: setattr(sub, "unit", "g"))


def test_full_digests_do_not_depend_on_memory_layout() -> None:
    """Full digests are compared across processes (checkpoint, restore): C order whatever the layout."""
    c_order = np.arange(20.0).reshape(4, 5)
    assert fp(np.asfortranarray(c_order)).digest == fp(c_order).digest
    assert fp(c_order[:, ::2]).digest == fp(np.ascontiguousarray(c_order[:, ::2])).digest
    assert fp({"b", "a", "c"}).digest == fp({"c", "a", "b"}).digest


def test_large_strided_views_are_sampled_without_a_copy() -> None:
    base = np.zeros((1000, 400))
    view = base[:, ::2]  # 1.6 MB, not contiguous
    assert fp(view, SMALL_BUDGET).partial
    assert changes(view, lambda: view.__setitem__((0, 0), 1.0), SMALL_BUDGET)
    assert changes(view, lambda: view.__setitem__((-1, -1), 1.0), SMALL_BUDGET)
    assert changes(view, lambda: view.__setitem__((slice(500, 510), slice(None)), 3.0), SMALL_BUDGET)


def test_sampled_buffers_cover_both_ends_and_every_wide_change() -> None:
    arr = np.zeros(1_000_000)
    for where in (0, -1, slice(500_000, 501_000)):
        assert changes(arr, lambda where=where: arr.__setitem__(where, arr[where] + 1.0), SMALL_BUDGET)


def test_huge_containers_are_sampled_but_see_appends_anywhere() -> None:
    rows = [[i, i + 1] for i in range(50_000)]
    walker = fpm._Walker({}, SMALL_BUDGET)
    assert len(rows) > walker.walk_limit
    assert fp(rows, SMALL_BUDGET).partial
    assert changes(rows, lambda: rows[12_345].append(0), SMALL_BUDGET)  # lengths of all items
    assert changes(rows, lambda: rows[0].__setitem__(0, -1), SMALL_BUDGET)  # a sampled item
    assert changes(rows, lambda: rows.append([1]), SMALL_BUDGET)
    # Links through any direct item, sampled or not.
    assert id(rows[12_345]) in fp(rows, SMALL_BUDGET).ids
    table = {f"k{i}": [i] for i in range(50_000)}
    assert changes(table, lambda: table["k777"].append(1), SMALL_BUDGET)
    assert changes(table, lambda: table.__setitem__("k1", [2]), SMALL_BUDGET)  # an item replaced
    assert changes(rows, lambda: rows.__setitem__(40_001, [0, 0]), SMALL_BUDGET)


def test_containers_under_the_limit_are_walked_whole() -> None:
    rows = [[i, i + 1] for i in range(1000)]
    assert not fp(rows).partial
    assert changes(rows, lambda: rows[777].__setitem__(1, 0))


def test_strings_holding_the_separator_stay_distinct() -> None:
    assert fp(["a\x1f", "b"] * 10).digest != fp(["a", "\x1fb"] * 10).digest
    objs = np.array(["a\x1f", "b"], dtype=object)
    assert fp(objs).digest != fp(np.array(["a", "\x1fb"], dtype=object)).digest


class _FreshState:
    """An object whose reduce builds a new numpy array every time (like sklearn's trees)."""

    def __init__(self) -> None:
        self.size = 3

    def __reduce__(self) -> tuple:
        return (_FreshState, (), {"table": np.arange(self.size)})


def test_arrays_built_by_reduce_do_not_leak_their_ids() -> None:
    obj = _FreshState()
    first, second = fp(obj), fp(obj)
    assert first.ids == second.ids == frozenset({id(obj)})
    assert second.same_as(first)


def test_arrays_held_through_a_reduce_result_still_link() -> None:
    shared = np.arange(10.0)

    class Holder:
        def __init__(self) -> None:
            self.hidden = [shared]

        def __reduce__(self) -> tuple:
            return (Holder, (), {"data": self.hidden[0][2:5]})  # a temporary view of `shared`

    assert id(shared) in fp(Holder()).ids


def test_categories_are_part_of_the_digest() -> None:
    first = pd.DataFrame({"c": pd.Categorical(["u", "v"])})
    other = pd.DataFrame({"c": pd.Categorical(["u", "w"])})  # same codes, other labels
    assert first["c"].cat.codes.tolist() == other["c"].cat.codes.tolist()
    assert fp(first).digest != fp(other).digest
    ordered = pd.DataFrame({"c": pd.Categorical(["u", "v"], ordered=True)})
    assert fp(first).digest != fp(ordered).digest


_SHARED_PD_DTYPE = pd.Int64Dtype()


class _Config:
    def __init__(self) -> None:
        self.np_dtype = np.dtype("float64")
        self.pd_dtype = _SHARED_PD_DTYPE
        self.values: list[int] = []


def test_shared_immutable_dtypes_do_not_link() -> None:
    """numpy and pandas dtype objects are immutable and widely shared: holding one links nothing."""
    first, second = _Config(), _Config()
    assert first.np_dtype is second.np_dtype and first.pd_dtype is second.pd_dtype
    assert not fp(first).ids & fp(second).ids
    second.values = first.values
    assert fp(first).ids & fp(second).ids


def test_a_pickled_copy_has_the_same_full_digest() -> None:
    """Checkpoint and restore compare full digests across processes: unpickling must not show."""
    df = frame()
    df.attrs["unit"] = "m"
    series = df["x"].rename("named")
    for value in (df, series, (df, series)):
        copy = pickle.loads(pickle.dumps(value))
        assert fp(copy, FULL).digest == fp(value, FULL).digest


def test_huge_dict_subclasses_deques_and_object_columns_are_bounded_too() -> None:
    groups = collections.defaultdict(list)
    for i in range(50_000):
        groups[f"g{i}"].append(i)
    assert fp(groups, SMALL_BUDGET).partial
    assert changes(groups, lambda: groups["g4321"].append(0), SMALL_BUDGET)
    assert id(groups["g4321"]) in fp(groups, SMALL_BUDGET).ids
    queue = collections.deque([i] for i in range(50_000))
    assert changes(queue, lambda: queue[30_001].append(0), SMALL_BUDGET)
    # An object column: elements sampled by count (like strings), then walked sampled again; the
    # lengths of all sampled elements count, walked or not.
    cells = np.empty(50_000, dtype=object)
    cells[:] = [[i] for i in range(50_000)]
    assert fp(cells, SMALL_BUDGET).partial
    walker = fpm._Walker({}, SMALL_BUDGET)
    second_sampled = -(-cells.size // walker.object_limit)
    assert walker.object_limit > walker.walk_limit
    assert changes(cells, lambda: cells[second_sampled].append(0), SMALL_BUDGET)
    assert changes(cells, lambda: cells[0].__setitem__(0, -1), SMALL_BUDGET)


def test_sampled_containers_keep_for_links_exactly_the_items_held_elsewhere_too() -> None:
    """Items only the container holds are reached through it (its own id links); the others are
    kept, sampled or not, whatever else the container holds."""
    shared_list, shared_dict = [0], {"k": 0}
    rows: list[Any] = [[i] for i in range(50_000)]
    rows[33_333] = shared_list
    rows.append("a string among lists")
    ids = fp(rows, SMALL_BUDGET).ids
    assert id(rows) in ids and id(shared_list) in ids
    assert id(rows[33_334]) not in ids
    other = {"held": shared_list}
    assert fp(rows, SMALL_BUDGET).ids & fp(other).ids
    table = {i: [i] for i in range(50_000)}
    table[7] = shared_dict
    members = {frozenset({i}) for i in range(50_000)} | {frozenset({"x"})}
    for container, item in ((table, shared_dict), (rows, shared_list)):
        assert id(item) in fp(container, SMALL_BUDGET).ids
    assert id(members) in fp(members, SMALL_BUDGET).ids
