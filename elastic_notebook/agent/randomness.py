"""The global random generators' states before each recorded execution, for replay at restore.

A bundle's ``random.pkl`` holds them together with the library settings (settings.py): what a
re-run depends on besides the variables it reads.

Before every intercepted cell the agent takes Python's ``random`` state and, when numpy is
imported, the state of numpy's global generator (``np.random.rand`` and friends), keyed by the
execution's seq. A state equal to the previous one is not stored again, so memory grows only when
cells consume randomness (about 2.5 KB per generator per such cell). Capturing costs a few tens
of microseconds. At restore, ``prepare(i)`` puts both generators back where they were before
execution ``i``, so an unseeded cell re-run gives the same numbers. A checkpoint also keeps the
states the generators had when it was taken (``final``), which the end of a restore sets, so the
restored session's next draw is the one the checkpointed session would have made.
"""

from __future__ import annotations

import bisect
import importlib
import pickle
import random
import sys
from array import array
from typing import Any

from .importwatch import WATCH
from .payload import PayloadError, Written, read_payload, write_payload
from .settings import LibrarySettings, SettingsHistory, from_saved

# (seq, python state, numpy state): compact forms, see _python_state and _numpy_state.
Entry = tuple[int, Any, Any]
_KIND = "random-states"


class RandomStates:
    """States by execution seq: the state before ``i`` is the last one captured at or before ``i``.

    ``imports[i]`` is numpy's state right after ``numpy.random`` was first imported during
    execution ``i`` (numpy seeds itself from the OS at that moment, inside the cell).
    """

    def __init__(
        self,
        entries: list[Entry] | None = None,
        imports: dict[int, Any] | None = None,
        final: tuple[Any, Any] | None = None,
        settings: LibrarySettings | None = None,
    ) -> None:
        self.entries: list[Entry] = list(entries or [])
        self.imports: dict[int, Any] = dict(imports or {})
        #: (python state, numpy state) when the checkpoint was taken; None in either: not kept.
        self.final = final
        #: The library settings kept beside the states (set by ``prepare`` and ``finish``).
        self.settings = settings if settings is not None else LibrarySettings()

    def apply_final(self) -> dict[str, bool]:
        """Set the generators to their states when the checkpoint was taken (those it kept)."""
        py, np_state = self.final if self.final is not None else (None, None)
        if py is not None:
            set_python_state(py)
        if np_state is not None:
            set_numpy_state(np_state)
        return {"python": py is not None, "numpy": np_state is not None}

    def state_before(self, execution: int) -> Entry | None:
        seqs = [e[0] for e in self.entries]
        k = bisect.bisect_right(seqs, execution)
        return self.entries[k - 1] if k else None

    def apply(self, execution: int) -> dict[str, bool]:
        """Set the generators to their state before ``execution``; says which ones were set.

        Raises ``LookupError`` when no state was recorded at or before ``execution``.
        """
        entry = self.state_before(execution)
        at_import = self.imports.get(execution)
        if entry is None and at_import is None:
            raise LookupError(f"no random state was recorded before execution {execution}")
        _, py, np_state = entry if entry is not None else (execution, None, None)
        if py is not None:
            set_python_state(py)
        if at_import is not None:
            # The cell imported numpy.random itself: give the generator the state that import
            # produced, now if it is already imported here, else right when the cell imports it.
            if "numpy.random" in sys.modules:
                set_numpy_state(at_import)
            else:
                WATCH.arm(at_import)
        elif np_state is not None:
            set_numpy_state(np_state)
        return {"python": py is not None, "numpy": at_import is not None or np_state is not None}


class RandomHistory(RandomStates):
    """This kernel's own states, captured before each intercepted execution."""

    #: The intercepted execution running now (None between cells).
    current: int | None = None

    def __init__(self) -> None:
        super().__init__(settings=SettingsHistory())
        self.settings: SettingsHistory

    def watch_imports(self) -> None:
        """Take numpy's state when a cell first imports ``numpy.random``."""
        WATCH.listeners.append(self._numpy_imported)
        WATCH.install()

    def _numpy_imported(self) -> None:
        if self.current is not None:
            self.imports[self.current] = _numpy_state()

    def finished(self) -> None:
        """The intercepted execution is over (imports after it are not its own)."""
        self.current = None

    def capture(self, seq: int) -> None:
        """Record the states before execution ``seq`` (called by the pre-cell hook)."""
        self.current = seq
        self.settings.capture(seq)
        py = _python_state()
        np_state = _numpy_state()
        entries = self.entries
        while entries and entries[-1][0] >= seq:  # the cell captured last time left no record
            entries.pop()
        if entries:
            _, last_py, last_np = entries[-1]
            if py == last_py and np_state == last_np:
                return
            # Share the unchanged part with the previous entry.
            py = last_py if py == last_py else py
            np_state = last_np if np_state == last_np else np_state
        entries.append((seq, py, np_state))

    def adopt(self, old: "RandomStates") -> None:
        """The states of a restored run come first; ours continue after them."""
        last = old.entries[-1][0] if old.entries else -1
        last = max([last, *old.imports])
        self.entries = list(old.entries) + [e for e in self.entries if e[0] > last]
        self.imports = {**old.imports, **{k: v for k, v in self.imports.items() if k > last}}
        self.settings.adopt(old.settings)

    def save(self, path: str) -> Written:
        """Write the states to ``path``, leaving out a generator nothing ever drew from.

        A generator whose state is the same before every execution and now was never drawn from,
        so no re-run needs it set (cells that read a generator's state without drawing are never
        re-run: see entropy.py). Each one left out saves about 2.5 KB per bundle.
        """
        entries, imports = self.entries, self.imports
        py_now, np_now = _python_state(), _numpy_state(import_now=False)
        if _never_changed([e[1] for e in entries], py_now):
            entries, py_now = [(seq, None, np_state) for seq, _, np_state in entries], None
        if _never_changed([e[2] for e in entries] + list(imports.values()), np_now):
            entries, imports, np_now = [(seq, py, None) for seq, py, _ in entries], {}, None
        entries = [e for e in entries if e[1] is not None or e[2] is not None]
        saved = {"random": entries, "imports": imports, "final": (py_now, np_now), "settings": self.settings.saved()}
        try:
            stream = pickle.dumps(saved, protocol=5)
        except Exception:  # noqa: BLE001 - a setting that does not pickle: keep the generators at least
            stream = pickle.dumps({**saved, "settings": None}, protocol=5)
        return write_payload(path, {"serializer": "pickle", "members": ["random"], "kind": _KIND}, stream, [])


def _never_changed(states: list[Any], now: Any) -> bool:
    """True when every recorded state (None: not captured) equals the state ``now``."""
    return all(state is None or state == now for state in states)


def load_states(path: str, checksum: str | None) -> RandomStates:
    """Read a ``random.pkl`` written by :meth:`RandomHistory.save`."""
    payload = read_payload(path, checksum)
    if payload.header.get("kind") != _KIND:
        raise PayloadError(f"{path} does not hold random states")
    saved = pickle.loads(payload.stream)
    entries = saved["random"]
    imports = saved.get("imports", {})
    if not isinstance(entries, list) or any(not isinstance(e, tuple) or len(e) != 3 for e in entries):
        raise PayloadError(f"{path} holds malformed random states")
    if not isinstance(imports, dict) or any(not isinstance(k, int) for k in imports):
        raise PayloadError(f"{path} holds malformed random states")
    final = saved.get("final")  # absent in bundles from before it was kept
    if final is not None and (not isinstance(final, tuple) or len(final) != 2):
        raise PayloadError(f"{path} holds malformed random states")
    try:
        settings = from_saved(saved.get("settings"))
    except ValueError as err:
        raise PayloadError(f"{path} holds {err}") from None
    return RandomStates(sorted(entries, key=lambda e: e[0]), imports, final, settings)


def _python_state() -> tuple:
    version, words, gauss = random.getstate()
    return version, array("I", words).tobytes(), gauss


def _numpy_state(import_now: bool = True) -> Any:
    if "numpy" not in sys.modules:
        return None
    npr = sys.modules.get("numpy.random")
    if npr is None and not import_now:
        return None
    if npr is None:
        # numpy 2 imports numpy.random lazily, on first use: import it now so that the state
        # the next cell starts from is known (once per kernel, ~15 ms).
        try:
            npr = importlib.import_module("numpy.random")
        except ImportError:
            return None
    state = npr.get_state()
    if isinstance(state, tuple):  # the legacy MT19937 generator (the default)
        name, key, pos, has_gauss, gauss = state
        return name, key.tobytes(), pos, has_gauss, gauss
    return pickle.dumps(state, protocol=5)  # another bit generator: a dict with arrays


def set_python_state(state: tuple) -> None:
    """Set Python's ``random`` to a state in the compact form of ``_python_state``."""
    version, words, gauss = state
    random.setstate((version, tuple(array("I", words)), gauss))


def set_numpy_state(state: Any) -> None:
    npr = importlib.import_module("numpy.random")
    if isinstance(state, bytes):
        npr.set_state(pickle.loads(state))
        return
    import numpy as np

    name, key, pos, has_gauss, gauss = state
    npr.set_state((name, np.frombuffer(key, dtype=np.uint32).copy(), pos, has_gauss, gauss))
