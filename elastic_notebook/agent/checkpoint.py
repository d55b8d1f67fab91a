"""The ``checkpoint`` call (docs/checkpoint.md section 4): payload files, fingerprints, environment.

Each group is serialized on its own (one payload per group keeps every sharing inside it), so an
unserializable group gets ``ok: false`` with the reason and the other groups are still written.
Groups are pickled one after the other here, and their files written by two threads at once while
the next group is pickled and the fingerprints are taken (at most two files in flight, since a
pickle stream lives until its file is written): writes into the page cache are CPU
work, and two files fill twice as fast as one (one file's writes are serialized by its lock).
"""

from __future__ import annotations

import collections
import json
import os
import platform
import socket
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from .byvalue import SerializationError, serialize
from .fingerprint import fingerprint
from .payload import fsync_folder, write_payload
from .randomness import RandomHistory

# A budget no buffer reaches: every byte is hashed (the recorder samples big buffers).
_FULL = 1 << 62


# Payload files written at once.
_WRITERS = 2
# When a group's file write began and ended (perf_counter values).
Span = tuple[float, float]


def checkpoint(
    namespace: dict,
    randomness: RandomHistory,
    staging_dir: str,
    groups: list[dict],
    variables: list[str],
    progress_file: str | None = None,
) -> dict:
    """Write ``g<k>.pkl`` per group and ``random.pkl`` into ``staging_dir`` (the folder that
    becomes ``payloads/<checkpointId>/`` in the bundle); file names in the result are relative
    to it. Raises ``OSError`` when the folder or ``random.pkl`` cannot be written; a group that
    fails is reported in its own entry.

    With ``progress_file``, a JSON line ``{"index", "file", "bytes"}`` is appended to it as soon
    as each group's file is written and fsynced, while the call goes on: the companion sends
    that file to a migration's target before the checkpoint ends.
    """
    started = time.perf_counter()
    os.makedirs(staging_dir, exist_ok=True)
    written = _progress_writer(progress_file)
    results: list[dict] = []
    spans: list[Span | None] = []

    def collect(finish: Callable[[], tuple[dict, Span | None]]) -> None:
        result, span = finish()
        results.append(result)
        spans.append(span)

    with ThreadPoolExecutor(max_workers=_WRITERS, thread_name_prefix="en-checkpoint") as writers:
        pending: collections.deque = collections.deque()
        for g in groups:
            pending.append(_write_group(staging_dir, g["index"], g["members"], namespace, writers.submit, written))
            # A group's pickle stream lives until its file is written: keep few in flight.
            while len(pending) > _WRITERS:
                collect(pending.popleft())
        t0 = time.perf_counter()
        hashed = Hashed()
        prints = {name: full_fingerprint(namespace, name, hashed) for name in variables}
        fingerprint_ms = elapsed_ms(t0)
        while pending:
            collect(pending.popleft())
    t0 = time.perf_counter()
    written = randomness.save(os.path.join(staging_dir, "random.pkl"))
    random_ms = elapsed_ms(t0)
    fsync_folder(staging_dir)
    return {
        "ok": True,
        "error": None,
        "groups": results,
        "fingerprints": prints,
        "random": {"file": "random.pkl", "bytes": written.bytes, "checksum": written.checksum},
        "source": source_environment(),
        "serializeMs": sum(r["serializeMs"] for r in results),
        # Files are written in parallel: the span from the first write's start to the last one's
        # end is what the bytes cost (the planner's write bandwidth), not the sum over groups.
        "writeMs": _span_ms(spans) + random_ms,
        "fingerprintMs": fingerprint_ms,
        # Of the fingerprints' time: hashing array memory (the cost model prices it apart).
        "hashed": hashed.json(),
        "totalMs": elapsed_ms(started),
    }


def _span_ms(spans: list[Span | None]) -> float:
    times = [t for t in spans if t is not None]
    return (max(t[1] for t in times) - min(t[0] for t in times)) * 1000.0 if times else 0.0


def _progress_writer(progress_file: str | None) -> Callable[[dict], None]:
    """A function that appends one JSON line to ``progress_file`` (from any writer thread), or
    does nothing without one. A line is written whole, then flushed: a reader never sees half."""
    if progress_file is None:
        return lambda _entry: None
    lock = threading.Lock()

    def note(entry: dict) -> None:
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
        try:
            with lock, open(progress_file, "ab", buffering=0) as f:
                f.write(line)
        except OSError:
            pass  # the file is then sent after the checkpoint, as without a progress file

    return note


def _write_group(
    folder: str,
    index: int,
    members: list[str],
    namespace: dict,
    submit: Callable[..., Future],
    written: Callable[[dict], None],
) -> Callable[[], tuple[dict, Span | None]]:
    """Pickle one group now and hand its file to a writer thread; returns a function that
    waits for the write and gives the group's result entry and the span of its write."""
    result: dict[str, Any] = {
        "index": index,
        "ok": False,
        "error": None,
        "file": None,
        "bytes": 0,
        "checksum": None,
        "serializer": None,
        "serializeMs": 0.0,
        "writeMs": 0.0,
    }
    missing = [name for name in members if name not in namespace]
    if missing:
        result["error"] = f"not defined in the kernel: {', '.join(missing)}"
        return lambda: (result, None)
    t0 = time.perf_counter()
    try:
        pickled = serialize({name: namespace[name] for name in members}, namespace)
    except SerializationError as err:
        result.update(error=str(err), serializeMs=elapsed_ms(t0))
        return lambda: (result, None)
    result["serializeMs"] = elapsed_ms(t0)
    name = f"g{index}.pkl"
    header: dict[str, Any] = {"serializer": pickled.serializer, "members": list(members)}
    # Optional fields only when they say something (a bundle should be no larger than a dump).
    if pickled.readonly:
        header["readonly"] = pickled.readonly
    if pickled.sources:
        header["sources"] = pickled.sources
    if any(layout is not None for layout in pickled.layouts):
        header["layouts"] = pickled.layouts

    def write() -> tuple[Any, float, float]:
        t1 = time.perf_counter()
        done = write_payload(os.path.join(folder, name), header, pickled.stream, pickled.buffers)
        ended = time.perf_counter()
        written({"index": index, "file": name, "bytes": done.bytes})
        return done, t1, ended

    future = submit(write)

    def finish() -> tuple[dict, Span | None]:
        try:
            written, began, ended = future.result()
        except OSError as err:
            result.update(error=f"cannot write {name}: {err}")
            return result, None
        result.update(
            ok=True,
            file=name,
            bytes=written.bytes,
            checksum=written.checksum,
            serializer=pickled.serializer,
            writeMs=(ended - began) * 1000.0,
        )
        return result, (began, ended)

    return finish


class Hashed:
    """Buffer bytes that full fingerprints hashed whole, and the time that took (``ms``)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.ms = 0.0

    def json(self) -> dict:
        return {"bytes": self.bytes, "ms": self.ms}


def full_fingerprint(namespace: dict, name: str, hashed: Hashed | None = None) -> dict:
    """``{"digest", "comparable"}`` of one variable, hashing every byte (not sampled) canonically
    (comparable with one taken in another process); a value that cannot be compared so has
    ``"digest": None, "comparable": False`` and a ``reason`` (docs/checkpoint.md section 7).
    ``hashed`` adds up the buffer hashing it did."""
    if name not in namespace:
        return {"digest": None, "comparable": False, "reason": "not defined"}
    fp = fingerprint(namespace[name], namespace, budget_bytes=_FULL, canonical=True)
    if hashed is not None:
        hashed.bytes += fp.buffer_bytes
        hashed.ms += fp.buffer_ms
    if fp.reason is not None or not fp.observable:
        return {"digest": None, "comparable": False, "reason": fp.reason or "cannot be observed"}
    return {"digest": fp.digest.hex(), "comparable": True}


def source_environment() -> dict:
    """Python, platform, host, and the versions of the top-level modules this session imported."""
    modules = {}
    for name, module in list(sys.modules.items()):
        if "." in name or name.startswith("_") or module is None:
            continue
        # From the module's own dict: a module-level __getattr__ must not import anything.
        version = getattr(module, "__dict__", {}).get("__version__")
        if isinstance(version, str):
            modules[name] = version
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "modules": dict(sorted(modules.items())),
    }


def elapsed_ms(since: float) -> float:
    """Milliseconds since ``since`` (a ``time.perf_counter()`` value)."""
    return (time.perf_counter() - since) * 1000.0
