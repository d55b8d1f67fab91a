"""The hidden ``%%intercept`` line: strip it before IPython sees the cell, and record around it."""

from __future__ import annotations

import shlex
from typing import Any, Callable

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


class CellNamer:
    """Replaces ``shell.compile.get_code_name`` so an intercepted cell's code is named after its
    body, exactly as without the header: ipykernel derives the cell's file name (shown in syntax
    errors, used by the debugger to match breakpoints) from a hash of the raw cell.

    IPython calls it once per cell, right after storing the cell in history and before the code
    runs, so it also tells the agent that history can be corrected (``on_named``).
    """

    def __init__(self, original: Callable[[str, str, int], str], on_named: Callable[[str, int], None]) -> None:
        self.original = original
        self.on_named = on_named

    def __call__(self, raw_code: str, transformed_code: str, number: int) -> str:
        if isinstance(raw_code, str) and is_intercepted(raw_code):
            try:
                self.on_named(raw_code, number)
            except Exception:  # noqa: BLE001 - naming the cell must never fail because of us
                pass
            raw_code = body_of(raw_code)
        return self.original(raw_code, transformed_code, number)
