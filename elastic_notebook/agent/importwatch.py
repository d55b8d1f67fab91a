"""Notice the moment ``numpy.random`` is first imported, to take or set its generator's state.

numpy seeds its global generator from the operating system when ``numpy.random`` is imported. A
cell that imports numpy and draws numbers in the same cell can only be replayed if the state the
import produced is known: this finder, first on ``sys.meta_path`` until that import happens,
lets the import run as usual and then calls back with the freshly imported module. It steps aside
(removes itself) as soon as the import is done, and changes nothing the module or its user sees.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from typing import Any, Callable

_TARGET = "numpy.random"


class _ThenCall(importlib.abc.Loader):
    """Runs the real loader, puts it back on the module, then calls back."""

    def __init__(self, loader: Any, done: Callable[[Any], None]) -> None:
        self.loader = loader
        self.done = done

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        module.__spec__.loader = self.loader
        module.__loader__ = self.loader
        self.loader.exec_module(module)
        self.done(module)


class NumpyRandomWatch(importlib.abc.MetaPathFinder):
    """Calls ``on_import`` once, right after ``numpy.random`` is first imported."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[], None]] = []
        self.armed: Any = None  # a numpy state to set right after the import (replay)

    def arm(self, state: Any) -> None:
        """Set numpy's generator to ``state`` as soon as ``numpy.random`` is imported."""
        self.armed = state
        self.install()

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != _TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _ThenCall(spec.loader, self._imported)
        return spec

    def _imported(self, _module: Any) -> None:
        self.uninstall()
        armed, self.armed = self.armed, None
        if armed is not None:
            from .randomness import set_numpy_state  # (a cycle at import time otherwise)

            set_numpy_state(armed)
        for listener in list(self.listeners):
            listener()

    def install(self) -> None:
        """Watch, unless ``numpy.random`` is already imported (then there is nothing to see)."""
        if _TARGET not in sys.modules and self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


#: The one watch of this kernel process.
WATCH = NumpyRandomWatch()
