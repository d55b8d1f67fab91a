"""Send one file to a target Jupyter server's companion the way a migration sends its bundle: the
incoming-transfer routes (``POST elastic-notebook/api/incoming``, then raw 8 MiB chunks with
``PUT .../files?path&offset&sha256``), so that a baseline's file (dill's session) crosses the
same path at the same limit as our checkpoint. Run inside the source's network namespace:

    ip netns exec NS python bench/migrate_remote_send.py TARGET_URL FILE   (token in EN_TARGET_TOKEN)

Prints ``{"transferId", "bytes", "seconds"}``; the file lands in the target's
``<data dir>/incoming/<transferId>/<file name>``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

CHUNK_BYTES = 8 * 1024 * 1024


def request(url: str, token: str, method: str, body: bytes | None, content_type: str) -> dict:
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Authorization": f"token {token}", "Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read() or b"{}")


def send(target_url: str, token: str, file: Path) -> dict:
    """Announce and send ``file``; its transfer id, bytes and seconds (announce included)."""
    started = time.perf_counter()
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    size = file.stat().st_size
    base = target_url.rstrip("/") + "/elastic-notebook/api/incoming"
    announced = request(base, token, "POST",
                        json.dumps({"files": [{"path": file.name, "bytes": size, "sha256": digest.hexdigest()}]}).encode(),
                        "application/json")
    transfer = announced["transferId"]
    with open(file, "rb") as fh:
        offset = 0
        while offset < size:
            chunk = fh.read(CHUNK_BYTES)
            query = urllib.parse.urlencode({"path": file.name, "offset": offset,
                                            "sha256": hashlib.sha256(chunk).hexdigest()})
            request(f"{base}/{transfer}/files?{query}", token, "PUT", chunk, "application/octet-stream")
            offset += len(chunk)
    return {"transferId": transfer, "bytes": size, "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    print(json.dumps(send(sys.argv[1], os.environ["EN_TARGET_TOKEN"], Path(sys.argv[2]))))
