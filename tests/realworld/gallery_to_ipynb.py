"""Convert a sphinx-gallery example script (the format of the scikit-learn and matplotlib example
galleries) into a notebook, the way sphinx-gallery's own "Download Jupyter notebook" does:

* the module docstring becomes the first markdown cell;
* a line ``# %%`` (text may follow it) or a line of 20 or more ``#`` starts a new block; the
  comment lines right after it are text (a markdown cell, ``# `` removed), the lines after those
  are code (a code cell);
* the text is kept as written (reStructuredText), the code verbatim.

Used once, by hand, to bring examples into this folder (see SOURCES.md):

    python tests/realworld/gallery_to_ipynb.py EXAMPLE.py OUT.ipynb [--source TEXT]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
from pathlib import Path

SEPARATOR = re.compile(r"^(# %%.*|#{20,}\s*)$")


def split_docstring(text: str) -> tuple[str, list[str]]:
    """The module docstring (empty if none) and the lines after it."""
    module = ast.parse(text)
    first = module.body[0] if module.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        lines = text.splitlines()
        return first.value.value.strip("\n"), lines[first.end_lineno:]
    return "", text.splitlines()


def blocks(lines: list[str]) -> list[tuple[str, str]]:
    """(kind, text) pairs in order: kind is "markdown" or "code"."""
    out: list[tuple[str, str]] = []
    chunks: list[list[str]] = [[]]
    for line in lines:
        if SEPARATOR.match(line):
            chunks.append([line])
        else:
            chunks[-1].append(line)
    for number, chunk in enumerate(chunks):
        text: list[str] = []
        body = chunk
        if number > 0:
            head = chunk[0]
            title = head[4:].strip() if head.startswith("# %%") else ""
            if title:
                text.append(title)
            body = chunk[1:]
            while body and (body[0].startswith("#") or (not body[0].strip() and not text)):
                line = body.pop(0)
                if line.startswith("#"):
                    text.append(line[2:] if line.startswith("# ") else line[1:])
        code = "\n".join(body).strip("\n")
        if any(t.strip() for t in text):
            out.append(("markdown", "\n".join(text).strip("\n")))
        if code.strip():
            out.append(("code", code))
    return out


def cell(kind: str, text: str, number: int) -> dict:
    lines = text.splitlines(keepends=True)
    base = {"cell_type": kind, "id": f"c{number:03d}", "metadata": {}, "source": lines}
    if kind == "code":
        base.update(execution_count=None, outputs=[])
    return base


def convert(text: str, source: str) -> dict:
    docstring, rest = split_docstring(text)
    parts = ([("markdown", docstring)] if docstring else []) + blocks(rest)
    return {
        "cells": [cell(kind, body, n) for n, (kind, body) in enumerate(parts)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "realworld": {"source": source, "converted": "sphinx-gallery script to notebook by gallery_to_ipynb.py"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("example", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", default="", help="where the example comes from (kept in the notebook's metadata)")
    args = parser.parse_args()
    notebook = convert(args.example.read_text(encoding="utf-8"), args.source)
    args.out.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
