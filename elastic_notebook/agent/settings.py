"""Library settings before each recorded execution, for replay at restore: matplotlib's ``rcParams``.

``plt.rc("figure", figsize=(16, 8))`` or ``plt.style.use("ggplot")`` assigns no variable, yet
every figure made after it depends on it: re-running a plotting cell in a fresh kernel made a
6.4x4.8 figure where the session had a 16x8 one. Like the random generators (randomness.py), the
settings are taken before every intercepted cell and set again before each re-run; the end of a
restore sets the ones the checkpoint was taken with, so later cells plot as they would have.

What is kept is the difference from matplotlib's defaults on that machine (``rcParamsOrig``, read
from its matplotlibrc): nothing at all while a session never changes a setting, so such a
restore never imports matplotlib for it. Taking the difference costs about 25 microseconds per
cell once matplotlib is imported, and nothing before. Left out: the process's backend and
interactive mode, which the kernel's own matplotlib integration sets.
"""

from __future__ import annotations

import bisect
import importlib
import sys
from typing import Any

#: rc keys whose values differ from the defaults; None: matplotlib was not imported then.
Diff = dict[str, Any]
Entry = tuple[int, "Diff | None"]

# The kernel's matplotlib integration sets these; they are the process's, not the notebook's.
_NOT_SETTINGS = frozenset({"backend", "backend_fallback", "interactive"})


class LibrarySettings:
    """Settings by execution seq: those before ``i`` are the last ones captured at or before ``i``."""

    def __init__(self, entries: list[Entry] | None = None, final: Diff | None = None) -> None:
        self.entries: list[Entry] = list(entries or [])
        #: The settings when the checkpoint was taken (None: matplotlib was not imported).
        self.final = final

    def state_before(self, execution: int) -> Diff | None:
        seqs = [e[0] for e in self.entries]
        k = bisect.bisect_right(seqs, execution)
        return self.entries[k - 1][1] if k else None

    def apply(self, execution: int) -> bool:
        """Set the settings to those before ``execution``; True when any setting was changed."""
        return set_settings(self.state_before(execution))

    def apply_final(self) -> bool:
        """Set the settings the checkpoint was taken with; True when any setting was changed."""
        return set_settings(self.final)

    def saved(self) -> dict:
        """The picklable form that :func:`from_saved` reads."""
        return {"entries": self.entries, "final": self.final}


class SettingsHistory(LibrarySettings):
    """This kernel's own settings, captured before each intercepted execution."""

    def capture(self, seq: int) -> None:
        """Record the settings before execution ``seq`` (called by the pre-cell hook)."""
        now = current()
        entries = self.entries
        while entries and entries[-1][0] >= seq:  # the cell captured last time left no record
            entries.pop()
        last = entries[-1][1] if entries else None
        if now != last:
            entries.append((seq, now))

    def saved(self) -> dict:
        return {"entries": self.entries, "final": current()}

    def adopt(self, old: LibrarySettings) -> None:
        """The settings of a restored run come first; ours continue after them."""
        last = old.entries[-1][0] if old.entries else -1
        self.entries = list(old.entries) + [e for e in self.entries if e[0] > last]


def from_saved(saved: Any) -> LibrarySettings:
    """Read what :meth:`LibrarySettings.saved` wrote; ValueError when it is malformed."""
    if saved is None:  # bundles from before settings were kept
        return LibrarySettings()
    if not isinstance(saved, dict) or not isinstance(saved.get("entries"), list):
        raise ValueError("malformed library settings")
    entries = saved["entries"]
    final = saved.get("final")
    for entry in entries:
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], int)):
            raise ValueError("malformed library settings")
    for diff in [e[1] for e in entries] + [final]:
        if diff is not None and not (isinstance(diff, dict) and all(isinstance(k, str) for k in diff)):
            raise ValueError("malformed library settings")
    return LibrarySettings(sorted(entries, key=lambda e: e[0]), final)


def current() -> Diff | None:
    """The settings now, as their difference from the defaults; None before matplotlib is imported."""
    mpl = sys.modules.get("matplotlib")
    rc, defaults = getattr(mpl, "rcParams", None), getattr(mpl, "rcParamsOrig", None)
    if not isinstance(rc, dict) or not isinstance(defaults, dict):
        return None
    missing = object()
    return {
        key: _copy(value)
        for key, value in dict.items(rc)
        if key not in _NOT_SETTINGS and value != dict.get(defaults, key, missing)
    }


def set_settings(diff: Diff | None) -> bool:
    """Make matplotlib's settings the defaults changed by ``diff``; True when any was changed.

    No difference needs no matplotlib: it is imported only to set a difference (and nothing is
    set where it cannot be imported). Keys this matplotlib does not know (another version) are
    left out, as are values it refuses.
    """
    if not diff and "matplotlib" not in sys.modules:
        return False
    try:
        mpl = importlib.import_module("matplotlib")
    except Exception:  # noqa: BLE001 - not installed here: the re-runs that plot say so themselves
        return False
    rc, defaults = mpl.rcParams, mpl.rcParamsOrig
    diff = diff or {}
    changed = False
    for key, default in dict.items(defaults):
        if key in _NOT_SETTINGS:
            continue
        value = diff.get(key, default)
        if dict.get(rc, key) == value:
            continue
        try:
            # The value was validated when it was first set: set it as matplotlib's own
            # rc_context does on exit, without validating (or warning) again.
            if hasattr(rc, "_set"):
                rc._set(key, _copy(value))
            else:
                dict.__setitem__(rc, key, _copy(value))
            changed = True
        except Exception:  # noqa: BLE001 - one refused setting must not stop a restore
            continue
    return changed


def _copy(value: Any) -> Any:
    """Lists (``font.family`` and the like) are copied: a user may change them in place."""
    return list(value) if type(value) is list else value
