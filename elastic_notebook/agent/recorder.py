"""Per-execution recording: what a cell read, wrote, deleted, and which variables are linked.

Cost control (the overhead budget is a few ms per trivial cell and ~1% on real cells):

* only *candidates* are fingerprinted after a cell: variables it reads or stores (directly or
  through notebook functions) and the variables linked with those; ``exec``/``%run`` make every
  variable a candidate;
* the "before" fingerprint of a candidate is the one cached from the execution that last checked
  it (same object id), so nothing is hashed before the cell;
* buffers are hashed whole up to a fixed size and from evenly spaced samples beyond it (see
  :mod:`.fingerprint`; the rule depends on the buffer only, so a cached "before" and a fresh
  "after" are always comparable); variables compared by samples are listed in the record's
  ``needsFullCheck`` so that the checkpoint-time full check covers them.
"""

from __future__ import annotations

import sys
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable

from .analysis import CellNames, analyse_cell, indirect_globals
from .fingerprint import Figures, Fingerprint, fingerprint
from .groups import LinkIndex
from .intercept import body_of, is_intercepted
from .names import user_names


#: Packages of the kernel itself: what they load lazily while a cell runs is not the cell's import.
_KERNEL_PACKAGES = frozenset({"IPython", "ipykernel", "jupyter_client", "traitlets", "zmq", "tornado", "comm", __name__.partition(".")[0]})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType)


@dataclass
class _Pending:
    """What the pre-cell hook saw, for the post-cell hook."""

    raw_cell: str
    code: str
    header: dict[str, Any]
    started_wall: float
    started: float
    before_ids: dict[str, int]
    names: CellNames | None
    candidates: set[str]
    before_prints: dict[str, Fingerprint | None]
    modules_before: int = 0
    agent_seconds: float = 0.0


@dataclass
class Recorder:
    """Keeps per-variable fingerprints and the link index between cells, and builds records."""

    shell: Any
    emit: Callable[[dict], None]
    prints: dict[str, tuple[int, Fingerprint]] = field(default_factory=dict)
    links: LinkIndex = field(default_factory=LinkIndex)
    seq: int = 0
    _pending: _Pending | None = None
    #: Names in ``sys.modules`` as of the last count (refreshed only when its size changed).
    _modules_seen: set[str] = field(default_factory=set)
    #: matplotlib figures walked at this moment, shared by its fingerprints (see fingerprint.py).
    _figures: Figures = field(default_factory=dict)

    # -- hooks ---------------------------------------------------------------------------------
    def before(self, raw_cell: str, header: dict[str, Any], spent: float = 0.0, transformed: str | None = None) -> None:
        """Called by ``pre_run_cell`` for an intercepted cell; ``spent``: seconds the agent
        already spent on this cell (counted in ``agentMs``); ``transformed``: the code IPython
        made of the cell (``ExecutionInfo.transformed_cell``), if it says."""
        t0 = time.perf_counter() - spent
        self._figures = {}
        shell = self.shell
        ns = shell.user_ns
        body = body_of(raw_cell)
        if isinstance(transformed, str) and not is_intercepted(transformed):
            code = transformed  # what IPython runs: no second transform (~0.3 ms a cell)
        else:
            try:
                code = shell.transform_cell(body)
            except Exception:  # noqa: BLE001 - IPython reports the error when it runs the cell
                code = body
        names = analyse_cell(code)
        before_ids = {name: id(ns[name]) for name in user_names(ns, shell.user_ns_hidden)}
        self._forget_missing(before_ids)
        if names is None:
            candidates: set[str] = set()
        elif names.calls_unknown_code:
            candidates = set(before_ids)  # exec, %run...: anything may change
        else:
            touched = (names.reads | names.stores) & before_ids.keys()
            touched |= indirect_globals(touched, ns) & before_ids.keys()
            candidates = self.links.linked_with(touched) & before_ids.keys()
        before_prints = {name: self._cached_print(name, ns[name]) for name in candidates}
        self._figures = {}  # only valid at this moment
        if len(sys.modules) != len(self._modules_seen):
            self._modules_seen = set(sys.modules)
        self._pending = _Pending(
            raw_cell=raw_cell,
            code=code,
            header=header,
            started_wall=time.time(),
            started=time.perf_counter(),
            before_ids=before_ids,
            names=names,
            candidates=candidates,
            before_prints=before_prints,
            modules_before=len(sys.modules),
            agent_seconds=time.perf_counter() - t0,
        )

    def after(self, result: Any) -> dict | None:
        """Called by ``post_run_cell``; returns the record (also passed to ``emit``)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        duration = time.perf_counter() - pending.started
        t0 = time.perf_counter()
        self._figures = {}
        modules_loaded, packages_loaded = self._loaded_modules(pending.modules_before)
        shell = self.shell
        ns = shell.user_ns
        after_names = user_names(ns, shell.user_ns_hidden)
        after_set = set(after_names)
        before = pending.before_ids
        names = pending.names
        reads: set[str] = set()
        if names is not None:
            direct = names.reads & before.keys()
            reads = direct | (indirect_globals(direct, ns) & before.keys())
        deletes = {name for name in before if name not in after_set}
        writes = {name for name in after_names if before.get(name) != id(ns[name])}
        if names is not None:
            writes |= names.stores & after_set
        variables: dict[str, dict] = {}
        sampled: list[str] = []
        for name in (pending.candidates & after_set) | writes:
            value = ns[name]
            fp = fingerprint(value, ns, figures=self._figures)
            self.prints[name] = (id(value), fp)
            if name not in writes and not fp.same_as(pending.before_prints.get(name)):
                writes.add(name)
            self.links.update(name, fp.ids)
            if fp.partial:
                sampled.append(name)
            if name in writes:
                variables[name] = _describe(value, fp)
        self._figures = {}  # only valid at this moment
        for name in deletes:
            self.prints.pop(name, None)
            self.links.remove(name)
        error = _error_summary(result)
        record = {
            "seq": self.seq,
            "cellIndex": pending.header.get("cell_index"),
            "cellId": pending.header.get("cell_id"),
            "executionCount": getattr(result, "execution_count", None),
            "code": pending.code,
            "startedAtMs": pending.started_wall * 1000.0,
            "durationMs": duration * 1000.0,
            "error": error,
            "reads": sorted(reads),
            "writes": sorted(writes),
            "deletes": sorted(deletes),
            "groups": self.links.groups(after_names),
            "variables": variables,
            "agentMs": 0.0,
            "needsFullCheck": sorted(sampled),
        }
        modified = sorted(name for name in writes if name in before and before[name] == id(ns[name]))
        if modified:
            record["modified"] = modified  # changed in place: the old version is an input too
        if modules_loaded > 0:
            # Only a cell that loaded modules pays for imports: the planner prices a copied
            # module's re-import by it (``import time`` of a loaded module costs nothing).
            record["modulesLoaded"] = modules_loaded
        if packages_loaded:
            # Which libraries it loaded: loading a copied object of one of them imports it again.
            record["packagesLoaded"] = packages_loaded
        if names is not None and names.fresh_entropy:
            record["nondeterministic"] = True  # its results cannot be recomputed, only copied
        record["agentMs"] = (pending.agent_seconds + time.perf_counter() - t0) * 1000.0
        self.seq += 1
        self.emit(record)
        return record

    def rebase(self, seq: int) -> None:
        """Continue at ``seq`` (after a restore), comparing the next cells with the namespace as
        it is now: fingerprints and links are taken afresh from every variable."""
        self.seq = seq
        self._figures = {}
        self.prints.clear()
        self.links = LinkIndex()
        ns = self.shell.user_ns
        self._forget_missing({name: id(ns[name]) for name in user_names(ns, self.shell.user_ns_hidden)})
        self._figures = {}

    # -- helpers -------------------------------------------------------------------------------
    def _loaded_modules(self, count_before: int) -> tuple[int, list[str]]:
        """Modules the cell's code loaded (new in ``sys.modules``, not the kernel's own: IPython
        loads some lazily on the first cells), and the top-level packages among them that are
        neither the standard library's nor private. O(1) unless the number of modules changed."""
        if len(sys.modules) == count_before:
            return 0, []
        new = [name for name in list(sys.modules) if name not in self._modules_seen]
        self._modules_seen = set(sys.modules)
        tops = [name.partition(".")[0] for name in new]
        count = sum(1 for top in tops if top not in _KERNEL_PACKAGES)
        packages = {
            top for top in tops
            if top not in _KERNEL_PACKAGES and top not in _STDLIB and not top.startswith("_") and top != "__main__"
        }
        return count, sorted(packages)

    def _cached_print(self, name: str, value: Any) -> Fingerprint:
        cached = self.prints.get(name)
        if cached is not None and cached[0] == id(value):
            return cached[1]
        fp = fingerprint(value, self.shell.user_ns, figures=self._figures)
        self.prints[name] = (id(value), fp)
        self.links.update(name, fp.ids)
        return fp

    def _forget_missing(self, live: dict[str, int]) -> None:
        """Variables created or removed outside recorded cells: refresh what we know of them."""
        for name in [n for n in self.prints if n not in live]:
            del self.prints[name]
            self.links.remove(name)
        ns = self.shell.user_ns
        for name in live:
            if name not in self.prints:
                self._cached_print(name, ns[name])


def _error_summary(result: Any) -> str | None:
    err = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    if err is None:
        return None
    message = str(err).strip().splitlines()
    return f"{type(err).__name__}: {message[0]}" if message else type(err).__name__


def _describe(value: Any, fp: Fingerprint) -> dict:
    t = type(value)
    info = {
        "type": f"{t.__module__}.{t.__qualname__}",
        "size": fp.nbytes,
        "serializable": fp.observable,
        "needsFullCheck": fp.partial,
    }
    if isinstance(value, type) or t in _FUNCTION_TYPES:
        # A class or function is pickled by reference to where it is defined: loading it imports
        # that module (its type, ``type`` or ``function``, says nothing of it).
        defined_in = getattr(value, "__module__", None)
        if isinstance(defined_in, str) and defined_in not in ("builtins", "__main__"):
            info["definedIn"] = defined_in
    return info
