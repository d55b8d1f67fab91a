"""The restore-side calls (docs/checkpoint.md section 4): ``prepare``, ``load``, ``verify``, ``adopt``."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from .byvalue import add_sources, deserialize
from .checkpoint import Hashed, elapsed_ms, full_fingerprint
from .importtimer import ImportTimer
from .names import user_names
from .payload import Checksum, PayloadError, read_payload
from .randomness import RandomHistory, RandomStates, load_states

# Random states read from bundles, by absolute file path (prepare is called once per re-run).
_bundle_states: dict[str, RandomStates] = {}


class RestoreError(Exception):
    """An expected failure of a restore call; the message is the call's ``error``."""


def bundle_path(directory: str, relative: str) -> str:
    """``directory/relative``, refusing paths that leave ``directory``."""
    root = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, path]) != root:
        raise RestoreError(f"{relative!r} is outside the bundle folder {directory}")
    return path


# -- prepare -----------------------------------------------------------------------------------
def prepare(own: RandomHistory, execution: int, random_file: str | None, checksum: str | None) -> dict:
    """Set the library settings and the random generators to their state before ``execution``.

    The states come from ``random_file`` (a bundle's ``random.pkl``, read once) when given, else
    from this kernel's own (or adopted) states. No recorded random state is not an error: the
    re-run then draws fresh numbers, and ``applied`` says so.
    """
    states = _states_of(random_file, checksum) if random_file is not None else own
    settings = states.settings.apply(execution)
    try:
        applied = states.apply(execution)
    except LookupError as err:
        return {"ok": True, "error": None, "applied": False, "python": False, "numpy": False, "settings": settings, "warning": str(err)}
    return {"ok": True, "error": None, "applied": True, "settings": settings, **applied}


def finish_random(random_file: str, checksum: str | None) -> dict:
    """Set the library settings and the random generators to their states when the checkpoint
    was taken (after every re-run, which set them to earlier ones), as far as the bundle kept them."""
    states = _states_of(random_file, checksum)
    return {"ok": True, "error": None, "settings": states.settings.apply_final(), **states.apply_final()}


def _states_of(random_file: str, checksum: str | None) -> RandomStates:
    """The states of a bundle's ``random.pkl``, read once per file."""
    states = _bundle_states.get(random_file) or load_states(random_file, checksum)
    _bundle_states[random_file] = states
    return states


# -- load --------------------------------------------------------------------------------------
def load(namespace: dict, directory: str, groups: list[dict]) -> dict:
    """Load each group; its members are bound only when the whole group loaded."""
    return {"ok": True, "error": None, "groups": [_load_group(namespace, directory, g) for g in groups]}


def _load_group(namespace: dict, directory: str, group: dict) -> dict:
    members: list[str] = group["members"]
    result: dict[str, Any] = {
        "index": group["index"], "ok": False, "error": None, "loadMs": 0.0, "importMs": 0.0, "modulesImported": 0, "bytes": 0
    }
    t0 = time.perf_counter()
    modules_before = len(sys.modules)
    # Every import the load makes (the classes pickle names, and what their __setstate__ imports).
    timer = ImportTimer()
    try:
        with timer:
            payload = read_payload(bundle_path(directory, group["file"]), group["checksum"])
            result["bytes"] = payload.bytes
            if sorted(payload.header["members"]) != sorted(members):
                raise RestoreError(f"{group['file']} holds {payload.header['members']}, not {members}")
            try:
                loaded = deserialize(payload.stream, payload.buffers, payload.header.get("serializer", "pickle"), namespace)
            except Exception as err:  # noqa: BLE001 - unpickling runs arbitrary reduce functions
                raise RestoreError(f"cannot unpickle {group['file']}: {type(err).__name__}: {err}") from None
        values = loaded.value
        result["importMs"] = max(timer.ms, payload.import_ms + loaded.import_ms)
        # How many modules those imports loaded: the planner learns the time per module from it.
        result["modulesImported"] = max(0, len(sys.modules) - modules_before)
        if not isinstance(values, dict) or sorted(values) != sorted(members):
            raise RestoreError(f"{group['file']} does not hold the variables {members}")
    except (RestoreError, PayloadError) as err:
        result.update(error=str(err), loadMs=elapsed_ms(t0))
        return result
    add_sources(payload.header.get("sources") or {})
    namespace.update((name, values[name]) for name in members)
    result.update(ok=True, loadMs=elapsed_ms(t0))
    return result


# -- verify ------------------------------------------------------------------------------------
def verify(namespace: dict, hidden: Any, fingerprints: dict[str, dict], hashed: Hashed | None = None) -> dict:
    """Compare every variable with its checkpoint-time full fingerprint.

    ``ok`` is true when nothing differs, nothing is missing and nothing unexpected exists;
    variables whose value cannot be compared across processes are listed under ``notCompared``,
    with the reason of each under ``notComparedReasons`` (docs/checkpoint.md section 7), never
    under ``differ``. ``hashed`` adds up the buffer hashing the comparison did.
    """
    differ, missing, reasons = [], [], {}
    t0 = time.perf_counter()
    for name, expected in fingerprints.items():
        if name not in namespace:
            missing.append(name)
        elif not expected.get("comparable") or expected.get("digest") is None:
            reasons[name] = expected.get("reason") or "not comparable across processes"
        elif full_fingerprint(namespace, name, hashed)["digest"] != expected["digest"]:
            differ.append(name)
    unexpected = [name for name in user_names(namespace, hidden) if name not in fingerprints]
    return {
        "ok": not (differ or missing or unexpected),
        "error": None,
        "differ": sorted(differ),
        "missing": sorted(missing),
        "unexpected": sorted(unexpected),
        "notCompared": sorted(reasons),
        "notComparedReasons": dict(sorted(reasons.items())),
        "verifyMs": elapsed_ms(t0),
    }


# -- adopt -------------------------------------------------------------------------------------
def adopt(agent: Any, history_file: str, random_file: str | None, checksums: dict[str, str | None]) -> dict:
    """Make this kernel continue the checkpointed run (see docs/checkpoint.md section 4).

    The old records are queued as this run's first records (the sender posts them under this
    kernel's run id), the recorder continues at the next seq with baselines taken from the
    namespace as it is now, and the random states of the old run come first.
    """
    recorded = len(agent.sender.all)
    if recorded or agent.recorder.seq:
        raise RestoreError(
            f"this kernel has already recorded {max(recorded, agent.recorder.seq)} executions;"
            " only a fresh kernel can continue a checkpointed run"
        )
    records = read_history(history_file, checksums.get("history"))
    states = load_states(random_file, checksums.get("random")) if random_file else RandomStates()
    for record in records:
        agent.sender.send(record)
    agent.recorder.rebase(len(records))
    agent.randomness.adopt(states)
    return {"ok": True, "error": None, "records": len(records)}


def read_history(path: str, checksum: str | None) -> list[dict]:
    """The records of ``history.jsonl``, checked to be seq 0, 1, 2, ..."""
    name = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise RestoreError(f"cannot read {name}: {err}") from None
    if checksum:
        actual = Checksum.like(checksum)
        actual.update(data)
        if actual.text() != checksum:
            raise RestoreError(f"checksum mismatch in {name}: expected {checksum}, the file has {actual.text()}")
    records = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as err:
            raise RestoreError(f"{name} line {number} is not JSON: {err}") from None
        if not isinstance(record, dict) or record.get("seq") != len(records):
            raise RestoreError(f"{name} line {number}: expected the record with seq {len(records)}")
        records.append(record)
    return records
