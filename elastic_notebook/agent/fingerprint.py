"""Fingerprints of variables: an ID graph and a content hash, to detect in-place changes.

``fingerprint(value)`` walks the objects a value reaches the way pickle does (containers,
``__dict__``, ``__slots__``, closures of notebook functions, ``__reduce_ex__`` for everything
else) and returns:

* ``digest``: a hash of the content and of the sharing structure inside the value (the second
  time an object is reached, only a back-reference is hashed). It holds no addresses, so a full
  digest (not ``partial``) can be compared across processes;
* ``ids``: ids of the mutable objects the value reaches through real references. Two variables
  whose id sets intersect share an object, so they are *linked*. Containers that
  ``__reduce_ex__`` creates on the fly are not real references and are left out (their ids would
  change on every call); what they hold counts when the object references it itself (a C-level
  referent or a ``__dict__`` value: slot values, a partial's function, a deque's items), and so do
  the memory owners of numpy arrays, which are persistent (an array that only a temporary held is
  dropped after the walk: its id would be reused). An instance is not linked to its class.
  Immutable pandas ``Index`` objects and dtypes (pandas' and numpy's) are left out too, with what
  they hold: they are shared by every frame derived from another, so that sharing would link
  nearly all frames for nothing;
* ``observable``: False when some reachable object cannot be observed (generators, open files,
  locks, objects whose reduce fails). Such a value always compares as changed: a cell that
  touches it is conservatively recorded as writing it.

Buffers are hashed whole with xxhash when the kernel has it (about 10 GB/s), else blake2b, up to
a fixed size (8 MB with xxhash, 4 MB without); larger ones are hashed from the same evenly spaced
samples every time, and the fingerprint is marked ``partial`` so that the checkpoint-time safety
net hashes them fully. The threshold depends on the buffer only, so before/after comparisons are
always like for like; it keeps the agent's cost per cell to a few milliseconds whatever the size
of the data (a change inside a large buffer that no sample covers is left to that safety net).
Object arrays (pandas string and object columns) follow the same rule by element count, and so
do Python containers too long to walk item by item (a list of 200,000 small lists): every k-th
item is walked, the lengths and identities of all items are hashed (an append or a replaced item
anywhere shows), and the direct items also referenced from elsewhere are kept for links (an item
only the container holds can only be reached through it, and the container links itself); deeper
changes and links inside the items no sample covers are left to the full check, like buffers.

pandas ``DataFrame``/``Series`` take a fast path: the block manager's blocks (placement and
values: numpy arrays as above, extension arrays by their backing array and dtype), the axes, the
name, ``attrs`` and flags, instead of the generic ``__reduce_ex__`` walk (which also picked up
caches that reads fill). Anything unexpected in that structure falls back to the generic walk.
Nothing is ever copied whole or modified.

matplotlib artists (per-cell fingerprints): every artist reaches its whole figure, so each one is
hashed as its position in its figure's walk and that walk's digest, and the figure is walked once
for all the variables fingerprinted at one moment (``figures``); a change anywhere in a figure
changes every artist in it, as a full walk would. Callback registries are read as their
``__getstate__`` describes them without advancing their id counter.

A *canonical* fingerprint (``canonical=True``: the checkpoint-time one, compared by the restore's
verification in another process) must not depend on the process either: set members are walked
in the order of their own content digests (iteration order follows hashes of strs and addresses),
and a value reaching an object whose state is process-local (matplotlib artists) gets a
``reason`` instead of a usable digest. In every mode, notebook classes are walked by attribute
name, dtypes by content without identity (see ``_Walker._value``), and masked arrays by what
pickle keeps of them; per-cell fingerprints skip the canonical work (they compare within one
process). docs/checkpoint.md section 7 lists what is not compared.
"""

from __future__ import annotations

import collections
import copyreg
import gc
import hashlib
import sys
import time
import types
from array import array as _array
from dataclasses import dataclass
from itertools import compress
from typing import Any, Callable, Iterable

from .libglobals import LibraryGlobals, reference_state
from .mplstate import callback_registry_type, registry_state

try:  # optional, much faster for large buffers
    import xxhash as _xxhash  # type: ignore[import-not-found]

    def _buffer_hash(data: memoryview) -> bytes:
        return _xxhash.xxh3_128_digest(data)

    _new_hasher = _xxhash.xxh3_128
    DEFAULT_BUDGET_BYTES = 8 * 1024 * 1024

except ImportError:  # pragma: no cover - depends on the kernel's environment

    def _buffer_hash(data: memoryview) -> bytes:
        return hashlib.blake2b(data, digest_size=16).digest()

    def _new_hasher():  # type: ignore[misc]
        return hashlib.blake2b(digest_size=16)

    DEFAULT_BUDGET_BYTES = 4 * 1024 * 1024


_ATOMS = frozenset(
    {type(None), bool, int, float, complex, str, bytes, range, type(Ellipsis), type(NotImplemented)}
)
# Atoms whose repr is exact and cheap: a list of only these is hashed by its repr.
_REPR_ATOMS = frozenset({int, float, str, bool, type(None)})
# Items of these types never link variables (immutable, or shared definitions).
_NEVER_LINKED = _ATOMS | {
    tuple,
    frozenset,
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
}
# Containers whose reduce lists their own items (subclasses of list and dict, deques).
_CONTAINERS = (list, dict, collections.deque)
# Builtin containers whose len() is cheap and has no side effects.
_SIZED = frozenset({list, tuple, dict, set, frozenset, bytearray, str, bytes})
# A buffer beyond the budget is hashed from this many evenly spaced samples of this size (256 KB
# in all, read in about 0.1 ms even from cold memory): a change that spans the space between two
# samples (1/1023 of the buffer) is always seen; a smaller one is seen if a sample covers it.
_SAMPLES = 1024
# Whole-hashed buffers from this size on are timed (below it the hash is cheaper than the clock).
_TIMED_BUFFER_BYTES = 1 << 16
_SAMPLE_BYTES = 256
# Looking at one Python object at C speed (object arrays) costs about as much as hashing this
# many bytes; walking one item of a Python container in Python costs about this much more.
_BYTES_PER_OBJECT_ITEM = 500
_BYTES_PER_WALKED_ITEM = 2048


@dataclass(frozen=True)
class Fingerprint:
    """The result of :func:`fingerprint`."""

    digest: bytes
    ids: frozenset[int]
    observable: bool
    partial: bool
    nbytes: int
    # Why the digest cannot be compared with one taken in another process (None: it can, when the
    # value is observable and the digest not partial). Only canonical fingerprints look for this.
    reason: str | None = None
    # Bytes of buffers (arrays' memory, bytes, bytearrays) hashed whole, and the time that took:
    # the cost model prices hashing array memory apart from walking objects.
    buffer_bytes: int = 0
    buffer_ms: float = 0.0

    def same_as(self, other: "Fingerprint | None") -> bool:
        """True when nothing observable changed between ``other`` (before) and ``self`` (after)."""
        return (
            other is not None
            and self.observable
            and other.observable
            and self.digest == other.digest
            and self.ids == other.ids
        )


@dataclass(frozen=True)
class _Figure:
    """One matplotlib figure walked whole (see ``_Walker._artist``): its digest, and per object
    reached from it, its position in that walk."""

    digest: str
    positions: dict[int, int]
    ids: frozenset[int]
    observable: bool
    partial: bool
    nbytes: int


#: Figures already walked, by id, shared by the fingerprints of one moment (one cell's record):
#: nothing changes between them.
Figures = dict[int, _Figure]


class _Unobservable(Exception):
    pass


class _ProcessLocal(Exception):
    """A canonical walk met an object whose state depends on the process (the message says why)."""


# Libraries whose objects keep process-local state that a pickle round trip rebuilds differently
# though the object is the same (matplotlib artists: renderer caches, transform invalidation
# flags, callback registries, ids of figures): a canonical fingerprint of a value reaching one is
# not comparable across processes, wherever the object sits (an array or dict of axes too).
_PROCESS_LOCAL_MODULES = {"matplotlib": "artists keep process-local caches (renderer, transforms, callbacks)"}


class _Walker:
    def __init__(self, namespace: dict, budget_bytes: int, canonical: bool = False, figures: Figures | None = None) -> None:
        self.namespace = namespace
        self.budget = budget_bytes
        self.canonical = canonical  # the digest must not depend on the process (see fingerprint)
        self.values: dict[int, str] = {}  # id -> digest of the value objects met (see _value)
        self.ordering: set[int] = set()  # ids of the sets whose items are being ordered (see _set)
        self.object_limit = max(16, budget_bytes // _BYTES_PER_OBJECT_ITEM)
        self.walk_limit = max(16, budget_bytes // _BYTES_PER_WALKED_ITEM)
        self.parts: list[str] = []
        self.memo: dict[int, int] = {}
        self.keepalive: list[Any] = []  # temporaries from __reduce_ex__ must outlive the walk
        self.ids: set[int] = set()
        # Memory owners reached only through temporaries: kept as links if they outlive the walk.
        self.uncertain: dict[int, Any] = {}
        self.observable = True
        self.partial = False
        self.nbytes = 0
        self.buffer_bytes = 0
        self.buffer_s = 0.0
        self.unlinked = 0  # > 0 while inside an immutable object whose sharing does not matter
        np = sys.modules.get("numpy")
        self.np = np
        self.ndarray = np.ndarray if np is not None else None
        self.handlers = _handlers()
        # Objects whose sharing links nothing (see the module docstring).
        self.immutable_types = _PANDAS.immutable + ((np.dtype,) if np is not None else ())
        # Objects hashed as values, whose identity is no part of the digest (see _value).
        self.value_types = _PANDAS.dtypes + ((np.dtype,) if np is not None else ())
        # Module-level objects of libraries: by name and state, as they are pickled (canonical only).
        self.library = LibraryGlobals() if canonical else None
        # matplotlib artists: through their figure, walked once (per-cell fingerprints only).
        artist = sys.modules.get("matplotlib.artist")
        self.artist_type = getattr(artist, "Artist", None) if not canonical else None
        self.figures: Figures = figures if figures is not None else {}
        self.callback_registry = callback_registry_type()

    # -- entry ---------------------------------------------------------------------------------
    def walk(self, obj: Any, real: bool = True) -> None:
        """Hash ``obj``; ``real`` is False inside objects produced by ``__reduce_ex__``."""
        t = type(obj)
        if t in _ATOMS:
            self._atom(obj, t)
            return
        if not self._enter(obj, real):
            return
        handler = self.handlers.get(t)
        if handler is not None:
            handler(self, obj, real)
            return
        if self.ndarray is not None and isinstance(obj, self.ndarray):
            self._ndarray(obj, real)
        elif isinstance(obj, types.ModuleType):
            self.parts.append(f"module:{obj.__name__}")
        elif isinstance(obj, types.FunctionType):
            self._function(obj, real)
        elif isinstance(obj, type):
            self._class(obj, real)
        elif isinstance(obj, (types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType)):
            self.parts.append(f"builtin:{getattr(obj, '__qualname__', repr(obj))}")
        elif isinstance(obj, types.MethodType):
            self.parts.append("method")
            self.walk(obj.__func__, real)
            self.walk(obj.__self__, real)
        else:
            self._reduce(obj, real)

    def _enter(self, obj: Any, real: bool) -> bool:
        """Number ``obj`` on its first visit (True); a back-reference on the next ones (False)."""
        key = id(obj)
        seen = self.memo.get(key)
        if seen is not None:
            self.parts.append(f"@{seen}")
            return False
        self.memo[key] = len(self.memo)
        if not real:
            self.keepalive.append(obj)
        return True

    def _atom(self, obj: Any, t: type) -> None:
        if t is str:
            self.parts.append(f"str:{len(obj)}:{obj}")
            self.nbytes += len(obj)
        elif t is bytes:
            self.parts.append(f"b:{_buffer_hash(memoryview(obj)).hex()}")
            self.nbytes += len(obj)
        else:
            text = repr(obj)
            self.parts.append(f"{t.__name__}:{len(text)}:{text}")
            self.nbytes += len(text)

    # -- handlers ------------------------------------------------------------------------------
    def _mutable(self, obj: Any, real: bool) -> None:
        if real and not self.unlinked:
            self.ids.add(id(obj))

    def _list(self, obj: list, real: bool) -> None:
        self._mutable(obj, real)
        self.parts.append(f"L{len(obj)}")
        self._sequence(obj, real, own=0)

    def _tuple(self, obj: tuple, real: bool) -> None:
        self.parts.append(f"T{len(obj)}")
        self._sequence(obj, real)

    def _sequence(self, items: list | tuple, real: bool, own: int | None = None) -> None:
        """The items of a list or tuple: atoms at C speed, sampled when too many to walk (``own``:
        see :meth:`_sample`)."""
        walk = self.walk
        if len(items) <= 16:
            for item in items:
                walk(item, real)
            return
        kinds = set(map(type, items))
        if kinds <= _REPR_ATOMS:
            self._atom_items(items, kinds)
            return
        if len(items) > self.walk_limit:
            items = self._sample(items, kinds, real, own)
        for item in items:
            walk(item, real)

    def _sample(self, items: list | tuple, kinds: set[type], real: bool, own: int | None = None) -> list | tuple:
        """Every k-th item of a container too long to walk in Python, plus what C speed gives over
        all items: their lengths (an append or removal anywhere shows) and, for a container the
        variable really holds, which mutable objects it holds (a replaced item shows; ids are
        fine in a sampled digest, which is never compared across processes). Marks the
        fingerprint partial (the full check walks everything).

        For links, the mutable items are kept; ``own`` is set when they belong to a mutable
        container whose own id links (a list, a dict's keys or values, a set), to the number of
        extra references ``items`` adds (0 when it is the container, 1 for a list made of it):
        then only the items referenced from elsewhere too are kept, since an item the container
        alone holds can only be reached through it."""
        self.partial = True
        step = -(-len(items) // self.walk_limit)
        lengths = identities = "-"
        if kinds <= _SIZED:
            lengths = _buffer_hash(memoryview(_array("q", map(len, items))).cast("B")).hex()
        linkable = kinds - _NEVER_LINKED
        if real and linkable:
            mutable: list | tuple = items
            if not kinds <= linkable:
                mutable = list(compress(items, map(linkable.__contains__, map(type, items))))
                own = None if own is None else own + 1  # the list just made holds them too
            identities = _buffer_hash(memoryview(_array("Q", map(id, mutable))).cast("B")).hex()
            if not self.unlinked:
                if own is None:
                    self.ids.update(map(id, mutable))
                else:
                    held_here = _HELD_BY_LIST + own
                    self.ids.update(map(id, compress(mutable, map(held_here.__lt__, map(sys.getrefcount, mutable)))))
        self.parts.append(f"~{step}:{lengths}:{identities}")
        return items[::step]

    def _atom_items(self, items: list | tuple, kinds: set[type]) -> None:
        """Long sequences of numbers or strings hashed at C speed (``kinds`` are repr atoms)."""
        if len(kinds) == 1:
            kind = next(iter(kinds))
            try:
                if kind is float:
                    digest = self._buffer_digest(memoryview(_array("d", items)).cast("B"))
                elif kind is int:
                    digest = self._buffer_digest(memoryview(_array("q", items)).cast("B"))
                elif kind is str:
                    digest = self._strings(items)
                else:
                    digest = None
            except OverflowError:  # ints beyond 64 bits
                digest = None
            if digest is not None:
                self.parts.append(f"{kind.__name__}s:{digest}")
                return
        # Mixed numbers, strings and None: one C-speed repr (exact for these types).
        text = repr(items)
        self.parts.append(text if len(text) <= 256 else f"r:{_buffer_hash(memoryview(text.encode('utf-8', 'surrogatepass'))).hex()}")

    def _strings(self, items: list | tuple) -> str:
        """Digest of strings joined at C speed; TypeError if one is not a str."""
        joined = "\x1f".join(items)
        digest = self._buffer_digest(memoryview(joined.encode("utf-8", "surrogatepass")))
        if joined.count("\x1f") != len(items) - 1:
            # Some string holds the separator itself: their lengths make the join unambiguous.
            digest += ":" + _buffer_hash(memoryview(_array("q", map(len, items))).cast("B")).hex()
        return digest

    def _dict(self, obj: dict, real: bool) -> None:
        self._mutable(obj, real)
        self.parts.append(f"D{len(obj)}")
        if len(obj) > self.walk_limit:
            # Too many entries to walk one by one: keys, then values, each as a sequence.
            self._sequence(list(obj), real, own=1)
            self._sequence(list(obj.values()), real, own=1)
            return
        walk = self.walk
        for k, v in obj.items():
            walk(k, real)
            walk(v, real)

    def _set(self, obj: set | frozenset, real: bool) -> None:
        if type(obj) is set:
            self._mutable(obj, real)
        self.parts.append(f"S{len(obj)}")
        kinds = set(map(type, obj))
        if obj and kinds <= _REPR_ATOMS:
            # Sorted: iteration order follows str hashes, which differ between processes.
            try:
                # (NaNs hash by address and do not order: by repr, when they must compare.)
                items = sorted(obj, key=repr) if self.canonical and float in kinds else sorted(obj)
            except TypeError:  # numbers mixed with strings or None
                items = sorted(obj, key=repr)
            self._atom_items(items, kinds)
            return
        listed = list(obj)
        if self.canonical and len(listed) > 1:
            # Iteration order follows hashes (of strs inside tuples, of addresses): order the
            # items by their own content instead, so that equal sets walk alike in any process.
            key = id(obj)
            if key in self.ordering:  # reached again from one of its own items: a cycle
                self.parts.append("S@")
                return
            self.ordering.add(key)
            try:
                keys = list(map(self._order_key, listed))
            finally:
                self.ordering.discard(key)
            listed = [listed[i] for i in sorted(range(len(listed)), key=keys.__getitem__)]
        elif len(listed) > self.walk_limit:
            own = 1 if type(obj) is set else None  # a frozenset's own id never links
            listed = self._sample(listed, kinds, real, own)  # type: ignore[assignment]
        for item in listed:
            self.walk(item, real)

    def _order_key(self, item: Any) -> tuple[int, str]:
        """A set member's place in a canonical walk: a tuple of numbers and strings by its repr
        (exact, and cheap), anything else by the digest of its content walked apart."""
        if type(item) is tuple and set(map(type, item)) <= _REPR_ATOMS:
            return 0, repr(item)
        return 1, self._apart(item)

    def _apart(self, obj: Any, content: Callable[["_Walker", Any], None] | None = None) -> str:
        """Digest of ``obj`` (or of what ``content`` says of it) walked on its own: content only,
        no links, no sharing with the rest of the walk."""
        sub = _Walker(self.namespace, self.budget, self.canonical)
        sub.unlinked = 1
        sub.ordering = self.ordering
        if content is None:
            sub.walk(obj, False)
        else:
            content(sub, obj)
        self.partial = self.partial or sub.partial
        return _digest(sub.parts).hex()

    def _value(self, obj: Any, content: Callable[["_Walker", Any], None]) -> None:
        """An immutable object whose identity means nothing (a dtype): hashed by its ``content``
        walked apart, and given no place in the sharing structure. Unpickling does not keep such
        identities: ``np.dtype`` is rebuilt as a new object where the original was numpy's cached
        one, and pandas shares its dtypes between columns and indexes as it likes, so a
        back-reference to one would make equal values differ."""
        key = id(obj)
        if self.memo.get(key) == len(self.memo) - 1:
            del self.memo[key]  # numbered by walk() just now, before anything else: take it back
        text = self.values.get(key)
        if text is None:
            text = self.values[key] = self._apart(obj, content)
        self.parts.append(f"V:{text}")

    def _mappingproxy(self, obj: types.MappingProxyType, real: bool) -> None:
        """A read-only view of a dict (dataclass field metadata, ``vars(cls)``): its items, in the
        dict's order; the view itself links nothing (a new one is made on every access)."""
        self.parts.append(f"MP{len(obj)}")
        walk = self.walk
        for k, v in obj.items():
            walk(k, real)
            walk(v, real)

    def _bytearray(self, obj: bytearray, real: bool) -> None:
        self._mutable(obj, real)
        self.parts.append(f"BA:{self._buffer_digest(memoryview(obj))}")

    def _buffer_digest(self, data: memoryview) -> str:
        data = data.cast("B") if data.format != "B" or data.ndim != 1 else data
        size = data.nbytes
        self.nbytes += size
        if size <= self.budget or size <= _SAMPLES * _SAMPLE_BYTES:
            if size < _TIMED_BUFFER_BYTES:
                return _buffer_hash(data).hex()
            started = time.perf_counter()
            digest = _buffer_hash(data).hex()
            self.buffer_s += time.perf_counter() - started
            self.buffer_bytes += size
            return digest
        # Too large to hash whole after this cell: sample evenly (the first sample starts the
        # buffer, the last ends it), and say so.
        self.partial = True
        step = (size - _SAMPLE_BYTES) // (_SAMPLES - 1)
        h = _new_hasher()
        np = self.np
        if np is not None:
            # One C-speed gather: the cost is reading the samples from memory, not a Python loop.
            raw = np.frombuffer(data, dtype=np.uint8)
            rows = np.lib.stride_tricks.as_strided(raw, shape=(_SAMPLES, _SAMPLE_BYTES), strides=(step, 1), writeable=False)
            h.update(np.ascontiguousarray(rows))
        else:
            for i in range(_SAMPLES):
                h.update(data[i * step : i * step + _SAMPLE_BYTES])
        h.update(data[size - _SAMPLE_BYTES :])  # the very end (the steps round down)
        return "~" + h.hexdigest()

    def _ndarray(self, obj: Any, real: bool) -> None:
        if not self.unlinked:
            self._array_owners(obj, real)
        if type(obj) is not self.ndarray:
            obj = self._array_subclass(obj, real)
        self.parts.append(f"A:{obj.dtype.str}:{obj.shape}")
        if obj.dtype.hasobject:
            flat = obj.ravel(order="K")
            limit = self.object_limit
            if flat.size > limit:
                # Too many Python objects to look at after this cell: sample them evenly.
                self.partial = True
                flat = flat[:: -(-flat.size // limit)]
                self.parts.append("~")
            self._object_items(flat.tolist())
            return
        if obj.dtype.fields is not None:
            obj = self.np.ascontiguousarray(obj)  # structured: hashed record by record
        if obj.flags.c_contiguous:
            data = obj.reshape(-1).view("u1")
        elif obj.nbytes <= self.budget:
            # Hashed in C order whatever the layout, so that full digests compare across processes.
            data = self.np.ascontiguousarray(obj).reshape(-1).view("u1")
        elif obj.flags.f_contiguous:
            # A large transposed or Fortran-ordered array (often a DataFrame block), sampled in its
            # own memory order instead of copied whole (partial digests are never compared across
            # processes, and an array's layout never changes).
            self.parts.append("F")
            data = obj.T.reshape(-1).view("u1")
        else:
            self.parts.append(self._strided_samples(obj))
            return
        self.parts.append(self._buffer_digest(memoryview(data)))

    def _array_subclass(self, obj: Any, real: bool) -> Any:
        """An ndarray subclass: its class and what it adds, then (returned) its data as a plain
        array. A masked array (matplotlib keeps scatter offsets so) adds what pickle keeps of it:
        the mask as a full array (a restored one always has one) and the fill value; its
        bookkeeping flags and the default fill value that reads compute are left out."""
        t = type(obj)
        self.parts.append(f"AS:{t.__module__}.{t.__qualname__}")
        ma = sys.modules.get("numpy.ma")
        if ma is not None and isinstance(obj, ma.MaskedArray):
            self._walk_unlinked((ma.getmaskarray(obj), _fill_value(ma, obj)), False)
        else:
            state = getattr(obj, "__dict__", None)
            for key in sorted(state or ()):
                self.parts.append(f".{key}")
                self.walk(state[key], real)
        return obj.view(self.ndarray)

    def _array_owners(self, obj: Any, real: bool) -> None:
        """Link through the memory an array shares: a view reaches its whole base chain."""
        if real:
            owner = obj
            while owner is not None:
                self.ids.add(id(owner))
                owner = getattr(owner, "base", None)
            return
        # A temporary from __reduce_ex__, or an array it holds: its chain may be temporary too.
        owner = obj if obj.base is None else obj.base
        while owner is not None:
            self.uncertain[id(owner)] = owner
            owner = getattr(owner, "base", None)

    def _strided_samples(self, obj: Any) -> str:
        """Samples of a large non-contiguous array (a strided view), gathered without copying the
        array whole: evenly spaced runs of elements in logical order, like a buffer's samples."""
        self.partial = True
        self.nbytes += obj.nbytes
        np = self.np
        size = obj.size
        per = min(size, max(1, _SAMPLE_BYTES // max(1, obj.itemsize)))
        starts = (np.arange(_SAMPLES, dtype=np.intp) * (size - per)) // (_SAMPLES - 1)
        picked = obj.flat[(starts[:, None] + np.arange(per, dtype=np.intp)).reshape(-1)]
        return "~s" + _buffer_hash(memoryview(np.ascontiguousarray(picked).view("u1")).cast("B")).hex()

    def _object_items(self, items: list) -> None:
        """Elements of an object array (pandas string and object columns)."""
        try:
            # All strings (the common case): one C-speed join instead of a walk per element.
            self.parts.append(f"strs{len(items)}:{self._strings(items)}")
            return
        except TypeError:
            pass
        kinds = set(map(type, items))
        if kinds <= _REPR_ATOMS:  # strings with NaN or None for missing values, or numbers
            self.parts.append(f"objs{len(items)}")
            self._atom_items(items, kinds)
            return
        if len(items) > self.walk_limit:  # Python objects (lists, dicts) walked one by one
            items = self._sample(items, kinds, False)  # type: ignore[assignment]
        for item in items:
            self.walk(item, False)

    def _function(self, obj: types.FunctionType, real: bool) -> None:
        if obj.__globals__ is not self.namespace:
            self.parts.append(f"func:{obj.__module__}.{obj.__qualname__}")
            return
        # A notebook function: its code, defaults, closure and attributes are its state.
        self._mutable(obj, real)
        code = obj.__code__
        self.parts.append(f"nbfunc:{obj.__qualname__}:{_code_digest(code)}")
        self.walk(obj.__defaults__, real)
        self.walk(obj.__kwdefaults__, real)
        for cell in obj.__closure__ or ():
            try:
                self.walk(cell.cell_contents, real)
            except ValueError:  # an empty cell
                self.parts.append("empty-cell")
        self.walk(obj.__dict__, real)

    def _class(self, obj: type, real: bool) -> None:
        if obj.__module__ != "__main__":
            self.parts.append(f"class:{obj.__module__}.{obj.__qualname__}")
            return
        self._mutable(obj, real)
        self.parts.append(f"nbclass:{obj.__qualname__}")
        # By name: by-value serializers rebuild the class dict in their own order (cloudpickle
        # sorts it), and definition order is no part of what the class does.
        for name, value in sorted(vars(obj).items(), key=_by_key):
            if name in ("__dict__", "__weakref__", "__doc__", "__module__", "__qualname__", "__slotnames__"):
                continue
            self.parts.append(name)
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                for accessor in (value.fget, value.fset, value.fdel):
                    self.walk(accessor, real)
            else:
                self.walk(value, real)

    # -- pandas --------------------------------------------------------------------------------
    def _frame(self, obj: Any, real: bool) -> None:
        """A DataFrame or Series: its manager, name, attrs and flags (what pickle keeps, minus
        caches). Its ``__dict__`` is read as is; keys beyond pandas' own are user attributes."""
        state = getattr(obj, "__dict__", None)
        if type(state) is not dict or not _PANDAS.plain_manager(state.get("_mgr")):
            self._reduce(obj, real)
            return
        self._mutable(obj, real)
        self.parts.append(f"PD:{type(obj).__name__}")
        for key in sorted(state):  # the order attributes were set in differs after unpickling
            if key in _PANDAS_CACHES or key == "_mgr":
                continue
            value = state[key]
            if key in ("_typ", "_metadata") and value == getattr(type(obj), key, None):
                continue  # unpickling copies these class constants into the instance
            if key == "_flags":
                # A Flags object points back at the frame (weakly): only its setting is state.
                self.parts.append(f"flags:{getattr(value, 'allows_duplicate_labels', None)!r}")
                continue
            self.parts.append(f".{key}")
            self.walk(value, real)
        self.walk(state["_mgr"], real)

    def _manager(self, mgr: Any, real: bool) -> None:
        """A (Single)BlockManager: axes (content only: Index objects never link) and blocks."""
        self._mutable(mgr, real)
        axes = mgr.axes
        if real and not self.unlinked:
            self.ids.add(id(axes))  # the manager's own list: setting df.index replaces an item
        self.parts.append(f"PM{len(axes)}")
        self._walk_unlinked(axes, real)
        blocks = mgr.blocks
        self.parts.append(f"PB{len(blocks)}")
        for block in blocks:
            self.walk(block, real)

    def _block(self, block: Any, real: bool) -> None:
        """A block: which columns it holds, and its values (a numpy or extension array)."""
        self._mutable(block, real)
        locs = block.mgr_locs.indexer
        if type(locs) is slice:
            self.parts.append(f"K:{type(block).__name__}:{block.ndim}:{locs.start}:{locs.stop}:{locs.step}")
        else:
            self.parts.append(f"K:{type(block).__name__}:{block.ndim}")
            self._walk_unlinked((locs,), False)
        self.walk(block.values, real)

    def _backed(self, arr: Any, real: bool) -> None:
        """An extension array backed by one numpy array (Categorical, StringArray, DatetimeArray,
        ...): its type, dtype (content only) and backing array, plus any non-cache attribute."""
        self._mutable(arr, real)
        self.parts.append(f"EA:{type(arr).__module__}.{type(arr).__qualname__}")
        self._walk_unlinked((arr.dtype,), real)
        state = getattr(arr, "__dict__", None)
        if state:
            for key in sorted(state):
                if key not in _PANDAS_CACHES:
                    self.parts.append(f".{key}")
                    self.walk(state[key], real)
        self.walk(arr._ndarray, real)

    def _categorical_dtype(self, dtype: Any, real: bool) -> None:
        """A CategoricalDtype: what pickle keeps (categories and order), as a value."""
        self._value(dtype, _categorical_dtype_content)

    def _string_dtype(self, dtype: Any, real: bool) -> None:
        """A StringDtype: storage and missing-value marker, as a value."""
        self._value(dtype, _string_dtype_content)

    def _index(self, index: Any, real: bool) -> None:
        """A plain pandas Index: name and data; immutable, so it never links variables."""
        state = getattr(index, "__dict__", None)
        if type(state) is not dict or not state.keys() <= _INDEX_KEYS or "_data" not in state:
            self._reduce(index, real)
            return
        self.parts.append("IX")
        self._walk_unlinked((state.get("_name"), state["_data"]), real)

    def _range_index(self, index: Any, real: bool) -> None:
        """A RangeIndex: start, stop, step and name."""
        state = getattr(index, "__dict__", None)
        rng = state.get("_range") if type(state) is dict else None
        if type(rng) is not range or not state.keys() <= _INDEX_KEYS:
            self._reduce(index, real)
            return
        self.parts.append(f"RI:{rng.start}:{rng.stop}:{rng.step}")
        self._walk_unlinked((state.get("_name"),), real)

    def _walk_unlinked(self, values: Iterable[Any], real: bool) -> None:
        """Walk ``values`` for their content only: immutable pandas parts never link variables."""
        self.unlinked += 1
        try:
            for value in values:
                self.walk(value, real)
        finally:
            self.unlinked -= 1

    # -- everything else -----------------------------------------------------------------------
    def _reduce(self, obj: Any, real: bool) -> None:
        if self.value_types and isinstance(obj, self.value_types):
            self._value(obj, _dtype_content)
            return
        if self.canonical:
            module = getattr(type(obj), "__module__", None)
            why = _PROCESS_LOCAL_MODULES.get(module.partition(".")[0]) if isinstance(module, str) else None
            if why is not None:
                raise _ProcessLocal(f"holds a {module}.{type(obj).__qualname__}: {why}")
            found = self.library.name_of(obj) if self.library is not None else None
            if found is not None:
                self._library_global(obj, found)
                return
        elif self.artist_type is not None and isinstance(obj, self.artist_type) and self._artist(obj, real):
            return
        if type(obj) is self.callback_registry and self._callbacks(obj, real):
            return
        if not self.unlinked and self.immutable_types and isinstance(obj, self.immutable_types):
            # pandas shares immutable Index and dtype objects between every frame derived from
            # another; that sharing is not observable, so it must not link variables. Content
            # still counts.
            self.unlinked += 1
            try:
                self._reduce_walk(obj, real)
            finally:
                self.unlinked -= 1
            return
        self._reduce_walk(obj, real)

    def _artist(self, obj: Any, real: bool) -> bool:
        """A matplotlib artist, as its position in its figure and the figure's digest; False when
        it has no figure or the figure does not reach it (then it is walked as usual).

        Every artist reaches its whole figure (``artist.figure``, ``axes.figure``), so walking
        each variable that holds one (the figure, its axes, images, a colorbar...) walked the
        figure again, up to a second per plotting cell; the figure is walked once per cell now.
        Anything changed in the figure changes the digest of every artist in it, as before."""
        root = getattr(obj, "figure", None)
        for _ in range(8):  # subfigures: up to the root figure
            parent = getattr(root, "figure", None)
            if parent is None or parent is root:
                break
            root = parent
        if root is None or not isinstance(root, self.artist_type):
            return False
        figure = self.figures.get(id(root))
        if figure is None:
            walker = _Walker(self.namespace, self.budget, canonical=False, figures={})
            walker.artist_type = None  # inside the figure: everything, as usual
            walker.walk(root)
            positions = {key: index for key, index in walker.memo.items()}
            figure = _Figure(
                _digest(walker.parts).hex(), positions, walker.linked_ids(), walker.observable, walker.partial, walker.nbytes
            )
            self.figures[id(root)] = figure
            self.keepalive.append(root)
        position = figure.positions.get(id(obj))
        if position is None:
            return False
        self.parts.append(f"artist:{position}:{figure.digest}")
        if not self.unlinked:
            # The figure's ids are its own persistent references, whatever held the artist here
            # (an object array's items are walked as temporaries): they link every holder.
            self.ids.update(figure.ids)
            if real:
                self.ids.add(id(obj))
        self.nbytes += figure.nbytes
        self.partial = self.partial or figure.partial
        if not figure.observable:
            raise _Unobservable("matplotlib figure holding an unobservable")
        return True

    def _callbacks(self, obj: Any, real: bool) -> bool:
        """A matplotlib ``CallbackRegistry`` as pickling sees it, without advancing its id
        counter (mplstate.py); False when it is laid out otherwise (the generic walk then)."""
        state = registry_state(obj)
        if state is None:
            return False
        self._mutable(obj, real)
        self.parts.append("R:matplotlib.cbook.CallbackRegistry")
        self.keepalive.append(state)
        self._walk_reduced(state, _persistent_ids(obj, getattr(obj, "__dict__", None)) if real else frozenset())
        return True

    def _library_global(self, obj: Any, found: tuple[types.ModuleType, str]) -> None:
        """A library's module-level object: its name and the state pickling sets on the target's
        own one (libglobals.py), not its construction arguments."""
        self._mutable(obj, True)
        self.parts.append(f"global:{found[0].__name__}.{found[1]}")
        for part in reference_state(obj)[:3]:
            if part is None:
                self.parts.append("-")
                continue
            if not isinstance(part, (tuple, list, dict)):
                part = list(part)  # listitems, dictitems: iterators
            self.keepalive.append(part)
            self._walk_reduced(part, frozenset())

    def _reduce_walk(self, obj: Any, real: bool) -> None:
        """What ``__reduce_ex__`` says of ``obj`` (what pickle would keep)."""
        self._mutable(obj, real)
        # Read __dict__ first: some types (functools.partial) create it lazily on first access and
        # reduce to None before and {} after; reading it first makes every walk see the same state.
        own_dict = getattr(obj, "__dict__", None)
        try:
            rv = _reduce_quietly(obj)
        except Exception:  # noqa: BLE001 - any failure means "not observable"
            raise _Unobservable(type(obj).__qualname__) from None
        if isinstance(rv, str):
            self.parts.append(f"global:{rv}")
            return
        self.keepalive.append(rv)
        self.parts.append(f"R:{type(obj).__module__}.{type(obj).__qualname__}")
        # Objects the reduce result merely points to (the wrapped function of a partial, slot
        # values, items of a deque, values of __dict__) are the object's own references: sharing
        # them links variables. Containers the reduce call builds on the fly are not.
        persistent = _persistent_ids(obj, own_dict) if real else frozenset()
        func, args = rv[0], rv[1]
        state = rv[2] if len(rv) > 2 else None
        listitems = rv[3] if len(rv) > 3 else None
        dictitems = rv[4] if len(rv) > 4 else None
        self.walk(func, False)
        self._walk_reduced(args, persistent)
        if state is not None:
            if state is own_dict:  # the default reduce hands out the object's real __dict__
                if self.canonical and type(state) is dict and 1 < len(state) <= self.walk_limit:
                    self._attributes(state, real)
                else:
                    self.walk(state, real)
            else:
                self._walk_reduced(state, persistent)
        if listitems is not None:
            listed = list(listitems)
            if len(listed) > self.walk_limit and isinstance(obj, _CONTAINERS):
                # A huge deque or list subclass: its items, as for a list (sampled).
                self.parts.append(f"L{len(listed)}")
                self._sequence(listed, real)
            else:
                self._walk_reduced(listed, persistent)
        if dictitems is not None:
            entries = list(dictitems)
            if len(entries) > self.walk_limit and isinstance(obj, _CONTAINERS):
                # A huge defaultdict, OrderedDict or Counter: keys then values, as for a dict.
                self.parts.append(f"D{len(entries)}")
                self._sequence([k for k, _ in entries], real)
                self._sequence([v for _, v in entries], real)
            else:
                self._walk_reduced(entries, persistent)

    def _attributes(self, state: dict, real: bool) -> None:
        """An object's own ``__dict__`` in a canonical walk, by attribute name: libraries set
        attributes in the order they iterate a set (statsmodels' SARIMAX results), which follows
        str hashes and so differs between processes; the order of attributes is no state."""
        if not self._enter(state, real):
            return
        self._mutable(state, real)
        self.parts.append(f"A{len(state)}")
        walk = self.walk
        for k, v in sorted(state.items(), key=_by_key):
            walk(k, real)
            walk(v, real)

    def _walk_reduced(self, value: Any, persistent: frozenset[int]) -> None:
        """Walk part of a reduce result: temporary containers inline, the rest as references."""
        if id(value) in persistent or type(value) not in (tuple, list, dict):
            self.walk(value, id(value) in persistent)
            return
        self.keepalive.append(value)
        if type(value) is dict:
            self.parts.append(f"D{len(value)}")
            for k, v in value.items():
                self._walk_reduced(k, persistent)
                self._walk_reduced(v, persistent)
            return
        self.parts.append(f"{'T' if type(value) is tuple else 'L'}{len(value)}")
        if len(value) > 16:
            kinds = set(map(type, value))
            if kinds <= _REPR_ATOMS:
                self._atom_items(value, kinds)
                return
        for item in value:
            self._walk_reduced(item, persistent)

    # -- result --------------------------------------------------------------------------------
    def linked_ids(self) -> frozenset[int]:
        """The ids that link variables: the real references, and the memory owners reached through
        temporaries that outlive the walk (the others' ids are free for reuse once it ends)."""
        self.keepalive.clear()
        ids = self.ids
        if self.uncertain:
            held = self.uncertain
            self.uncertain = {}
            ids.update(key for key, refs in _refcounts(held) if refs > _HELD_ONLY)
        return frozenset(ids)


def _fill_value(ma: Any, arr: Any) -> Any:
    """A masked array's fill value as its ``fill_value`` reads it (the default, for the dtype,
    when none was set), without storing it on the array as that property does."""
    fill = arr._fill_value
    if fill is None:
        fill = ma.default_fill_value(arr)
    try:
        return sys.modules["numpy"].array(fill, dtype=arr.dtype)  # what pickling stores
    except (TypeError, ValueError):
        return fill


def _refcounts(held: dict[int, Any]) -> list[tuple[int, int]]:
    """(id, reference count) of each object in ``held``."""
    return [(key, sys.getrefcount(obj)) for key, obj in held.items()]


# The count _refcounts reports for an object that only ``held`` references.
_HELD_ONLY = _refcounts({0: object()})[0][1]


def _held_by_list_count() -> int:
    """The reference count :meth:`_Walker._sample` sees for an item only a list holds."""
    seen: list[int] = []
    items = [object()]
    for _ in compress(items, map(seen.append, map(sys.getrefcount, items))):
        pass
    return seen[0]


_HELD_BY_LIST = _held_by_list_count()


def _persistent_ids(obj: Any, own_dict: Any) -> frozenset[int]:
    """Ids of the objects ``obj`` references itself (C-level referents and ``__dict__`` values)."""
    # The object's class is not state it holds (instances of one class are not linked by it).
    referents = [r for r in gc.get_referents(obj) if not isinstance(r, type)]
    ids = {id(r) for r in referents}
    # C objects keep some references in an internal tuple (map and zip keep their iterators
    # so): the items are the object's own references too (a map over a list links to the list).
    for r in referents:
        if type(r) is tuple:
            ids.update(id(item) for item in r if not isinstance(item, type))
    if isinstance(own_dict, dict):
        ids.update(map(id, own_dict.values()))
    return frozenset(ids)


def _reduce_quietly(obj: Any) -> Any:
    """``obj.__reduce_ex__(5)`` without its one visible side effect: the default reduce caches
    ``__slotnames__`` on the object's class (``copyreg._slotnames``); a user listing ``vars(cls)``
    would see it, so the cache is removed again when this call added it."""
    cls = type(obj)
    registered = copyreg.dispatch_table.get(cls)
    if registered is not None:  # as pickle does (re.Pattern is pickled so)
        return registered(obj)
    had = "__slotnames__" in cls.__dict__
    try:
        return obj.__reduce_ex__(5)
    finally:
        if not had and "__slotnames__" in cls.__dict__:
            try:
                delattr(cls, "__slotnames__")
            except (AttributeError, TypeError):  # an immutable type: nothing was added after all
                pass


def _by_key(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _digest(parts: list[str]) -> bytes:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _dtype_content(walker: _Walker, dtype: Any) -> None:
    """A numpy dtype (its exact text: byte order, fields, alignment, metadata) or a pandas dtype
    (what pickle keeps of it)."""
    np = walker.np
    if np is not None and isinstance(dtype, np.dtype):
        walker.parts.append(f"dtype:{dtype.str}:{dtype!r}:{dtype.metadata!r}")
    else:
        walker._reduce_walk(dtype, False)


def _categorical_dtype_content(walker: _Walker, dtype: Any) -> None:
    walker.parts.append(f"CD:{dtype.ordered!r}")
    walker.walk(dtype.categories, False)


def _string_dtype_content(walker: _Walker, dtype: Any) -> None:
    walker.parts.append(f"SD:{dtype.storage}")
    walker.walk(dtype.na_value, False)


def _code_digest(code: types.CodeType) -> str:
    h = hashlib.blake2b(code.co_code, digest_size=8)
    for const in code.co_consts:
        h.update(_code_digest(const).encode() if isinstance(const, types.CodeType) else _const_text(const).encode())
    h.update(repr(code.co_names).encode())
    return h.hexdigest()


def _const_text(const: Any) -> str:
    """A code constant's repr, with frozensets (``x in {"a", "b"}``) in an order that does not
    follow str hashes (they differ between processes)."""
    if type(const) is frozenset:
        return "frozenset({" + ", ".join(sorted(map(_const_text, const))) + "})"
    if type(const) is tuple:
        return "(" + ", ".join(map(_const_text, const)) + ",)"
    return repr(const)


_HANDLERS: dict[type, Callable[[_Walker, Any, bool], None]] = {
    list: _Walker._list,
    tuple: _Walker._tuple,
    dict: _Walker._dict,
    set: _Walker._set,
    frozenset: _Walker._set,
    bytearray: _Walker._bytearray,
    types.MappingProxyType: _Walker._mappingproxy,
}

# pandas attributes that only cache what reads computed (``cache_readonly``, the item cache of
# pandas < 3, copy tracking), or identity tokens and copy-on-write bookkeeping.
_PANDAS_CACHES = frozenset({"_cache", "_item_cache", "_cacher", "_is_copy", "_id", "_references"})
_INDEX_KEYS = frozenset({"_data", "_name", "_range"}) | _PANDAS_CACHES


class _PandasTypes:
    """pandas' classes that take a fast path, found once pandas has been imported (by the user)."""

    def __init__(self) -> None:
        self.module: Any = None
        self.handlers: dict[type, Callable[[_Walker, Any, bool], None]] = dict(_HANDLERS)
        self.managers: frozenset[type] = frozenset()
        self.blocks: frozenset[type] = frozenset()
        self.immutable: tuple[type, ...] = ()
        self.dtypes: tuple[type, ...] = ()

    def refresh(self) -> None:
        pd = sys.modules.get("pandas")
        if pd is None or pd is self.module:
            return
        self.module = pd
        handlers = dict(_HANDLERS)
        try:
            self.immutable = (pd.Index, pd.api.extensions.ExtensionDtype)
            self.dtypes = (pd.api.extensions.ExtensionDtype,)
            managers = sys.modules["pandas.core.internals.managers"]
            blocks = sys.modules["pandas.core.internals.blocks"]
            backed = sys.modules["pandas._libs.arrays"].NDArrayBacked
            self.managers = frozenset({managers.BlockManager, managers.SingleBlockManager})
            self.blocks = frozenset(
                c for c in vars(blocks).values() if isinstance(c, type) and issubclass(c, blocks.Block)
            )
            for cls in vars(pd.arrays).values():
                if isinstance(cls, type) and issubclass(cls, backed):
                    handlers[cls] = _Walker._backed
            handlers.update({pd.DataFrame: _Walker._frame, pd.Series: _Walker._frame})
            handlers.update({m: _Walker._manager for m in self.managers})
            handlers.update({b: _Walker._block for b in self.blocks})
            handlers.update({pd.Index: _Walker._index, pd.RangeIndex: _Walker._range_index})
            handlers.update({pd.CategoricalDtype: _Walker._categorical_dtype, pd.StringDtype: _Walker._string_dtype})
        except (KeyError, AttributeError, TypeError):  # another pandas layout: the generic walk
            self.managers = self.blocks = frozenset()
            handlers = dict(_HANDLERS)
        self.handlers = handlers

    def plain_manager(self, mgr: Any) -> bool:
        """True for a block manager whose blocks the fast path knows."""
        return type(mgr) in self.managers and all(type(b) in self.blocks for b in mgr.blocks)


_PANDAS = _PandasTypes()


def _handlers() -> dict[type, Callable[[_Walker, Any, bool], None]]:
    _PANDAS.refresh()
    return _PANDAS.handlers


_UNOBSERVABLE_TYPES = (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType, types.FrameType)


def fingerprint(
    value: Any, namespace: dict, budget_bytes: int = DEFAULT_BUDGET_BYTES, canonical: bool = False, figures: Figures | None = None
) -> Fingerprint:
    """Fingerprint one variable's value (see the module docstring).

    ``canonical``: the digest is to be compared with one taken in another process (checkpoint
    and restore verification), so it must not depend on anything but the value: set members are
    ordered by content rather than hash, and a value reaching an object whose state is
    process-local (see ``_PROCESS_LOCAL_MODULES``) gets a ``reason`` instead (its walk stops
    there, so its digest and ids mean nothing). Per-cell fingerprints compare within one process
    and skip that work. ``figures``: matplotlib figures already walked at this moment (see
    ``_Walker._artist``), shared by the fingerprints of one cell's record.
    """
    walker = _Walker(namespace, budget_bytes, canonical, figures)
    reason = None
    try:
        if isinstance(value, _UNOBSERVABLE_TYPES):
            raise _Unobservable(type(value).__qualname__)
        walker.walk(value)
    except _ProcessLocal as err:
        reason = str(err)
    except _Unobservable as err:
        walker.observable = False
        reason = f"holds a {err} object, whose state cannot be read"
    except RecursionError:
        walker.observable = False
        reason = "too deeply nested to walk"
    except Exception as err:  # noqa: BLE001 - a user object's reduce may raise anything
        walker.observable = False
        reason = f"cannot be walked ({type(err).__name__}: {str(err)[:200]})"
    ids = walker.linked_ids()
    if not walker.observable:
        # Keep the identity of the top object so aliases are still linked.
        ids = ids | {id(value)}
    return Fingerprint(
        _digest(walker.parts), ids, walker.observable, walker.partial, walker.nbytes, reason, walker.buffer_bytes, walker.buffer_s * 1000.0
    )
