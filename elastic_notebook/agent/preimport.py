"""Importing, ahead of a restore, the modules its re-runs import anyway (docs/checkpoint.md section 5).

A restore re-runs cells that import numpy, pandas, scikit-learn...: often the largest part of
its time. Importing those modules early lets the kernel do it while the orchestrator is still
fetching payloads. Only modules that the session had imported (the manifest's
``source.modules``) and that a re-run cell imports are considered, so nothing is imported that
the restore would not import anyway; nothing is bound in the user namespace.

Importing early must not change what the re-runs observe. It stops at the first re-run cell
that could change how a module imports (environment variables, ``sys.path``, the working
directory, importlib, a magic or shell line other than a few harmless ones), modules found in
the notebook's folder are left alone (a cell may rewrite them), and Python's ``random`` state is
put back afterwards (an import that draws must not shift a re-run's numbers).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import random
import sys
import time
from typing import Any, Iterable

# Magics that cannot change how a module imports.
_HARMLESS_MAGICS = frozenset({"matplotlib", "time", "timeit", "who", "whos", "precision", "pprint"})
# Names and attributes through which a cell changes the import environment.
_ENVIRONMENT = frozenset(
    {"environ", "putenv", "unsetenv", "chdir", "meta_path", "path_hooks", "path_importer_cache", "importlib",
     "__import__", "reload", "addsitedir", "setdlopenflags", "add_dll_directory"}
)
_SYS_ATTRIBUTES = frozenset({"path", "modules"})


class _Imports(ast.NodeVisitor):
    """Modules a cell imports when it runs (function bodies are not run by defining them)."""

    def __init__(self) -> None:
        self.modules: list[str] = []
        self.changes_environment = False

    def visit_FunctionDef(self, node: ast.AST) -> None:
        return None

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        self.modules.extend(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.modules.append(node.module)
        if any(a.name in _ENVIRONMENT or (node.module == "sys" and a.name in _SYS_ATTRIBUTES) for a in node.names):
            self.changes_environment = True

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in _ENVIRONMENT:
            self.changes_environment = True

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in _ENVIRONMENT or (
            isinstance(node.value, ast.Name) and node.value.id == "sys" and node.attr in _SYS_ATTRIBUTES
        ):
            self.changes_environment = True
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        # Magics and shell lines are get_ipython().run_line_magic('name', ...) and friends.
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            inner = func.value.func
            if isinstance(inner, ast.Name) and inner.id == "get_ipython":
                magic = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
                if func.attr not in ("run_line_magic", "run_cell_magic") or magic not in _HARMLESS_MAGICS:
                    self.changes_environment = True
        self.generic_visit(node)


def modules_to_import(shell: Any, codes: Iterable[str], available: Iterable[str]) -> list[str]:
    """The modules the re-run ``codes`` (in order) import, up to the first cell that could change
    how modules import; only those whose top-level package is in ``available``."""
    known = set(available)
    wanted: list[str] = []
    for code in codes:
        try:
            tree = ast.parse(shell.transform_cell(code))
        except Exception:  # noqa: BLE001 - the re-run fails before running anything
            continue
        found = _Imports()
        found.visit(tree)
        if found.changes_environment:
            break
        wanted.extend(m for m in found.modules if m.split(".")[0] in known and m not in wanted)
    return wanted


def _local_reason(name: str, cwd: str) -> str | None:
    """Why ``name`` must not be imported early: not found, or a module of the notebook's folder."""
    top = name.split(".")[0]
    module = sys.modules.get(top)
    if module is not None:
        origin = getattr(module, "__file__", None)
    else:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError) as err:
            return f"{type(err).__name__}: {err}"
        if spec is None:
            return "not found"
        locations = list(spec.submodule_search_locations or [])
        origin = spec.origin if spec.origin not in (None, "namespace") else (locations[0] if locations else None)
    if not origin or not os.path.isabs(origin):
        return None  # built in or frozen
    path = os.path.realpath(origin)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    inside = lambda root: os.path.commonpath([root, path]) == root  # noqa: E731
    if inside(os.path.realpath(cwd)) and not any(inside(p) for p in prefixes):
        return "in the notebook's folder (a cell may change it)"
    return None


def preimport(names: Iterable[str], cwd: str | None = None) -> dict:
    """Import ``names`` that are not imported yet; failures are left to the re-run that meets them."""
    t0 = time.perf_counter()
    modules_before = len(sys.modules)
    state = random.getstate()
    imported: list[str] = []
    skipped: dict[str, str] = {}
    folder = cwd or os.getcwd()
    try:
        for name in names:
            if name in sys.modules:
                continue
            reason = _local_reason(name, folder)
            if reason is None:
                try:
                    importlib.import_module(name)
                except Exception as err:  # noqa: BLE001 - the re-run will raise it where the user sees it
                    reason = f"{type(err).__name__}: {err}"
            if reason is None:
                imported.append(name)
            else:
                skipped[name] = reason
    finally:
        random.setstate(state)
    return {
        "imported": imported,
        "skipped": skipped,
        "importMs": (time.perf_counter() - t0) * 1000.0,
        "modulesImported": max(0, len(sys.modules) - modules_before),
    }
