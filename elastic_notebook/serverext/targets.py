"""Targets configured with ``c.ElasticNotebookApp.targets``, validated and handed to the companion.

The companion reads them from ``<data_dir>/configured-targets.json``, written here at every start
(even empty, so that a removed target goes away), created with mode 0600 before any token is
written to it and replaced atomically: tokens never pass through an environment variable or a
command line, where other users of the machine could read them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

CONFIGURED_TARGETS_FILE = "configured-targets.json"

_JUPYTER_KEYS = {"name", "kind", "url", "token"}
_HUB_KEYS = {"name", "kind", "hubUrl", "apiToken", "user", "server", "profile", "userOptions"}
_URL = re.compile(r"^https?://[^/?#\s@]+(/[^?#\s]*)?$", re.IGNORECASE)


def _text(entry: dict, key: str, where: str, *, optional: bool = False) -> None:
    value = entry.get(key)
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key} must be a non-empty string")


def validate_target(entry: Any, index: int) -> dict:
    """Check one configured target (a Jupyter server, or a JupyterHub named server).

    Raises ``ValueError`` naming the entry and the field, never a value (it may be a token).
    """
    where = f"ElasticNotebookApp.targets[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a dict")
    if isinstance(entry.get("name"), str) and entry["name"].strip():
        where += f" ({entry['name'].strip()!r})"
    kind = entry.get("kind", "jupyter")
    if kind not in ("jupyter", "jupyterhub"):
        raise ValueError(f"{where}: kind must be 'jupyter' or 'jupyterhub'")
    allowed = _HUB_KEYS if kind == "jupyterhub" else _JUPYTER_KEYS
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (a {kind} target takes {', '.join(sorted(allowed))})")
    _text(entry, "name", where)
    url_key, token_key = ("hubUrl", "apiToken") if kind == "jupyterhub" else ("url", "token")
    _text(entry, url_key, where)
    _text(entry, token_key, where)
    if not _URL.match(entry[url_key]):
        raise ValueError(f"{where}: {url_key} must be an http(s) URL without credentials")
    if kind == "jupyterhub":
        _text(entry, "user", where)
        for key in ("server", "profile"):
            if key in entry and not isinstance(entry[key], str):
                raise ValueError(f"{where}: {key} must be a string")
        if "userOptions" in entry and not isinstance(entry["userOptions"], dict):
            raise ValueError(f"{where}: userOptions must be a dict")
    return dict(entry)


def target_problems(entries: list) -> list[str]:
    """What is wrong with the configured targets (each names an entry and a field, never a value).

    A malformed entry does not stop the server or the other targets: the companion lists it as an
    error entry, so that the panel shows what to fix.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        try:
            validate_target(entry, index)
        except ValueError as err:
            problems.append(str(err))
            continue
        key = entry["name"].strip().lower()
        if key in seen or key == "this machine":
            problems.append(f"ElasticNotebookApp.targets[{index}]: the name {entry['name']!r} is used already (or reserved)")
        seen.add(key)
    return problems


def write_configured_targets(data_dir: Path, targets: list[dict]) -> Path:
    """Write ``targets`` for the companion: mode 0600 from the start, replaced atomically."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CONFIGURED_TARGETS_FILE
    temp = data_dir / f".{CONFIGURED_TARGETS_FILE}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file of that name may have had another mode
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"targets": targets}, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
