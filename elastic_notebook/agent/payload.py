"""Payload files (docs/checkpoint.md section 3): a JSON header, a pickle stream, raw buffers.

::

    b"ENPL\\x01\\n"            magic + format version
    u64 little-endian         header length H
    H bytes                   JSON header {"serializer", "members", "pickleBytes": P, "buffers": [...], ...}
    P bytes                   pickle protocol 5 stream
    buffers                   the out-of-band buffers, back to back, in order

Big buffers are written straight from the objects' memory (no extra copy) and read straight into
the memory the loaded objects will use, each by two threads at once (copying into and out of the
page cache is CPU work, so two cores move bytes about twice as fast as one). The checksum covers
the whole file and is computed while writing and after reading: ``xxh3_128`` when the kernel has
``xxhash``, else ``sha256``.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import json
import mmap
import os
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Sequence

from .arrays import new_array, writable_bytes

MAGIC = b"ENPL\x01\n"
FORMAT_VERSION = 1
_LENGTH = struct.Struct("<Q")
_PREFIX = len(MAGIC) + _LENGTH.size
# Hash and write (or read and hash) in slices that stay in the CPU cache between the two steps.
_CHUNK = 4 << 20
_MAX_HEADER = 256 << 20
# Buffers at least this large get their own anonymous mapping: its pages are zeroed by the OS
# when first touched, which the read does anyway (a bytearray would be zero-filled first, then
# overwritten, touching every page twice).
_MAPPED_BYTES = 1 << 20
# Threads reading (or writing) one payload's buffers; less than _PARALLEL_BYTES is not split.
_READERS = _WRITERS = 2
_PARALLEL_BYTES = 16 << 20


class PayloadError(Exception):
    """A payload file that cannot be written or read; the message says which file and why."""


# -- checksums ---------------------------------------------------------------------------------
def _xxhash() -> Any:
    try:
        import xxhash  # type: ignore[import-not-found]
    except ImportError:
        return None
    return xxhash


def default_algorithm() -> str:
    """``xxh3_128`` when the kernel has xxhash (about 10x faster), else ``sha256``."""
    return "xxh3_128" if _xxhash() is not None else "sha256"


class Checksum:
    """An incremental checksum whose text form is ``"<algorithm>:<hex>"``."""

    def __init__(self, algorithm: str | None = None) -> None:
        self.algorithm = algorithm or default_algorithm()
        if self.algorithm == "sha256":
            self._hash: Any = hashlib.sha256()
        elif self.algorithm == "xxh3_128":
            xxhash = _xxhash()
            if xxhash is None:
                raise PayloadError("this checksum is xxh3_128, which needs the xxhash package in this kernel")
            self._hash = xxhash.xxh3_128()
        else:
            raise PayloadError(f"unknown checksum algorithm {self.algorithm!r} (expected xxh3_128 or sha256)")

    @classmethod
    def like(cls, expected: str) -> "Checksum":
        """A checksum with the algorithm of ``expected`` (``"<algorithm>:<hex>"``)."""
        algorithm, sep, _ = expected.partition(":")
        if not sep:
            raise PayloadError(f"malformed checksum {expected!r} (expected \"<algorithm>:<hex>\")")
        return cls(algorithm)

    def update(self, data: Any) -> None:
        self._hash.update(data)

    def text(self) -> str:
        return f"{self.algorithm}:{self._hash.hexdigest()}"


# -- writing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Written:
    """What :func:`write_payload` wrote."""

    bytes: int
    checksum: str


def write_payload(path: str, header: dict, stream: Any, buffers: Sequence[memoryview]) -> Written:
    """Write one payload file and fsync it; a failed write leaves no file behind.

    ``stream`` is the pickle stream (any bytes-like object); ``buffers`` are flat byte views of
    the out-of-band buffers, written from where they are.
    """
    header = {**header, "pickleBytes": memoryview(stream).nbytes, "buffers": [b.nbytes for b in buffers]}
    head = json.dumps(header, separators=(",", ":")).encode()
    checksum = Checksum()
    try:
        with open(path, "w+b", buffering=0) as f:
            total = _write_hashed(f, memoryview(MAGIC + _LENGTH.pack(len(head)) + head), checksum)
            total += _write_hashed(f, memoryview(stream), checksum)
            views = [_flat(memoryview(b)) for b in buffers]
            if not _write_mapped(f.fileno(), total, views, checksum):
                for view in views:
                    _write_hashed(f, view, checksum)
            total += sum(view.nbytes for view in views)
            os.fsync(f.fileno())
    except BaseException:
        _remove_quietly(path)
        raise
    return Written(total, checksum.text())


def _flat(data: memoryview) -> memoryview:
    return data.cast("B") if data.format != "B" or data.ndim != 1 else data


def _write_hashed(f: BinaryIO, data: memoryview, checksum: Checksum) -> int:
    data = _flat(data)
    for start in range(0, data.nbytes, _CHUNK):
        chunk = data[start : start + _CHUNK]
        checksum.update(chunk)
        while chunk.nbytes:  # a raw write may be partial
            written = f.write(chunk)
            chunk = chunk[written:]
    return data.nbytes


def _write_mapped(fd: int, offset: int, views: list[memoryview], checksum: Checksum) -> bool:
    """Copy large buffers into the file through a shared mapping, by :data:`_WRITERS` threads.

    ``write()`` calls on one file are serialized by the file's lock, but page faults on a mapping
    are not, so two threads fill the page cache about twice as fast. The blocks are reserved
    first (``posix_fallocate``): a full disk is then an ``OSError`` here, never a SIGBUS on a
    page fault. The copies run in numpy (which releases the GIL); returns False, having written
    nothing, when numpy is not loaded, the buffers are small, or the file system cannot reserve
    blocks (the caller writes them the usual way).
    """
    np = sys.modules.get("numpy")
    size = sum(view.nbytes for view in views)
    if np is None or size < _PARALLEL_BYTES:
        return False
    try:
        os.posix_fallocate(fd, 0, offset + size)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        return False
    with mmap.mmap(fd, offset + size) as mapped:
        target = np.frombuffer(mapped, dtype=np.uint8)
        slices = _slices(views, offset)

        def copy(where: int, piece: memoryview) -> None:
            np.copyto(target[where : where + piece.nbytes], np.frombuffer(piece, dtype=np.uint8))

        def checksum_in_order() -> None:  # while the copies run
            for _, piece in slices:
                checksum.update(piece)

        try:
            _in_threads(copy, slices, _WRITERS, meanwhile=checksum_in_order)
        finally:
            del target  # a mapping with an array on it cannot close
        mapped.flush()
    return True


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def fsync_folder(path: str) -> None:
    """Make the entries of a folder (new files) durable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(fd)


# -- reading -----------------------------------------------------------------------------------
@dataclass
class Payload:
    """A payload read back: its header, pickle stream and out-of-band buffers."""

    header: dict
    stream: bytes
    buffers: list[Any]
    bytes: int
    #: Time spent importing numpy for the arrays the buffers are read into (a first import).
    import_ms: float = 0.0


def read_payload(path: str, expected_checksum: str | None) -> Payload:
    """Read and check a payload; raises :class:`PayloadError` saying what is wrong.

    The checksum is verified before anything is returned, so a damaged file is never unpickled.
    Buffers the writer marked read-only are handed out read-only.
    """
    name = os.path.basename(path)
    checksum = Checksum.like(expected_checksum) if expected_checksum else Checksum()
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            header, total = _read_header(f, name, size, checksum)
            if size != total:
                problem = "is truncated" if size < total else "has extra bytes at its end"
                raise PayloadError(f"payload {name} {problem}: {size} bytes, its header describes {total}")
            stream = _read_exact(f, header["pickleBytes"], name)
            checksum.update(stream)
            layouts = header.get("layouts")
            layouts = layouts if isinstance(layouts, list) and len(layouts) == len(header["buffers"]) else None
            import_ms = _import_numpy() if layouts and any(layouts) else 0.0
            buffers = [_new_buffer(n, layouts[i] if layouts else None) for i, n in enumerate(header["buffers"])]
            read = _read_buffers(f.fileno(), f.tell(), [_bytes_of(b) for b in buffers], name)
    except FileNotFoundError:
        raise PayloadError(f"payload {name} is missing ({path})") from None
    except OSError as err:
        raise PayloadError(f"cannot read payload {name}: {err}") from None
    for _, piece in read:
        checksum.update(piece)
    actual = checksum.text()
    if expected_checksum and actual != expected_checksum:
        raise PayloadError(f"checksum mismatch in {name}: expected {expected_checksum}, the file has {actual}")
    readonly = set(header.get("readonly", ()))
    return Payload(header, stream, [_frozen(b) if i in readonly else b for i, b in enumerate(buffers)], size, import_ms)


def _read_header(f: BinaryIO, name: str, size: int, checksum: Checksum) -> tuple[dict, int]:
    prefix = f.read(_PREFIX)
    if len(prefix) < len(MAGIC) or prefix[:4] != MAGIC[:4]:
        raise PayloadError(f"{name} is not an Elastic Notebook payload (bad magic bytes)")
    if prefix[4] != FORMAT_VERSION or prefix[5:6] != b"\n":
        raise PayloadError(f"payload {name} has format version {prefix[4]}; this agent reads version {FORMAT_VERSION}")
    if len(prefix) < _PREFIX:
        raise PayloadError(f"payload {name} is truncated: {size} bytes, shorter than its fixed prefix")
    (length,) = _LENGTH.unpack(prefix[len(MAGIC) :])
    if length > min(size, _MAX_HEADER):
        raise PayloadError(f"payload {name} is truncated or damaged: header length {length}, file size {size}")
    head = _read_exact(f, length, name)
    checksum.update(prefix)
    checksum.update(head)
    try:
        header = json.loads(head)
        lengths = [int(n) for n in header["buffers"]]
        if not isinstance(header["members"], list) or any(n < 0 for n in lengths):
            raise ValueError("bad members or buffer lengths")
        header["pickleBytes"] = int(header["pickleBytes"])
    except (ValueError, KeyError, TypeError) as err:
        raise PayloadError(f"payload {name} has a damaged header: {err}") from None
    header["buffers"] = lengths
    return header, _PREFIX + length + header["pickleBytes"] + sum(lengths)


def _read_exact(f: BinaryIO, n: int, name: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise PayloadError(f"payload {name} is truncated")
    return data


def _new_buffer(n: int, layout: Any = None) -> Any:
    """Writable memory for ``n`` bytes: the array the buffer is the memory of, when the writer
    said which (``layout``, see arrays.reduce_array), so that it owns its memory like the
    original; else memory that arrays rebuilt on it can use."""
    if layout is not None and "numpy" in sys.modules:
        array = new_array(layout, n)
        if array is not None:
            return array
    if n < _MAPPED_BYTES:
        return bytearray(n)
    memory = mmap.mmap(-1, n)
    # Huge pages where the system offers them on request (as numpy asks for its own large
    # arrays): a page fault per 2 MiB instead of per 4 KiB while the buffer is filled.
    if hasattr(mmap, "MADV_HUGEPAGE"):
        try:
            memory.madvise(mmap.MADV_HUGEPAGE)
        except OSError:
            pass
    return memory


def _import_numpy() -> float:
    """Import numpy (the buffers are numpy arrays' memory); the time it took, in ms."""
    if "numpy" in sys.modules:
        return 0.0
    started = time.perf_counter()
    try:
        importlib.import_module("numpy")
    except ImportError:
        pass  # the buffers are read as plain memory; unpickling will say numpy is missing
    return (time.perf_counter() - started) * 1000.0


def _bytes_of(buffer: Any) -> Any:
    return writable_bytes(buffer) if type(buffer).__module__ == "numpy" else buffer


def _frozen(buffer: Any) -> Any:
    """The read-only form of a buffer the writer marked read-only."""
    if type(buffer).__module__ == "numpy":
        buffer.flags.writeable = False
        return buffer
    return memoryview(buffer).toreadonly()


def _read_buffers(fd: int, offset: int, buffers: list[Any], name: str) -> list[tuple[int, memoryview]]:
    """Fill ``buffers`` from the file's bytes at ``offset`` on, back to back; returns the slices
    read, in file order.

    The slices are spread over :data:`_READERS` threads (``preadv`` releases the GIL); a short
    read means the file shrank while being read.
    """
    slices = _slices([memoryview(b) for b in buffers], offset)

    def read(at: int, piece: memoryview) -> None:
        got = 0
        while got < piece.nbytes:
            more = os.preadv(fd, [piece[got:]], at + got)
            if not more:
                raise PayloadError(f"payload {name} is truncated")
            got += more

    if sum(piece.nbytes for _, piece in slices) < _PARALLEL_BYTES:
        for at, piece in slices:
            read(at, piece)
    else:
        _in_threads(read, slices, _READERS)
    return slices


def _slices(views: list[memoryview], offset: int) -> list[tuple[int, memoryview]]:
    """``views``, laid back to back in a file from ``offset`` on, cut into pieces of at most
    :data:`_CHUNK` bytes: ``(file offset, piece)`` in file order."""
    slices = []
    for view in views:
        for start in range(0, view.nbytes, _CHUNK):
            slices.append((offset + start, view[start : start + _CHUNK]))
        offset += view.nbytes
    return slices


def _in_threads(
    work: Callable[[int, memoryview], None],
    slices: list[tuple[int, memoryview]],
    threads: int,
    meanwhile: Callable[[], None] = lambda: None,
) -> None:
    """``work`` on every slice, spread over ``threads`` threads, while this thread runs
    ``meanwhile``; the threads are joined even on an interrupt (they may be writing into memory
    the caller frees next), and the first failure is raised here."""
    failures: list[BaseException] = []

    def run(part: list[tuple[int, memoryview]]) -> None:
        try:
            for at, piece in part:
                work(at, piece)
        except BaseException as err:  # noqa: BLE001 - handed to the calling thread
            # Without its frames' locals: they may hold views of memory the caller frees next.
            traceback.clear_frames(err.__traceback__)
            failures.append(err)

    started = [threading.Thread(target=run, args=(slices[k::threads],)) for k in range(threads)]
    for thread in started:
        thread.start()
    try:
        meanwhile()
    finally:
        for thread in started:
            thread.join()
    if failures:
        raise failures[0]
