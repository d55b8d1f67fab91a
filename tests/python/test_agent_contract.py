"""The kernel agent keeps to the wire contract: every record batch it posts to the companion and
every answer to a named call is valid against the JSON Schema generated from the zod schemas of
``@elastic-notebook/protocol`` (protocol/lib/json-schema, written by ``npm run setup``), the same
schemas the companion validates with.

The schemas are checked *closed*: an object the contract lets pass through unknown fields
(``looseObject``, ``passthrough``) must still carry only the fields it names, so a field the
agent renames fails twice, as missing under its contract name and as unknown under the new one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from agent_helpers import KernelSession
from checkpoint_helpers import agent_call, checkpoint, load, running_kernel
from test_agent_transport import KERNEL_ID, TOKEN, FakeCompanion

SCHEMAS = Path(__file__).resolve().parents[2] / "protocol" / "lib" / "json-schema"

# Cells that make the agent fill in every optional field of a record: an error, imports of a
# library, an in-place change, a deletion, fresh OS entropy, a function, a large array.
CELLS = [
    "import numpy as np\nbig = np.arange(3_000_000, dtype=np.float64)",
    "items = [1, 2]\nalias = items",
    "items.append(3)",
    "def double(v):\n    return 2 * v\nfour = double(2)",
    "import os\nnoise = os.urandom(8)\nrng = np.random.default_rng()",
    "del alias",
    "raise ValueError('bad value')",
]


def closed(schema: Any) -> Any:
    """The schema with every ``additionalProperties: {}`` (unknown fields pass) made ``false``."""
    if isinstance(schema, dict):
        out = {key: closed(value) for key, value in schema.items()}
        if out.get("additionalProperties") == {}:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    return schema


def validator(name: str) -> Draft202012Validator:
    path = SCHEMAS / f"{name}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: `npm run setup` writes it from protocol/src/schemas")
    return Draft202012Validator(closed(json.loads(path.read_text())))


def problems(name: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks the contract ``name``, as `path: message` lines."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in sorted(validator(name).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def assert_valid(name: str, instance: Any) -> None:
    found = problems(name, instance)
    assert not found, f"the agent's {name} breaks the contract:\n" + "\n".join(found)


@pytest.fixture
def companion() -> Iterator[FakeCompanion]:
    fake = FakeCompanion()
    yield fake
    fake.stop()


def test_every_record_batch_the_agent_posts_is_valid(companion: FakeCompanion, tmp_path: Path) -> None:
    with running_kernel(KERNEL_ID, tmp_path, companion.url, TOKEN) as session:
        for code in CELLS:
            session.run(code)
        assert session.evaluate("__import__('json').dumps(__import__('sys').modules['_elastic_notebook_agent'].flush(10))")
    batches = list(companion.batches)
    assert sum(len(b["records"]) for b in batches) >= len(CELLS)
    for batch in batches:
        assert_valid("record-batch", batch)
    # The cells did make the agent report what the contract names as optional.
    fields = {key for batch in batches for record in batch["records"] for key in record}
    assert {"variables", "modified", "modulesLoaded", "packagesLoaded", "nondeterministic"} <= fields, fields


def test_every_named_call_answers_as_the_contract_says(nb: KernelSession, tmp_path: Path) -> None:
    nb.run("import random\nseed_list = [1, 2, 3]")
    nb.run("drawn = [random.random() for _ in range(3)]")
    nb.run("total = sum(seed_list)\nlabel = f'total {total}'")
    records = nb.records()[-3:]
    groups = [["seed_list"], ["total"], ["drawn"], ["label"]]
    written = checkpoint(nb, tmp_path, groups, variables=["drawn", "label", "random", "seed_list", "total"])
    (tmp_path / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    random_file = {"dir": str(tmp_path), "file": written["random"]["file"], "checksum": written["random"]["checksum"]}

    def entries(only: list[int]) -> list[dict]:
        return [
            {"index": g["index"], "members": groups[g["index"]], "file": g["file"], "checksum": g["checksum"]}
            for g in written["groups"]
            if g["index"] in only
        ]

    with running_kernel(f"contract-target-{time.monotonic_ns()}", tmp_path) as target:
        answers = {
            "imports": agent_call(target, "imports", {"codes": [records[0]["code"]], "available": ["random"]}),
            "prepare": agent_call(
                target, "prepare", {"execution": 1, "dir": str(tmp_path), "random": written["random"]["file"],
                                    "checksum": written["random"]["checksum"]}
            ),
            "load": load(target, tmp_path, written, groups, only=[0]),
        }
        answers["verify"] = agent_call(target, "verify", {"fingerprints": written["fingerprints"]})
    with running_kernel(f"contract-restore-{time.monotonic_ns()}", tmp_path) as fresh:
        steps = [
            {"kind": "rerun", "execution": 0, "code": records[0]["code"]},
            {"kind": "load", "groups": entries([0])},
            {"kind": "rerun", "execution": 1, "code": records[1]["code"]},
            {"kind": "load", "groups": entries([1, 3])},
        ]
        answers["restore"] = agent_call(fresh, "restore", {
            "steps": steps, "dir": str(tmp_path), "random": random_file, "budgetMs": None,
            "imports": {"codes": [records[0]["code"]], "available": ["random"]},
            "finish": {"fingerprints": written["fingerprints"],
                       "adopt": {"dir": str(tmp_path), "history": "history.jsonl", "random": written["random"]["file"]}},
        })
    with running_kernel(f"contract-adopt-{time.monotonic_ns()}", tmp_path) as fresh:
        load(fresh, tmp_path, written, groups)
        answers["adopt"] = agent_call(
            fresh, "adopt", {"dir": str(tmp_path), "history": "history.jsonl", "random": written["random"]["file"]}
        )
    assert answers["restore"]["ok"] is True and answers["restore"]["stopped"] is None, answers["restore"]
    assert answers["adopt"]["ok"] is True, answers["adopt"]
    answers["checkpoint"] = written
    answers["status"] = agent_call(nb, "status", {})
    assert answers["status"]["active"] is True and answers["status"]["recorded"] >= 3, answers["status"]
    found = [f"{name}: {p}" for name, answer in answers.items() for p in problems(f"agent-reply-{name}", answer)]
    assert not found, "the agent's answers break the contract:\n" + "\n".join(found)


def test_a_renamed_field_breaks_the_contract(nb: KernelSession) -> None:
    """What this suite catches: the agent spelling a record field otherwise than the contract."""
    record = nb.run("x = 1").record
    assert_valid("execution-record", record)
    drifted = {("duration_ms" if key == "durationMs" else key): value for key, value in record.items()}
    found = problems("execution-record", drifted)
    assert any("'durationMs' is a required property" in p for p in found), found
    assert any("'duration_ms' was unexpected" in p for p in found), found
