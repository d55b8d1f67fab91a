"""The hidden ``%%intercept`` line: strip it before IPython sees the cell, and record around it."""

from __future__ import annotations

import shlex
from typing import Any

HEADER = "%%intercept"


def is_intercepted(raw_cell: str) -> bool:
    """True when a cell was sent by Elastic Notebook (its first line is the header)."""
    return raw_cell.startswith(HEADER) and (len(raw_cell) == len(HEADER) or raw_cell[len(HEADER)] in " \t\r\n")


def parse_header(raw_cell: str) -> dict[str, Any]:
    """``%%intercept --cell-index 3 --cell-id abc`` -> ``{'cell_index': 3, 'cell_id': 'abc'}``."""
    line = raw_cell.split("\n", 1)[0][len(HEADER) :]
    args: dict[str, Any] = {"cell_index": None, "cell_id": None}
    try:
        words = shlex.split(line)
    except ValueError:
        return args
    for i, word in enumerate(words):
        value = words[i + 1] if i + 1 < len(words) else None
        if word == "--cell-index" and value is not None and value.isdigit():
            args["cell_index"] = int(value)
        elif word == "--cell-id" and value is not None:
            args["cell_id"] = value
    return args


def strip_header(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: drop the header line. Pure: also used by is_complete."""
    if lines and is_intercepted(lines[0]):
        return lines[1:]
    return lines


def body_of(raw_cell: str) -> str:
    """The user's source: the cell without the header line."""
    return raw_cell.split("\n", 1)[1] if "\n" in raw_cell else ""


def fix_history(shell: Any, raw_cell: str) -> None:
    """Make raw history (``%history -r``, the history database) hold the user's source."""
    hm = getattr(shell, "history_manager", None)
    if hm is None:
        return
    body = body_of(raw_cell).rstrip("\n")
    raw = hm.input_hist_raw
    if raw and raw[-1].rstrip("\n") == raw_cell.rstrip("\n"):
        raw[-1] = body
    lock = getattr(hm, "db_input_cache_lock", None)
    cache = getattr(hm, "db_input_cache", None)
    if lock is None or cache is None:
        return
    with lock:
        if cache and cache[-1][2].rstrip("\n") == raw_cell.rstrip("\n"):
            line_num, source, _ = cache[-1]
            cache[-1] = (line_num, source, body)
