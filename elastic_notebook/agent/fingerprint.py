"""Fingerprints of variables: an ID graph and a content hash, to detect in-place changes.

``fingerprint(value)`` walks the objects a value reaches the way pickle does (containers,
``__dict__``, ``__slots__``, closures of notebook functions, ``__reduce_ex__`` for everything
else) and returns:

* ``digest``: a hash of the content and of the sharing structure inside the value (the second
  time an object is reached, only a back-reference is hashed);
* ``ids``: ids of the mutable objects the value reaches through real references. Two variables
  whose id sets intersect share an object, so they are *linked*. Containers that
  ``__reduce_ex__`` creates on the fly are not real references and are left out (their ids would
  change on every call); what they hold counts when the object references it itself (a C-level
  referent or a ``__dict__`` value: slot values, a partial's function, a deque's items), and so do
  the memory owners of numpy arrays, which are persistent. An instance is not linked to its class. Objects
  inside a pandas ``Index`` are left out too: Index objects are immutable and shared by every
  frame derived from another, so that sharing would link nearly all frames for nothing;
* ``observable``: False when some reachable object cannot be observed (generators, open files,
  locks, objects whose reduce fails). Such a value always compares as changed: a cell that
  touches it is conservatively recorded as writing it.

Buffers are hashed whole with xxhash when the kernel has it (about 10 GB/s), else blake2b, up to
a fixed size (8 MB with xxhash, 4 MB without); larger ones are hashed from the same evenly spaced
samples every time, and the fingerprint is marked ``partial`` so that the checkpoint-time safety
net hashes them fully. The threshold depends on the buffer only, so before/after comparisons are
always like for like; it keeps the agent's cost per cell to a few milliseconds whatever the size
of the data (a change inside a large buffer that no sample covers is left to that safety net).
Object arrays (pandas string and object columns) follow the same rule by element count.
Nothing is ever copied or modified.
"""

from __future__ import annotations

import gc
import hashlib
from array import array as _array
import sys
import types
from dataclasses import dataclass
from typing import Any, Callable

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


_ATOMS = (type(None), bool, int, float, complex, str, bytes, range, type(Ellipsis), type(NotImplemented))
# Atoms whose repr is exact and cheap: a list of only these is hashed by its repr.
_REPR_ATOMS = frozenset({int, float, str, bool, type(None)})
_SAMPLES = 256
_SAMPLE_BYTES = 4 * 1024
# Looking at one Python object costs about as much as hashing this many bytes.
_BYTES_PER_OBJECT_ITEM = 500


@dataclass(frozen=True)
class Fingerprint:
    """The result of :func:`fingerprint`."""

    digest: bytes
    ids: frozenset[int]
    observable: bool
    partial: bool
    nbytes: int

    def same_as(self, other: "Fingerprint | None") -> bool:
        """True when nothing observable changed between ``other`` (before) and ``self`` (after)."""
        return (
            other is not None
            and self.observable
            and other.observable
            and self.digest == other.digest
            and self.ids == other.ids
        )


class _Unobservable(Exception):
    pass


class _Walker:
    def __init__(self, namespace: dict, budget_bytes: int) -> None:
        self.namespace = namespace
        self.budget = budget_bytes
        self.parts: list[str] = []
        self.memo: dict[int, int] = {}
        self.keepalive: list[Any] = []  # temporaries from __reduce_ex__ must outlive the walk
        self.ids: set[int] = set()
        self.observable = True
        self.partial = False
        self.nbytes = 0
        self.unlinked = 0  # > 0 while inside an immutable object whose sharing does not matter
        np = sys.modules.get("numpy")
        self.ndarray = np.ndarray if np is not None else None
        pd = sys.modules.get("pandas")
        self.pd_index = getattr(pd, "Index", None) if pd is not None else None

    # -- entry ---------------------------------------------------------------------------------
    def walk(self, obj: Any, real: bool = True) -> None:
        """Hash ``obj``; ``real`` is False inside objects produced by ``__reduce_ex__``."""
        t = type(obj)
        if t in _ATOMS:
            text = repr(obj) if t is not str else obj
            self.parts.append(f"{t.__name__}:{len(text)}:{text}" if t is not bytes else f"b:{_buffer_hash(memoryview(obj)).hex()}")
            self.nbytes += len(text) if t is not bytes else len(obj)
            return
        key = id(obj)
        seen = self.memo.get(key)
        if seen is not None:
            self.parts.append(f"@{seen}")
            return
        self.memo[key] = len(self.memo)
        if not real:
            self.keepalive.append(obj)
        handler = _HANDLERS.get(t)
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

    # -- handlers ------------------------------------------------------------------------------
    def _mutable(self, obj: Any, real: bool) -> None:
        if real and not self.unlinked:
            self.ids.add(id(obj))

    def _list(self, obj: list, real: bool) -> None:
        self._mutable(obj, real)
        self.parts.append(f"L{len(obj)}")
        if len(obj) > 16 and self._atom_items(obj):
            return
        for item in obj:
            self.walk(item, real)

    def _tuple(self, obj: tuple, real: bool) -> None:
        self.parts.append(f"T{len(obj)}")
        if len(obj) > 16 and self._atom_items(obj):
            return
        for item in obj:
            self.walk(item, real)

    def _atom_items(self, items: list | tuple) -> bool:
        """Long sequences of numbers or strings hashed at C speed; False if not all atoms."""
        kinds = set(map(type, items))
        if not kinds <= _REPR_ATOMS:
            return False
        if len(kinds) == 1:
            kind = next(iter(kinds))
            try:
                if kind is float:
                    data = memoryview(_array("d", items)).cast("B")
                elif kind is int:
                    data = memoryview(_array("q", items)).cast("B")
                elif kind is str:
                    data = memoryview("\x1f".join(items).encode("utf-8", "surrogatepass"))
                else:
                    data = None
            except OverflowError:  # ints beyond 64 bits
                data = None
            if data is not None:
                self.parts.append(f"{kind.__name__}s:{self._buffer_digest(data)}")
                return True
        self.parts.append(repr(items))  # mixed numbers and strings: one C-speed repr
        return True

    def _dict(self, obj: dict, real: bool) -> None:
        self._mutable(obj, real)
        self.parts.append(f"D{len(obj)}")
        for k, v in obj.items():
            self.walk(k, real)
            self.walk(v, real)

    def _set(self, obj: set | frozenset, real: bool) -> None:
        if isinstance(obj, set):
            self._mutable(obj, real)
        self.parts.append(f"S{len(obj)}")
        for item in obj:
            self.walk(item, real)

    def _bytearray(self, obj: bytearray, real: bool) -> None:
        self._mutable(obj, real)
        self.parts.append(f"BA:{self._buffer_digest(memoryview(obj))}")

    def _buffer_digest(self, data: memoryview) -> str:
        data = data.cast("B") if data.format != "B" or data.ndim != 1 else data
        size = data.nbytes
        self.nbytes += size
        if size <= self.budget:
            return _buffer_hash(data).hex()
        # Too large to hash whole after this cell: sample evenly, and say so.
        self.partial = True
        step = size // _SAMPLES
        h = _new_hasher()
        for i in range(_SAMPLES):
            h.update(data[i * step : i * step + _SAMPLE_BYTES])
        h.update(data[size - _SAMPLE_BYTES :])
        return "~" + h.hexdigest()

    def _ndarray(self, obj: Any, real: bool) -> None:
        # A view shares memory with its base: the whole base chain is reachable from it.
        owner = obj
        while True:
            if (real or owner is not obj) and not self.unlinked:
                self.ids.add(id(owner))
            base = getattr(owner, "base", None)
            if base is None:
                break
            owner = base
            self.keepalive.append(owner)
        if not self.unlinked:
            self.ids.add(id(owner))  # the memory owner is persistent even when `obj` is a temporary
        self.parts.append(f"A:{obj.dtype.str}:{obj.shape}")
        if obj.dtype.hasobject:
            flat = obj.ravel(order="K")
            limit = self.budget // _BYTES_PER_OBJECT_ITEM
            if flat.size > limit:
                # Too many Python objects to look at after this cell: sample them evenly.
                self.partial = True
                flat = flat[:: -(-flat.size // limit)]
                self.parts.append("~")
            self._object_items(flat.tolist())
            return
        if obj.dtype.fields is not None or not obj.flags.c_contiguous:
            np = sys.modules["numpy"]
            obj = np.ascontiguousarray(obj)
        self.parts.append(self._buffer_digest(memoryview(obj.reshape(-1).view("u1"))))

    def _object_items(self, items: list) -> None:
        """Elements of an object array (pandas string and object columns)."""
        try:
            # All strings (the common case): one C-speed join instead of a walk per element.
            joined = "\x1f".join(items)
        except TypeError:
            pass
        else:
            data = memoryview(joined.encode("utf-8", "surrogatepass"))
            self.parts.append(f"strs{len(items)}:{self._buffer_digest(data)}")
            return
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
        for name, value in list(vars(obj).items()):
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

    def _reduce(self, obj: Any, real: bool) -> None:
        if self.pd_index is not None and isinstance(obj, self.pd_index) and not self.unlinked:
            # pandas shares immutable Index objects between every frame derived from another;
            # that sharing is not observable, so it must not link variables. Content still counts.
            self.unlinked += 1
            try:
                self._reduce(obj, real)
            finally:
                self.unlinked -= 1
            return
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
                self.walk(state, real)
            else:
                self._walk_reduced(state, persistent)
        if listitems is not None:
            self._walk_reduced(list(listitems), persistent)
        if dictitems is not None:
            self._walk_reduced(list(dictitems), persistent)

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
        if len(value) > 16 and self._atom_items(value):
            return
        for item in value:
            self._walk_reduced(item, persistent)


def _persistent_ids(obj: Any, own_dict: Any) -> frozenset[int]:
    """Ids of the objects ``obj`` references itself (C-level referents and ``__dict__`` values)."""
    # The object's class is not state it holds (instances of one class are not linked by it).
    ids = {id(r) for r in gc.get_referents(obj) if not isinstance(r, type)}
    if isinstance(own_dict, dict):
        ids.update(map(id, own_dict.values()))
    return frozenset(ids)


def _reduce_quietly(obj: Any) -> Any:
    """``obj.__reduce_ex__(5)`` without its one visible side effect: the default reduce caches
    ``__slotnames__`` on the object's class (``copyreg._slotnames``); a user listing ``vars(cls)``
    would see it, so the cache is removed again when this call added it."""
    cls = type(obj)
    had = "__slotnames__" in cls.__dict__
    try:
        return obj.__reduce_ex__(5)
    finally:
        if not had and "__slotnames__" in cls.__dict__:
            try:
                delattr(cls, "__slotnames__")
            except (AttributeError, TypeError):  # an immutable type: nothing was added after all
                pass


def _code_digest(code: types.CodeType) -> str:
    h = hashlib.blake2b(code.co_code, digest_size=8)
    for const in code.co_consts:
        h.update(_code_digest(const).encode() if isinstance(const, types.CodeType) else repr(const).encode())
    h.update(repr(code.co_names).encode())
    return h.hexdigest()


_HANDLERS: dict[type, Callable[[_Walker, Any, bool], None]] = {
    list: _Walker._list,
    tuple: _Walker._tuple,
    dict: _Walker._dict,
    set: _Walker._set,
    frozenset: _Walker._set,
    bytearray: _Walker._bytearray,
}

_UNOBSERVABLE_TYPES = (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType, types.FrameType)


def fingerprint(value: Any, namespace: dict, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> Fingerprint:
    """Fingerprint one variable's value (see the module docstring)."""
    walker = _Walker(namespace, budget_bytes)
    try:
        if isinstance(value, _UNOBSERVABLE_TYPES):
            raise _Unobservable(type(value).__qualname__)
        walker.walk(value)
    except (_Unobservable, RecursionError, ValueError, TypeError, AttributeError):
        walker.observable = False
    except Exception:  # noqa: BLE001 - a user object's reduce may raise anything
        walker.observable = False
    h = hashlib.blake2b("\x1f".join(walker.parts).encode("utf-8", "surrogatepass"), digest_size=16)
    ids = frozenset(walker.ids)
    if not walker.observable:
        # Keep the identity of the top object so aliases are still linked.
        ids = ids | {id(value)}
    return Fingerprint(h.digest(), ids, walker.observable, walker.partial, walker.nbytes)
