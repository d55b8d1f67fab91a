"""What this Python is and which versions of some modules it has installed (the target listing).

A module name is mapped to its distribution with ``importlib.metadata.packages_distributions()``
(``sklearn`` is installed by ``scikit-learn``); a module found but installed by no distribution
(the standard library, a local package) answers ``"unknown"``; one not found answers None. With a
``folder`` (a notebook's folder, which is its kernel's working directory and so on its kernel's
``sys.path``), a module found there counts as found too ("unknown"). Nothing is imported: the answer must not cost the time, or the side effects, of importing a library.
"""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import importlib.util
import os
import re
import sys
import threading
import time

_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Listing every installed distribution takes 10-200 ms: kept for a while (installs are rare).
_CACHE_SECONDS = 60.0
_lock = threading.Lock()
_cached: tuple[float, dict[str, list[str]]] | None = None


def _distributions() -> dict[str, list[str]]:
    global _cached
    with _lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] > _CACHE_SECONDS:
            _cached = (now, importlib.metadata.packages_distributions())
        return _cached[1]


def module_version(name: str, folder: str | None = None) -> str | None:
    """The installed version of top-level module ``name``, "unknown" when it has none (or is a
    module of ``folder``), None when absent."""
    for distribution in _distributions().get(name, []):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    try:
        found = importlib.util.find_spec(name) is not None
        if not found and folder is not None:
            found = importlib.machinery.PathFinder.find_spec(name, [folder]) is not None
    except (ImportError, ValueError):
        found = False
    return "unknown" if found else None


def python_info(modules: list[str], folder: str | None = None) -> dict:
    """``{version, executable, modules: {name: version | None}}`` of this interpreter, looking in
    ``folder`` (an absolute path) too."""
    if not isinstance(modules, list) or not all(isinstance(m, str) and _MODULE.match(m) for m in modules):
        raise ValueError("modules: must be a list of top-level module names")
    if folder is not None and (not isinstance(folder, str) or not os.path.isabs(folder)):
        raise ValueError("folder: must be an absolute path")
    return {
        "version": sys.version.split()[0],
        "executable": sys.executable,
        "modules": {name: module_version(name, folder) for name in modules[:500]},
    }
