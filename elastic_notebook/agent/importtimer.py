"""How long the imports made while loading a group took, wherever they were made.

A group's load time is priced per byte, and first imports are priced apart (per module, learned
from restores), so the load must know the time its imports took. Importing the classes that
pickle names is only part of it: unpickling a matplotlib figure imports pyplot's backend from
the figure's ``__setstate__`` (about 100 modules, 30 ms of a 31 ms load; the next load of the
same figure takes 1 ms), and a few such groups taught the cost model that 300 KB take 300 ms to
load. While installed (first on ``sys.meta_path``, during the agent's own loads only), this
finder lets the other finders find each module and times how its loader creates and runs it,
counting only the outermost import of nested ones; it hands each module its real loader before
running it, so the module and its users see nothing of the timer.
"""

from __future__ import annotations

import importlib.abc
import sys
import time
from typing import Any


class _Timed(importlib.abc.Loader):
    """Times a real loader's ``create_module`` and ``exec_module``."""

    def __init__(self, loader: Any, timer: "ImportTimer") -> None:
        self.loader = loader
        self.timer = timer

    def create_module(self, spec: Any) -> Any:
        with self.timer.timing():
            return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self.loader
        module.__loader__ = self.loader
        with self.timer.timing():
            self.loader.exec_module(module)


class _Timing:
    def __init__(self, timer: "ImportTimer") -> None:
        self.timer = timer

    def __enter__(self) -> None:
        timer = self.timer
        if timer.depth == 0:
            timer.started = time.perf_counter()
        timer.depth += 1

    def __exit__(self, *_: Any) -> None:
        timer = self.timer
        timer.depth -= 1
        if timer.depth == 0:
            timer.ms += (time.perf_counter() - timer.started) * 1000.0


class ImportTimer(importlib.abc.MetaPathFinder):
    """``with ImportTimer() as timer: ...``; then ``timer.ms`` is the time spent importing."""

    def __init__(self) -> None:
        self.ms = 0.0
        self.depth = 0
        self.started = 0.0

    def timing(self) -> _Timing:
        return _Timing(self)

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        with self.timing():  # finding is part of importing (reading directories, metadata)
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec  # namespace packages, legacy loaders: left as found
        spec.loader = _Timed(loader, self)
        return spec

    def __enter__(self) -> "ImportTimer":
        sys.meta_path.insert(0, self)
        return self

    def __exit__(self, *_: Any) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)
