"""The payload file format without a kernel: round trip, streaming checksum, and every way a
file can be damaged (each one must be refused with a message that says what is wrong)."""

from __future__ import annotations

import errno
import hashlib
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from test_agent_units import agent  # the agent package, loaded from its folder

payload = sys.modules[agent.__name__ + ".payload"]
randomness = sys.modules[agent.__name__ + ".randomness"]


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, object]:
    big = np.arange(300_000, dtype=np.float64)
    path = tmp_path / "g0.pkl"
    info = payload.write_payload(
        str(path), {"serializer": "pickle", "members": ["big"]}, b"stream!", [memoryview(big).cast("B"), memoryview(b"xy")]
    )
    return path, info


def test_round_trip_and_layout(written: tuple[Path, object]) -> None:
    path, info = written
    data = path.read_bytes()
    assert info.bytes == len(data) and info.checksum.startswith("xxh3_128:")
    (length,) = struct.unpack("<Q", data[6:14])
    assert data[14 + length : 14 + length + 7] == b"stream!"
    back = payload.read_payload(str(path), info.checksum)
    assert back.header["buffers"] == [2_400_000, 2] and back.stream == b"stream!"
    assert np.array_equal(np.frombuffer(back.buffers[0], dtype=np.float64), np.arange(300_000, dtype=np.float64))
    assert bytes(back.buffers[1]) == b"xy" and isinstance(back.buffers[1], bytearray)


def test_large_buffers_are_read_in_parallel_into_fresh_writable_memory(tmp_path: Path) -> None:
    # 20 MiB + 3 MiB: over the size split between the reader threads; the 3 MiB one is read-only.
    first = np.random.default_rng(0).integers(0, 255, 20 << 20, dtype=np.uint8)
    second = np.arange(3 << 20, dtype=np.uint8)
    path = tmp_path / "big.pkl"
    info = payload.write_payload(
        str(path),
        {"serializer": "pickle", "members": ["a"], "readonly": [1]},
        b"s",
        [memoryview(first), memoryview(second), memoryview(b"tail")],
    )
    back = payload.read_payload(str(path), info.checksum)
    assert bytes(back.buffers[0]) == first.tobytes() and bytes(back.buffers[1]) == second.tobytes()
    assert bytes(back.buffers[2]) == b"tail"
    rebuilt = np.frombuffer(back.buffers[0], dtype=np.uint8)
    rebuilt[0] ^= 1  # arrays rebuilt on a buffer are writable like the originals
    assert memoryview(back.buffers[1]).readonly
    # Damage near the end of the first buffer (read by the second thread) is still found.
    data = bytearray(path.read_bytes())
    data[len(data) - (3 << 20) - 10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(payload.PayloadError, match="checksum mismatch in big.pkl"):
        payload.read_payload(str(path), info.checksum)


def test_large_buffers_are_copied_into_the_file_through_a_mapping(tmp_path: Path) -> None:
    data = np.random.default_rng(1).integers(0, 255, 24 << 20, dtype=np.uint8)
    views = [memoryview(data[: 5 << 20]), memoryview(data[5 << 20 :])]
    path = tmp_path / "mapped.bin"
    checksum = payload.Checksum()
    with open(path, "w+b") as f:
        f.write(b"head")
        assert payload._write_mapped(f.fileno(), 4, views, checksum) is True
    assert path.read_bytes() == b"head" + data.tobytes()
    plain = payload.Checksum()
    plain.update(data)
    assert checksum.text() == plain.text()  # the checksum of what was written, in file order


def test_without_block_reservation_buffers_are_written_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.EOPNOTSUPP, "not supported")

    monkeypatch.setattr(payload.os, "posix_fallocate", unsupported)
    data = np.arange(3 << 20, dtype=np.float64)  # 24 MiB
    checksum = payload.Checksum()
    with open(tmp_path / "plain.bin", "w+b") as f:
        assert payload._write_mapped(f.fileno(), 0, [memoryview(data).cast("B")], checksum) is False
    assert (tmp_path / "plain.bin").stat().st_size == 0  # nothing written: the caller writes
    info = payload.write_payload(str(tmp_path / "g.pkl"), {"serializer": "pickle", "members": ["d"]}, b"s", [memoryview(data).cast("B")])
    back = payload.read_payload(str(tmp_path / "g.pkl"), info.checksum)
    assert np.array_equal(np.frombuffer(back.buffers[0], dtype=np.float64), data)


def test_a_full_disk_fails_the_write_and_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(payload.os, "posix_fallocate", full)
    data = np.zeros(20 << 20, dtype=np.uint8)
    path = tmp_path / "g.pkl"
    with pytest.raises(OSError, match="No space left"):
        payload.write_payload(str(path), {"serializer": "pickle", "members": ["d"]}, b"s", [memoryview(data)])
    assert not path.exists()


def test_a_failed_copy_into_the_mapping_is_raised_as_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("copy failed")

    monkeypatch.setattr(np, "copyto", broken)  # what the writer threads copy with
    path = tmp_path / "g.pkl"
    with pytest.raises(RuntimeError, match="copy failed"):  # not a BufferError from closing the mapping
        payload.write_payload(str(path), {"serializer": "pickle", "members": ["d"]}, b"s", [memoryview(np.zeros(20 << 20, np.uint8))])
    assert not path.exists()


@pytest.mark.parametrize("size", [1 << 20, 20 << 20])  # read by one thread, and by two
def test_a_file_shorter_than_its_buffers_is_reported_truncated(tmp_path: Path, size: int) -> None:
    path = tmp_path / "short.pkl"
    path.write_bytes(b"x" * (size - 100))
    buffers = [bytearray(size // 2), bytearray(size - size // 2)]
    with open(path, "rb") as f, pytest.raises(payload.PayloadError, match="payload short.pkl is truncated"):
        payload._read_buffers(f.fileno(), 0, buffers, "short.pkl")


def test_sha256_checksum_is_the_plain_file_hash(tmp_path: Path) -> None:
    checksum = payload.Checksum("sha256")
    checksum.update(b"abc")
    assert checksum.text() == "sha256:" + hashlib.sha256(b"abc").hexdigest()
    path = tmp_path / "s.pkl"
    path.write_bytes(b"x")
    with pytest.raises(payload.PayloadError, match="unknown checksum algorithm 'md5'"):
        payload.read_payload(str(path), "md5:00")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[:-1], "is truncated: "),
        (lambda d: d + b"!", "has extra bytes at its end"),
        (lambda d: d[:10], "truncated"),
        (lambda d: b"ENPL\x02\n" + d[6:], "format version 2; this agent reads version 1"),
        (lambda d: b"ZIP!" + d[4:], "not an Elastic Notebook payload"),
        (lambda d: d[:6] + struct.pack("<Q", 1 << 40) + d[14:], "header length"),
        (lambda d: d[:14] + b"[" + d[15:], "damaged header"),
        (lambda d: d[:-5] + b"\x00\x00\x00\x00\x00", "checksum mismatch in g0.pkl"),
    ],
)
def test_damage_is_refused(written: tuple[Path, object], damage, message: str) -> None:  # type: ignore[no-untyped-def]
    path, info = written
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(payload.PayloadError, match=message.replace("(", r"\(")):
        payload.read_payload(str(path), info.checksum)


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    class NotBytes:
        nbytes = 4

    path = tmp_path / "g1.pkl"
    with pytest.raises(TypeError):  # the second buffer is not bytes-like: fails mid-file
        payload.write_payload(str(path), {"serializer": "pickle", "members": []}, b"", [memoryview(b"ok"), NotBytes()])
    assert not path.exists()


def test_generators_nothing_drew_from_are_not_saved(tmp_path: Path) -> None:
    import random

    history = randomness.RandomHistory()
    random.seed(3)
    np.random.seed(3)
    history.capture(0)
    history.capture(1)
    history.save(str(tmp_path / "none.pkl"))
    assert randomness.load_states(str(tmp_path / "none.pkl"), None).entries == []

    np.random.random()  # numpy's generator is drawn from (after the last capture): kept
    saved = history.save(str(tmp_path / "numpy.pkl"))
    entries = randomness.load_states(str(tmp_path / "numpy.pkl"), saved.checksum).entries
    assert [(seq, py) for seq, py, _ in entries] == [(0, None)] and entries[0][2] is not None
    final = randomness.load_states(str(tmp_path / "numpy.pkl"), saved.checksum).final
    assert final[0] is None and final[1] is not None  # and its state at the checkpoint
    assert saved.bytes < (tmp_path / "none.pkl").stat().st_size + 2 * 3000

    random.random()  # and now Python's too
    both = randomness.load_states(str(tmp_path / "both.pkl"), history.save(str(tmp_path / "both.pkl")).checksum)
    assert both.entries[0][1] is not None and both.entries[0][2] is not None


def test_random_states_dedupe_and_lookup(tmp_path: Path) -> None:
    import random

    history = randomness.RandomHistory()
    random.seed(1)
    expected = random.random()
    random.seed(1)
    history.capture(0)
    history.capture(1)  # nothing drawn since: not stored again
    random.random()
    history.capture(2)
    assert [e[0] for e in history.entries] == [0, 2]
    assert history.entries[1][2] is history.entries[0][2]  # numpy's state did not change: shared
    saved = history.save(str(tmp_path / "random.pkl"))
    states = randomness.load_states(str(tmp_path / "random.pkl"), saved.checksum)
    random.random()
    states.apply(1)  # the state before execution 1 is the one captured before execution 0
    assert random.random() == expected
    with pytest.raises(LookupError):
        randomness.RandomStates([]).apply(0)
