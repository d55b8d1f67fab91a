"""Damaged bundles: a corrupted or truncated payload falls back to recomputing its group (and the
session is still isomorphic); a manifest from a newer format is refused with one clear line.

One checkpoint of tests/corpus/20_corrupted_payload.ipynb serves every case (its ``primes`` and
``table`` come from slow cells and are marked "always copy", so they have payloads): each test
damages its own copy of the bundle.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "corpus"))

from harness import S3Server, load_corpus, stage  # noqa: E402
from jupyter_server_process import JupyterServer  # noqa: E402
from test_corpus import Session, assert_restored, jupyter, s3  # noqa: E402,F401 - the module's fixtures

NOTEBOOK = next(n for n in load_corpus() if "fault" in n.tags)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def checkpointed(jupyter: JupyterServer):
    """(session, pristine bundle folder, checkpoint run, original state)."""
    session = Session(jupyter, {})
    path = stage(NOTEBOOK, jupyter.root / "work" / NOTEBOOK.name)
    bundle = jupyter.root / "pristine-bundle"
    run, original = session.checkpoint(path, str(bundle))
    for name in ("primes", "table"):
        group_of(bundle, name)
    return session, bundle, run, original


def manifest(bundle: Path) -> dict:
    return json.loads((bundle / "manifest.json").read_text())


def copy_of(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(bundle, target)
    return target


def group_of(bundle: Path, name: str) -> dict:
    """The manifest's group holding ``name``; it must have been copied."""
    group = next(g for g in manifest(bundle)["groups"] if name in g["members"])
    assert group.get("decision") == "copy" and group.get("file"), f"{name} (marked always copy) was not copied: {group}"
    return group


def kernels(jupyter: JupyterServer) -> set[str]:
    return {k["id"] for k in jupyter.request("GET", "/api/kernels").json()}


def assert_fell_back(checkpointed, bundle: Path | str, group: dict) -> None:
    session, _, checkpoint, original = checkpointed
    restore, restored = session.restore(str(bundle))
    assert_restored(f"{NOTEBOOK.name} with {group['file']} damaged", checkpoint, restore, original, restored)
    fallback = restore.json.get("fallback") or []
    assert any(sorted(entry["members"]) == sorted(group["members"]) for entry in fallback), (
        f"fallback does not name the damaged group {group['members']}: {fallback}")
    assert all(entry.get("reason") for entry in fallback), fallback
    assert not set(group["members"]) & set(restore.json.get("loaded") or []), (
        f"members of the damaged group were reported loaded: {restore.json.get('loaded')}")


def test_intact_bundle_restores_without_fallback(checkpointed, tmp_path: Path):
    session, pristine, checkpoint, original = checkpointed
    restore, restored = session.restore(str(copy_of(pristine, tmp_path)))
    assert_restored(NOTEBOOK.name, checkpoint, restore, original, restored)
    assert restore.json.get("fallback") == []
    assert set(restore.json["loaded"]) == set(checkpoint.json["plan"]["copy"])


def flip_bytes(payload: Path) -> None:
    """Same size, 16 different bytes in the middle."""
    data = bytearray(payload.read_bytes())
    middle = len(data) // 2
    for i in range(middle, min(len(data), middle + 16)):
        data[i] ^= 0xFF
    payload.write_bytes(bytes(data))


def test_corrupted_payload_falls_back_to_recomputing(checkpointed, tmp_path: Path):
    bundle = copy_of(checkpointed[1], tmp_path)
    group = group_of(bundle, "primes")
    flip_bytes(bundle / group["file"])
    assert_fell_back(checkpointed, bundle, group)


def test_corrupted_payload_in_s3_falls_back_to_recomputing(checkpointed, s3: S3Server):
    """The same through the S3 store: the object's bytes are changed inside s3rver's storage."""
    session = Session(checkpointed[0].jupyter, s3.env)
    path = stage(NOTEBOOK, session.jupyter.root / "work" / f"{NOTEBOOK.name}-s3")
    prefix = "faults/corrupted"
    checkpoint, original = session.checkpoint(path, s3.uri(prefix))
    content = json.loads(s3.object_path(f"{prefix}/manifest.json").read_text())
    group = next(g for g in content["groups"] if "primes" in g["members"])
    assert group.get("decision") == "copy" and group.get("file"), group
    flip_bytes(s3.object_path(f"{prefix}/{group['file']}"))
    assert_fell_back((session, None, checkpoint, original), s3.uri(prefix), group)


def test_truncated_payload_falls_back_to_recomputing(checkpointed, tmp_path: Path):
    bundle = copy_of(checkpointed[1], tmp_path)
    group = group_of(bundle, "table")
    payload = bundle / group["file"]
    payload.write_bytes(payload.read_bytes()[: payload.stat().st_size // 2])
    assert_fell_back(checkpointed, bundle, group)


def test_missing_payload_falls_back_to_recomputing(checkpointed, tmp_path: Path):
    bundle = copy_of(checkpointed[1], tmp_path)
    group = group_of(bundle, "primes")
    (bundle / group["file"]).unlink()
    assert_fell_back(checkpointed, bundle, group)


def test_every_copied_payload_corrupted(checkpointed, tmp_path: Path):
    """With nothing loadable the whole session is recomputed, still isomorphic."""
    session, _, checkpoint, original = checkpointed
    bundle = copy_of(checkpointed[1], tmp_path)
    groups = [g for g in manifest(bundle)["groups"] if g.get("decision") == "copy" and g.get("file")]
    for group in groups:
        payload = bundle / group["file"]
        payload.write_bytes(b"\0" * payload.stat().st_size)
    restore, restored = session.restore(str(bundle))
    assert_restored(f"{NOTEBOOK.name} with every payload zeroed", checkpoint, restore, original, restored)
    named = {frozenset(entry["members"]) for entry in restore.json.get("fallback") or []}
    assert {frozenset(g["members"]) for g in groups} <= named


def test_newer_format_version_is_refused(checkpointed, tmp_path: Path):
    session = checkpointed[0]
    bundle = copy_of(checkpointed[1], tmp_path)
    content = manifest(bundle)
    content["formatVersion"] = 999
    (bundle / "manifest.json").write_text(json.dumps(content))
    before = kernels(session.jupyter)
    run = session.cli("restore", str(bundle), check=False)
    assert run.returncode != 0, run.describe()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{run.stderr}"
    assert "999" in lines[0] and "newer" in lines[0], lines[0]
    assert run.stdout.strip() == "", f"nothing but the error is expected, stdout: {run.stdout[:500]}"
    assert kernels(session.jupyter) == before, "the refused restore left a kernel running"


def test_missing_bundle_is_a_clear_error(checkpointed, tmp_path: Path):
    session = checkpointed[0]
    run = session.cli("restore", str(tmp_path / "no-such-bundle"), check=False)
    assert run.returncode != 0, run.describe()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-bundle" in lines[0], run.stderr
