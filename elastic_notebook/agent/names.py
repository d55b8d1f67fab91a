"""Which names in the IPython namespace are the user's variables."""

from __future__ import annotations

import re
from typing import Any, Iterable

# IPython's own history and output-cache names: _, __, ___, _i, _ii, _iii, _i<N>, _<N>, _ih, _oh, _dh.
_IPYTHON_CACHE = re.compile(r"_(?:_{0,2}|i{1,3}|i\d+|\d+|ih|oh|dh)")
_IPYTHON_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "_exit_code"})


def is_user_name(name: str, hidden: Any) -> bool:
    """True for a user variable: not hidden by IPython, not an output-cache name, not a dunder."""
    if name in hidden or name in _IPYTHON_NAMES:
        return False
    if name.startswith("_"):
        if name.startswith("__") and name.endswith("__"):
            return False
        if _IPYTHON_CACHE.fullmatch(name):
            return False
    return True


def user_names(namespace: dict, hidden: Any) -> Iterable[str]:
    """The user variables of ``namespace``, in namespace order."""
    # Runs twice per cell over every name: the common case (no leading underscore) is inlined.
    return [
        name
        for name in namespace
        if name not in hidden
        and name not in _IPYTHON_NAMES
        and (not name.startswith("_") or is_user_name(name, hidden))
    ]
