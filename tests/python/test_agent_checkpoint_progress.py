"""The checkpoint call's progress file (pipelined migration): a JSON line per group file, written
once the file is whole, so that the companion can send it before the call answers; a group that
fails writes no line, and a progress file that cannot be written does not fail the checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

from agent_helpers import KernelSession
from checkpoint_helpers import agent_call, new_checkpoint_id


def checkpoint_with_progress(nb: KernelSession, staging: Path, groups: list[list[str]], progress: Path) -> dict:
    result = agent_call(nb, "checkpoint", {
        "stagingDir": str(staging),
        "checkpointId": new_checkpoint_id(),
        "groups": [{"index": i, "members": members} for i, members in enumerate(groups)],
        "variables": sorted({n for g in groups for n in g}),
        "progressFile": str(progress),
    })
    assert result.get("error") is None, result
    return result


def test_each_written_group_file_is_reported_once_whole(nb: KernelSession, tmp_path: Path) -> None:
    nb.run("import numpy as np\nbig = np.arange(3_000_000.0)\nsmall = {'k': [1, 2]}\ngen = (i for i in range(3))")
    progress = tmp_path / "written.jsonl"
    result = checkpoint_with_progress(nb, tmp_path / "staging", [["big"], ["gen"], ["small"]], progress)
    lines = [json.loads(line) for line in progress.read_text().splitlines()]
    written = {g["index"]: g for g in result["groups"] if g["ok"]}
    assert sorted(written) == [0, 2]  # the generator's group failed and is not reported
    assert sorted(line["index"] for line in lines) == [0, 2]
    for line in lines:
        assert line == {"index": line["index"], "file": written[line["index"]]["file"], "bytes": written[line["index"]]["bytes"]}
        assert (tmp_path / "staging" / line["file"]).stat().st_size == line["bytes"]


def test_an_unwritable_progress_file_does_not_fail_the_checkpoint(nb: KernelSession, tmp_path: Path) -> None:
    nb.run("value = [1, 2, 3]")
    result = checkpoint_with_progress(nb, tmp_path / "staging", [["value"]], tmp_path / "missing" / "written.jsonl")
    assert [g["ok"] for g in result["groups"]] == [True]
    assert not (tmp_path / "missing").exists()
