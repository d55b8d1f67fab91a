"""Checkpoint payloads on real kernels: written by one kernel's agent, loaded by another's.

Covers the payload format (out-of-band buffers), sharing inside a group, pandas, notebook
functions and classes with both by-value serializers, unserializable groups, and the
``checkpoint`` result (files, checksums, fingerprints, environment)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_helpers import AGENT, KernelSession
from checkpoint_helpers import (  # noqa: F401 - target_kernel and target are fixtures
    agent_call,
    checkpoint,
    load,
    read_header,
    rerun,
    target,
    target_kernel,
    transfer,
    value,
)


def test_arrays_travel_out_of_band_and_come_back_equal(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run(
        "import numpy as np\n"
        "a = np.arange(1_000_000, dtype=np.float64)\n"
        "f = np.asfortranarray(np.arange(120_000, dtype=np.int32).reshape(300, 400))\n"
        "frozen = np.ones(1000)\n"
        "frozen.flags.writeable = False"
    )
    groups = [["a"], ["f"], ["frozen"]]
    written = checkpoint(nb, tmp_path, groups)
    assert [g["ok"] for g in written["groups"]] == [True, True, True]
    assert [g["serializer"] for g in written["groups"]] == ["pickle"] * 3

    path = tmp_path / written["groups"][0]["file"]
    header, stream_at = read_header(path)
    assert header["members"] == ["a"]
    assert header["pickleBytes"] < 1000  # the array's bytes are not in the pickle stream...
    assert header["buffers"] == [8_000_000]  # ...but in one out-of-band buffer
    assert path.stat().st_size == stream_at + header["pickleBytes"] + 8_000_000
    assert written["groups"][0]["bytes"] == path.stat().st_size
    assert written["groups"][0]["checksum"].startswith("xxh3_128:")

    rerun(target, "import numpy as np")
    loaded = load(target, tmp_path, written, groups)
    assert [g["ok"] for g in loaded["groups"]] == [True, True, True], loaded
    assert value(target, "[float(a.sum()), a.dtype.str, a.flags.writeable]") == [499999500000.0, "<f8", True]
    assert value(target, "[f.flags.f_contiguous, f.shape, int(f[299, 399]), int(f[1, 0])]") == [True, [300, 400], 119999, 400]
    assert value(target, "frozen.flags.writeable") is False


def test_date_and_duration_arrays_travel_out_of_band(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    # numpy itself pickles datetime64/timedelta64 arrays in-band (a copy into the stream).
    nb.run(
        "import numpy as np\nimport pandas as pd\n"
        "when = np.arange(1_000_000).astype('datetime64[s]')\n"
        "late = when[10:20]\n"
        "gaps = np.asfortranarray(np.arange(60).reshape(6, 10).astype('timedelta64[ms]'))\n"
        "frame = pd.DataFrame({'ts': pd.date_range('2024-01-01', periods=200_000, freq='s'), 'x': 1.0})"
    )
    groups = [["late", "when"], ["gaps"], ["frame"]]
    written = checkpoint(nb, tmp_path, groups)
    assert all(g["ok"] for g in written["groups"]), written
    header, _ = read_header(tmp_path / written["groups"][0]["file"])
    assert header["pickleBytes"] < 2000 and header["buffers"] == [8_000_000]
    frame_header, _ = read_header(tmp_path / written["groups"][2]["file"])
    assert frame_header["pickleBytes"] < 10_000 and 1_600_000 in frame_header["buffers"]

    rerun(target, "import numpy as np\nimport pandas as pd")
    assert all(g["ok"] for g in load(target, tmp_path, written, groups)["groups"])
    assert value(target, "[str(when.dtype), str(when[999_999]), bool(np.shares_memory(late, when)), str(late[0])]") == [
        "datetime64[s]", "1970-01-12T13:46:39", True, "1970-01-01T00:00:10"
    ]
    assert value(target, "[gaps.flags.f_contiguous, str(gaps.dtype), int(gaps[5, 9] / np.timedelta64(1, 'ms'))]") == [True, "timedelta64[ms]", 59]
    described = "[str(frame['ts'].dtype), str(frame['ts'].iloc[-1]), frame['ts'].is_monotonic_increasing]"
    assert value(target, described) == value(nb, described)
    assert value(target, described)[1:] == ["2024-01-03 07:33:19", True]


def test_small_arrays_travel_in_the_stream_and_own_their_memory(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run(
        "import numpy as np\n"
        "frozen = np.arange(6.0)\nfrozen.flags.writeable = False\n"
        "fort = np.asfortranarray(np.arange(12, dtype=np.int16).reshape(3, 4))\n"
        "days = np.arange(4).astype('datetime64[D]')\n"
        "empty = np.empty((0, 3))\n"
        "rec = np.zeros(2, dtype=[('a', 'i4'), ('b', 'f8')])\n"
        "padded = np.frombuffer(bytearray(range(32)), dtype=np.dtype([('a', 'i4'), ('b', 'f8')], align=True))"
    )
    groups = [["frozen"], ["fort"], ["days"], ["empty"], ["rec"], ["padded"]]
    written = transfer(nb, target, tmp_path, groups)
    for entry in written["groups"]:
        header, _ = read_header(tmp_path / entry["file"])
        assert header["buffers"] == [] and "layouts" not in header  # all in the pickle stream
    described = (
        "[frozen.flags.writeable, frozen.flags.owndata, float(frozen.sum()), fort.flags.f_contiguous, int(fort[2, 3]),"
        " str(days[3]), empty.shape, rec.dtype.names, fort.flags.owndata, days.flags.owndata]"
    )
    assert value(target, described) == value(nb, described) == [False, True, 15.0, True, 11, "1970-01-04", [0, 3], ["a", "b"], True, True]
    # Byte for byte, the padding of an aligned record type included.
    assert value(target, "padded.view('u1').tobytes().hex()") == bytes(range(32)).hex()


def test_sharing_inside_a_group_survives(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run(
        "import numpy as np\n"
        "base = np.arange(12.0)\n"
        "view = base[2:5]\n"
        "grid = base.reshape(3, 4).T\n"
        "shared = [1, 2]\n"
        "d = {'k': shared}\n"
        "pair = [shared, 'x']\n"
        "alias = d"
    )
    transfer(nb, target, tmp_path, [["alias", "base", "d", "grid", "pair", "shared", "view"]])
    rerun(target, "view[0] = 99.0\ngrid[0, 1] = -1.0")
    assert value(target, "[float(base[2]), float(base[4]), grid.shape]") == [99.0, -1.0, [4, 3]]
    assert value(target, "[d['k'] is shared, pair[0] is shared, alias is d]") == [True, True, True]
    # The restored array owns its memory as the original did, so views name it as their base.
    owners = "[base.flags.owndata, base.base is None, view.base is base, grid.base is base]"
    assert value(target, owners) == value(nb, owners) == [True, True, True, True]


def test_separate_groups_do_not_share(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    # Control for the test above: the same objects split over two payloads are two copies.
    nb.run("shared = [1]\nholder = [shared]")
    transfer(nb, target, tmp_path, [["shared"], ["holder"]])
    assert value(target, "holder[0] is shared") is False


def test_pandas_dataframe_round_trip(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run(
        "import pandas as pd\n"
        "import numpy as np\n"
        "df = pd.DataFrame({'n': np.arange(50_000), 'x': np.linspace(0, 1, 50_000),"
        " 's': [f'r{i}' for i in range(50_000)]}).set_index('s')\n"
        "summary = df.describe()\n"
        "column = df['n']\n"
        "again = df.reset_index()"
    )
    written = transfer(nb, target, tmp_path, [["again", "column", "df"], ["summary"]])
    header, _ = read_header(tmp_path / written["groups"][0]["file"])
    assert sum(header["buffers"]) >= 50_000 * 16  # the numeric columns went out of band
    expression = "[df.to_json(), summary.to_json(), str(df.dtypes.to_dict()), df.index.name]"
    assert value(target, expression) == value(nb, expression)
    # Copy-on-write isolation between frames derived from one another survives the restore.
    change = "column.iloc[0] = -1\nagain.iloc[1, 1] = -2"
    nb.run(change)
    rerun(target, change)
    expression = "[int(df['n'].iloc[0]), int(df['n'].iloc[1]), int(column.iloc[0]), int(again.iloc[1, 1])]"
    assert value(target, expression) == value(nb, expression) == [0, 1, -1, -2]


@pytest.mark.parametrize("library", ["cloudpickle", "dill"])
def test_notebook_function_reads_live_globals(
    nb: KernelSession, target: KernelSession, tmp_path: Path, library: str
) -> None:
    source = "def scaled(y=1):\n    '''Scale by the global factor.'''\n    return factor * y\n"
    nb.run("factor = 3")
    nb.run(source)
    nb.run("def counter():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n        return n\n"
           "    def get():\n        return n\n    return inc, get\ninc, get = counter()\ninc()")
    rerun(nb, f"{AGENT}.byvalue.LIBRARIES = ({library!r},)")
    try:
        groups = [["scaled"], ["get", "inc"]]
        written = checkpoint(nb, tmp_path, groups)
    finally:
        rerun(nb, f"{AGENT}.byvalue.LIBRARIES = ('cloudpickle', 'dill')")
    assert [g["serializer"] for g in written["groups"]] == [library, library], written
    assert all(g["ok"] for g in load(target, tmp_path, written, groups)["groups"])
    rerun(target, "factor = 5")
    assert value(target, "[scaled(), scaled(2), scaled.__doc__, scaled.__globals__ is globals()]") == [
        5,
        10,
        "Scale by the global factor.",
        True,
    ]
    rerun(target, "factor = 7")
    assert value(target, "scaled()") == 7
    assert value(target, "__import__('inspect').getsource(scaled)") == source
    # The two closures still share their cell: the counter continues where it was, for both.
    assert value(target, "[inc(), get(), inc(), get()]") == [2, 2, 3, 3]


def test_restored_session_checkpoints_again(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    source = "def shifted(v):\n    return v + offset\n"
    nb.run("import numpy as np\noffset = 1\nsquare = np.arange(16.0).reshape(4, 4)\ncorner = square[:2, :2]")
    nb.run(source)
    groups = [["corner", "square"], ["shifted"]]
    transfer(nb, target, tmp_path / "first", groups)
    # The restored kernel is the source now; the original kernel, emptied, the target.
    nb.reset()
    transfer(target, nb, tmp_path / "second", groups)
    rerun(nb, "offset = 100\ncorner[1, 1] = -5.0")
    assert value(nb, "[shifted(1), float(square[1, 1]), float(square.sum())]") == [101, -5.0, 110.0]
    assert value(nb, "__import__('inspect').getsource(shifted)") == source


def test_notebook_classes_by_reference_and_by_value(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    definition = "class Point:\n    def __init__(self, x):\n        self.x = x\n    def scaled(self):\n        return self.x * scale\n"
    nb.run(definition)
    nb.run("scale = 2\np = Point(-3)\nclass Gone:\n    pass\ng = Gone()\ndel Gone")
    groups = [["p"], ["Point"], ["g"]]
    written = checkpoint(nb, tmp_path, groups)
    # `p`'s class is bound in the namespace: by reference, so plain pickle is enough.
    assert [g["serializer"] for g in written["groups"]] == ["pickle", "cloudpickle", "cloudpickle"]

    # Restore order: the class (copied by value) first, then the instance that refers to it.
    assert load(target, tmp_path, written, groups, only=[1])["groups"][0]["ok"]
    assert load(target, tmp_path, written, groups, only=[0, 2])["groups"][0]["ok"]
    rerun(target, "scale = 10")
    assert value(target, "[isinstance(p, Point), p.scaled(), type(g).__name__, 'Gone' in globals()]") == [
        True,
        -30,
        "Gone",
        False,
    ]

    # The same instance payload, with the class re-run instead of loaded.
    target.reset()
    rerun(target, definition + "scale = 1")
    assert load(target, tmp_path, written, groups, only=[0])["groups"][0]["ok"]
    assert value(target, "[isinstance(p, Point), p.scaled()]") == [True, -3]


def test_instance_before_its_class_fails_cleanly(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    nb.run("class Box:\n    pass\nb = Box()\nother = [1]")
    groups = [["b", "other"]]
    written = checkpoint(nb, tmp_path, groups)
    rerun(target, "other = 'before'")
    answer = load(target, tmp_path, written, groups)["groups"][0]
    assert answer["ok"] is False
    assert "'Box'" in answer["error"] and "does not define" in answer["error"]
    assert value(target, "[other, 'b' in globals()]") == ["before", False]  # nothing bound


def test_unserializable_group_fails_alone(nb: KernelSession, tmp_path: Path) -> None:
    nb.run(
        "import threading\n"
        "def numbers():\n    yield 1\n"
        "gen = numbers()\n"
        "handle = open('notes.txt', 'w')\n"
        "lock = threading.Lock()\n"
        "fine = {'a': [1, 2, 3]}\n"
        "holder = [handle]"
    )
    groups = [["gen"], ["handle"], ["lock"], ["fine"], ["holder"], ["numbers"], ["nope"]]
    written = checkpoint(nb, tmp_path, groups, variables=["gen", "fine"])
    by_index = {g["index"]: g for g in written["groups"]}
    assert by_index[0]["error"].startswith("cannot serialize 'gen' (generator): ")
    assert by_index[1]["error"].startswith("cannot serialize 'handle' (_io.TextIOWrapper): ")
    assert by_index[2]["error"].startswith("cannot serialize 'lock' (_thread.lock): ")
    assert by_index[4]["error"].startswith("cannot serialize 'holder' (list): ")
    assert by_index[6]["error"] == "not defined in the kernel: nope"
    for k in (0, 1, 2, 4, 6):
        assert by_index[k]["ok"] is False and by_index[k]["file"] is None
    assert by_index[3]["ok"] and by_index[5]["ok"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g3.pkl", "g5.pkl", "random.pkl"]
    assert written["fingerprints"]["gen"] == {
        "digest": None,
        "comparable": False,
        "reason": "holds a generator object, whose state cannot be read",
    }
    assert written["fingerprints"]["fine"]["comparable"] is True


def test_a_group_whose_file_cannot_be_written_fails_alone(nb: KernelSession, tmp_path: Path) -> None:
    # Files are written by two threads: a failed write is still reported on its own group.
    nb.run("import numpy as np\na = np.ones(3_000_000)\nb = np.zeros(3_000_000)\nc = [1, 2]")
    (tmp_path / "g1.pkl").mkdir()  # where group 1's file would go
    written = checkpoint(nb, tmp_path, [["a"], ["b"], ["c"]])
    by_index = {g["index"]: g for g in written["groups"]}
    assert by_index[1]["ok"] is False and by_index[1]["error"].startswith("cannot write g1.pkl: ")
    assert by_index[0]["ok"] and by_index[2]["ok"]
    assert (tmp_path / "g0.pkl").stat().st_size == by_index[0]["bytes"] > 24_000_000
    # The write time is the span the writes took together: it covers each write, inside the call.
    assert max(g["writeMs"] for g in written["groups"]) <= written["writeMs"] <= written["totalMs"]


def test_checkpoint_result_describes_files_and_environment(nb: KernelSession, tmp_path: Path) -> None:
    nb.run("import numpy as np\nx = np.zeros(10)")
    written = checkpoint(nb, tmp_path, [["x"]])
    group = written["groups"][0]
    assert group["file"] == "g0.pkl"  # names inside stagingDir, which becomes payloads/<id>/
    assert (tmp_path / group["file"]).stat().st_size == group["bytes"]
    random_file = written["random"]
    assert random_file["file"] == "random.pkl"
    assert (tmp_path / random_file["file"]).stat().st_size == random_file["bytes"]
    source = written["source"]
    assert source["python"].count(".") == 2 and source["implementation"] == "CPython"
    assert source["hostname"] and source["platform"]
    assert source["modules"]["numpy"] == value(nb, "np.__version__")
    assert not any(name.startswith("_") for name in source["modules"])


def test_checkpoint_and_verify_say_how_much_array_memory_they_hashed(nb: KernelSession, target: KernelSession, tmp_path: Path) -> None:
    """The cost model prices hashing arrays' memory apart from walking objects: both full
    fingerprints (the checkpoint's and the restore's verification) report what they hashed."""
    nb.run("import numpy as np\nbig = np.arange(2_000_000, dtype=np.float64)\nsmall = np.zeros(100)\nwords = ['a'] * 1000")
    written = checkpoint(nb, tmp_path, [["big"], ["small"], ["words"]], variables=["big", "small", "words"])
    # big's 16 MB, hashed whole and timed; small buffers cost less than the clock and are left out.
    assert written["hashed"]["bytes"] == 16_000_000 and written["hashed"]["ms"] > 0, written["hashed"]
    steps = [{"kind": "load", "groups": [
        {"index": g["index"], "members": m, "file": g["file"], "checksum": g["checksum"]}
        for g, m in zip(written["groups"], [["big"], ["small"], ["words"]])
    ]}]
    answer = agent_call(target, "restore", {"steps": steps, "dir": str(tmp_path), "random": None, "budgetMs": None,
                                            "finish": {"fingerprints": written["fingerprints"]}})
    assert answer["verification"]["ok"] is True, answer["verification"]
    assert answer["hashed"]["bytes"] == 16_000_000 and answer["hashed"]["ms"] > 0
    assert "hashed" not in answer["verification"]


def test_bad_arguments_are_reported_not_raised(nb: KernelSession, tmp_path: Path) -> None:
    assert agent_call(nb, "nonsense")["error"].startswith("unknown call 'nonsense'")
    no_dir = agent_call(nb, "checkpoint", {"checkpointId": "x", "groups": []})
    assert no_dir == {"ok": False, "error": "'stagingDir' must be a non-empty string, got None"}
    bad_group = agent_call(nb, "checkpoint", {"stagingDir": str(tmp_path), "groups": [{"index": 0, "members": "x"}]})
    assert bad_group["ok"] is False and "'members' must be a list of variable names" in bad_group["error"]
    outside = agent_call(
        nb, "load", {"dir": str(tmp_path), "groups": [{"index": 0, "members": ["x"], "file": "../x.pkl", "checksum": "sha256:00"}]}
    )
    assert outside["groups"][0]["ok"] is False
    assert "outside the bundle folder" in outside["groups"][0]["error"]
