"""The fingerprint's fast paths end to end, on a real ipykernel: what recorded cells write when
they change pandas objects deep inside (object and string columns, index, categories), when they
only read them, and when they touch huge containers or models whose reduce builds temporaries.
"""

from __future__ import annotations

from agent_helpers import KernelSession

SETUP = (
    "import numpy as np\nimport pandas as pd\n"
    "objects = np.empty(3, dtype=object)\nobjects[:] = [[1], {'k': 1}, 'text']\n"
    "df = pd.DataFrame({'x': [1.0, 2.0, 3.0], 's': pd.array(['a', None, 'c'], dtype='str'),"
    " 'o': objects, 'c': pd.Categorical(['u', 'v', 'u']),"
    " 'd': pd.date_range('2024-01-01', periods=3)})\n"
    "other = pd.DataFrame({'y': [1, 2, 3]})"
)


def test_deep_changes_inside_a_frame_are_writes(nb: KernelSession) -> None:
    nb.run(SETUP)
    for cell in (
        "df.loc[0, 'o'].append(2)",  # a list inside an object column
        "df.loc[1, 'o']['k'] = 2",  # a dict inside an object column
        "df.loc[1, 's'] = 'b'",  # a missing string filled in
        "df.loc[2, 'c'] = 'v'",  # a categorical code
        "df.index = pd.Index([10, 11, 12], name='id')",
        "df.attrs['source'] = 'survey'",
        "df.loc[10, 'd'] = pd.Timestamp('1999-12-31')",
    ):
        ex = nb.run(cell)
        assert ex.writes == {"df"} and "df" in ex.reads, (cell, ex.record)


def test_reading_a_frame_writes_nothing(nb: KernelSession) -> None:
    nb.run(SETUP)
    ex = nb.run(
        "summary = df.describe()\nday = df['d'].dt.day\nfound = df.index.get_loc(1)\n"
        "by = df.groupby('c', observed=True)['x'].sum()\ntext = repr(df)"
    )
    assert ex.writes == {"summary", "day", "found", "by", "text"}
    assert "df" in ex.reads


def test_a_cell_reading_every_variable_through_globals_writes_only_what_it_changed(nb: KernelSession) -> None:
    nb.run(
        "import numpy as np\nfrom sklearn.ensemble import RandomForestRegressor\n"
        "a0 = np.arange(5.0)\na1 = np.arange(5.0)\nrng = np.random.default_rng(0)\n"
        "forest = RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0)"
        ".fit(rng.standard_normal((20, 2)), rng.standard_normal(20))\nlabels = ['p', 'q']"
    )
    ex = nb.run("total = sum(globals()[f'a{i}'].sum() for i in range(2))\na1 += 1")
    # The forest's reduce builds new arrays every time: they must neither show as a change nor link.
    assert ex.writes == {"total", "a1"}
    assert frozenset({"forest"}) in ex.groups


def test_huge_lists_are_sampled_but_an_append_anywhere_is_a_write(nb: KernelSession) -> None:
    created = nb.run("rows = [[i, str(i)] for i in range(200_000)]\nkept = rows[123_456]")
    assert "rows" in created.record["needsFullCheck"]
    assert frozenset({"rows", "kept"}) in created.groups
    ex = nb.run("len(rows)")
    assert ex.writes == set()
    ex = nb.run("rows[123_457].append(None)")
    assert ex.writes == {"rows"}


def test_globals_with_a_constant_key_reads_and_writes_exactly_that_name(nb: KernelSession) -> None:
    nb.run("lst = [1]\nother = [2]")
    ex = nb.run("globals()['lst'].append(3)")
    assert (ex.reads, ex.writes) == ({"lst"}, {"lst"})
    ex = nb.run("globals()['fresh'] = lst")
    assert ex.writes == {"fresh"} and frozenset({"lst", "fresh"}) in ex.groups
    ex = nb.run("globals()[''.join(['oth', 'er'])].append(4)")  # a computed key: every variable may change
    assert ex.writes == {"other"}
