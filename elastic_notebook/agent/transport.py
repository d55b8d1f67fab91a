"""Delivery of execution records to the companion server, off the user's thread.

Records are kept in memory until the companion acknowledges them (it stores them durably before
it answers), resent from the companion's ``nextSeq`` after a gap, and retried with backoff while
the companion is unreachable (for example while it restarts). Nothing here ever blocks a cell or
writes to the cell's output.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

_MAX_BATCH = 200
# Loopback traffic must never go through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RecordSender:
    """A daemon thread posting batches of records for one kernel run."""

    def __init__(self, kernel_id: str, run_id: str) -> None:
        self.kernel_id = kernel_id
        self.run_id = run_id
        self.url: str | None = None
        self.token: str | None = None
        self.all: list[dict] = []  # every record of this run, in seq order
        self.acked = 0  # records [0, acked) are stored by the companion
        self.last_error: str | None = None
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def configure(self, url: str | None, token: str | None) -> None:
        """Set (or change) where records go; ``url=None`` keeps them in memory only."""
        with self._wake:
            self.url = url.rstrip("/") if url else None
            self.token = token
            self._wake.notify_all()
        if self.url and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="elastic-notebook-sender", daemon=True)
            self._thread.start()

    def send(self, record: dict) -> None:
        """Queue one record (called on the kernel's main thread; returns at once)."""
        with self._wake:
            self.all.append(record)
            self._wake.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued record is acknowledged; False on timeout or without a companion."""
        with self._wake:
            return self._wake.wait_for(lambda: self.url is None or self.acked >= len(self.all), timeout) and (
                self.url is not None
            )

    # -- the thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        delay = 0.05
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self.url is not None and self.acked < len(self.all))
                batch = self.all[self.acked : self.acked + _MAX_BATCH]
                url, token = self.url, self.token
            try:
                next_seq = self._post(url, token, batch)
            except Exception as err:  # noqa: BLE001 - the companion may be down or restarting
                self.last_error = str(err)
                with self._wake:
                    self._wake.wait(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.05
            self.last_error = None
            with self._wake:
                self.acked = max(0, min(next_seq, len(self.all)))
                self._wake.notify_all()

    def _post(self, url: str | None, token: str | None, batch: list[dict]) -> int:
        body = json.dumps({"runId": self.run_id, "records": batch}, default=_jsonable).encode()
        request = urllib.request.Request(
            f"{url}/api/kernels/{self.kernel_id}/records",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with _OPENER.open(request, timeout=10) as response:
                return int(json.load(response)["nextSeq"])
        except urllib.error.HTTPError as err:
            if err.code == 409:  # the companion has a different next seq: resend from there
                return int(json.load(err)["nextSeq"])
            raise


def _jsonable(value: Any) -> Any:
    return str(value)
