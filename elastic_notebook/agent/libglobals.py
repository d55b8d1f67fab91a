"""Objects a library keeps at module level: ``dataclasses.MISSING``, ``scipy.stats.t``, numpy's
global ``RandomState``, statsmodels' variance functions, ``matplotlib.rcParams``.

Library code tests them with ``is`` and shares them between everything it makes, so a copy is a
different object: they are pickled by reference, with the state a copy would have had set on the
restored kernel's own object (byvalue.py), and fingerprinted the same way (fingerprint.py): the
module attribute's name, then that state. Their construction arguments are left out of both; they
may hold what differs between processes (the OS entropy a global generator was first seeded
with) without any effect on what the object does.
"""

from __future__ import annotations

import copyreg
import sys
import types
from typing import Any


class LibraryGlobals:
    """Finds the module-level name of library objects (one index per module, built on first use;
    make a new instance per pickling or walk, as modules gain names)."""

    def __init__(self) -> None:
        self._kinds: dict[type, bool] = {}
        self._names: dict[str, dict[int, str]] = {}

    def name_of(self, obj: Any) -> tuple[types.ModuleType, str] | None:
        """``(module, name)`` when ``obj`` is a module-level object of its class's module."""
        cls = type(obj)
        kind = self._kinds.get(cls)
        if kind is None:
            kind = self._kinds[cls] = _may_be_module_level(cls)
        if not kind:
            return None
        module = cls.__module__
        names = self._names.get(module)
        if names is None:
            names = self._names[module] = {}
            for name, value in list(vars(sys.modules[module]).items()):
                if type(value).__module__ == module:
                    names.setdefault(id(value), name)
        name = names.get(id(obj))
        return (sys.modules[module], name) if name is not None else None


def is_library_class(cls: type) -> bool:
    """A class of an imported library module (not builtins, not the notebook), and not a
    metaclass (its instances are classes, which pickle names)."""
    module = getattr(cls, "__module__", None)
    return isinstance(module, str) and module not in ("builtins", "__main__") and module in sys.modules and not issubclass(cls, type)


def _may_be_module_level(cls: type) -> bool:
    """A library class without a copyreg reducer of which its module holds an instance."""
    if not is_library_class(cls) or cls in copyreg.dispatch_table:
        return False
    return any(type(v) is cls for v in list(vars(sys.modules[cls.__module__]).values()))


def reference_state(obj: Any) -> tuple:
    """What pickle would set on a copy of ``obj`` after creating it: ``(state, listitems,
    dictitems, state_setter)`` of its reduce, as far as it has them; ``()`` for none."""
    try:
        rv = obj.__reduce_ex__(5)
    except Exception:  # noqa: BLE001 - a reference is all that can be kept then
        return ()
    if not isinstance(rv, tuple) or len(rv) < 3:
        return ()
    return tuple(rv[2:6])
