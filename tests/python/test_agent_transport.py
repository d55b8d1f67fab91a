"""Record delivery from a real kernel to a tiny companion stand-in (stdlib ``http.server``):
authentication header, batching, ``409 {nextSeq}`` resync, retry while the companion is down,
and cells that never wait for the companion."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent_helpers import KernelSession

KERNEL_ID = "transport-kernel"
TOKEN = "ingest-token-123"


class FakeCompanion:
    """Stores records like the companion does: in seq order, 409 on a gap, 401 on a bad token."""

    def __init__(self, port: int = 0) -> None:
        self.batches: list[dict] = []  # every accepted or rejected POST body, in arrival order
        self.stored: list[dict] = []
        self.next_seq = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        companion = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(companion.delay)
                status, answer = companion.ingest(self.path, self.headers.get("Authorization"), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ingest(self, path: str, auth: str | None, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.batches.append(body)
            if path != f"/api/kernels/{KERNEL_ID}/records" or auth != f"Bearer {TOKEN}":
                return 401, {"error": "unauthorized"}
            records = body["records"]
            if not records or records[0]["seq"] != self.next_seq:
                return 409, {"error": f"expected seq {self.next_seq}", "nextSeq": self.next_seq}
            self.stored.extend(records)
            self.next_seq += len(records)
            return 200, {"nextSeq": self.next_seq}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def companion() -> Iterator[FakeCompanion]:
    fake = FakeCompanion()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelSession]:
    session = KernelSession(KERNEL_ID).start(cwd=tmp_path_factory.mktemp("transport"))
    session.bootstrap(None, None)
    yield session
    session.stop()


def _attach(kernel: KernelSession, companion: FakeCompanion, token: str = TOKEN) -> None:
    """Point the agent at ``companion``, which already holds what earlier companions stored."""
    with companion.lock:
        companion.stored = kernel.records()
        companion.next_seq = len(companion.stored)
    kernel.bootstrap(companion.url, token)


def _flush(kernel: KernelSession, timeout: float) -> bool:
    return kernel.evaluate(f"str(int(__import__('sys').modules['_elastic_notebook_agent'].flush({timeout})))") == 1


def _seqs(records: list[dict]) -> list[int]:
    return [r["seq"] for r in records]


def test_records_reach_the_companion_in_order_with_the_token(kernel: KernelSession, companion: FakeCompanion) -> None:
    _attach(kernel, companion)
    for i in range(3):
        kernel.run(f"v{i} = {i}")
    assert _flush(kernel, 10)
    assert _seqs(companion.stored) == [0, 1, 2]
    run_id = kernel.evaluate("__import__('json').dumps(__import__('sys').modules['_elastic_notebook_agent'].status())")["runId"]
    assert {b["runId"] for b in companion.batches} == {run_id}
    assert companion.stored[2]["writes"] == ["v2"]
    assert companion.stored == kernel.records()


def test_resync_after_409_resends_from_the_companions_next_seq(kernel: KernelSession, companion: FakeCompanion) -> None:
    _attach(kernel, companion)
    total = len(kernel.records())
    # The companion lost its last two records (say, restored from an older copy).
    with companion.lock:
        companion.next_seq = total - 2
        del companion.stored[total - 2 :]
        companion.batches.clear()
    kernel.run("after_loss = 1")
    assert _flush(kernel, 10)
    assert _seqs(companion.stored) == list(range(total + 1))
    first, *rest = companion.batches
    assert _seqs(first["records"]) == [total]  # rejected with 409
    assert _seqs(rest[-1]["records"])[0] == total - 2  # resent from nextSeq


def test_retry_after_the_companion_comes_back_sends_one_batch(kernel: KernelSession, companion: FakeCompanion) -> None:
    _attach(kernel, companion)
    port, already = companion.port, list(companion.stored)
    companion.stop()
    started = time.monotonic()
    for i in range(3):
        ex = kernel.run(f"while_down_{i} = {i}")
        assert ex.status == "ok"
    assert time.monotonic() - started < 5, "cells must not wait for the companion"
    assert not _flush(kernel, 0.3)
    back = FakeCompanion(port)
    try:
        with back.lock:
            back.stored, back.next_seq = already, len(already)
        assert _flush(kernel, 15)
        total = len(kernel.records())
        assert _seqs(back.stored) == list(range(total))
        # Everything queued while the companion was down went out together.
        assert [_seqs(b["records"]) for b in back.batches] == [list(range(total - 3, total))]
    finally:
        back.stop()


def test_slow_companion_does_not_slow_cells_or_print(kernel: KernelSession, companion: FakeCompanion) -> None:
    _attach(kernel, companion)
    companion.delay = 1.5
    started = time.monotonic()
    ex = kernel.run("slow_a = 1")
    kernel.run("slow_b = 2")
    assert time.monotonic() - started < 1.0
    assert ex.outputs == []
    companion.delay = 0
    assert _flush(kernel, 10)
    assert _seqs(companion.stored)[-2:] == [len(kernel.records()) - 2, len(kernel.records()) - 1]


def test_wrong_token_keeps_records_and_reports_it(kernel: KernelSession, companion: FakeCompanion) -> None:
    _attach(kernel, companion, "wrong-token")
    kernel.run("unauth = 1")
    assert not _flush(kernel, 0.5)
    status = kernel.evaluate("__import__('json').dumps(__import__('sys').modules['_elastic_notebook_agent'].status())")
    assert status["acknowledged"] < status["recorded"]
    assert "401" in status["lastError"]
    # With the right token everything pending is delivered.
    kernel.bootstrap(companion.url, TOKEN)
    assert _flush(kernel, 15)
    assert _seqs(companion.stored)[-1] == status["recorded"] - 1


def test_without_a_companion_records_stay_in_memory(kernel: KernelSession) -> None:
    kernel.bootstrap(None, None)
    before = len(kernel.records())
    kernel.run("memory_only = 1")
    assert len(kernel.records()) == before + 1
    assert not _flush(kernel, 0.2)
