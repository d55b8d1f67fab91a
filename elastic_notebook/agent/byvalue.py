"""Pickling a group of variables so that a restored kernel behaves like the original.

Rules on top of pickle protocol 5 (out-of-band buffers, so array memory is never copied):

* **Notebook functions** (their ``__globals__`` is the user namespace) are pickled by value, and
  rebuilt with the *live* user namespace as their globals: ``def f(): return x`` restored, then
  ``x = 5``, gives ``f() == 5``. Their code objects need a by-value serializer, cloudpickle if the
  kernel has it, else dill; without either, such a group cannot be serialized. The cell source
  travels along so that ``inspect.getsource`` and tracebacks work after a restore.
* **Closure cells** keep their identity (two closures sharing a ``nonlocal`` still share it).
* **Notebook classes** bound in the namespace under their own name are pickled by reference
  (instances stay instances of the class the restored namespace binds), unless the group itself
  holds that name; other notebook classes go by value.
* **numpy views** are rebuilt as views of the same base array (see :mod:`.arrays`).
* Modules are pickled by name. Generators, open files, locks and sockets are refused with a clear
  message (some serializers would silently turn them into something else).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import linecache
import marshal
import pickle
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .arrays import PandasArrays, reduce_array, reduce_dtype, reduce_view
from .libglobals import LibraryGlobals, is_library_class, reference_state
from .mplstate import callback_registry_type, reduce_registry

# Libraries tried, in order, when a group needs by-value pickling (tests may narrow this).
LIBRARIES: tuple[str, ...] = ("cloudpickle", "dill")


class SerializationError(Exception):
    """A group that cannot be serialized; the message names the variable and the reason."""


class _NeedsByValue(Exception):
    """Raised by the plain pickler when it meets a notebook function or class."""


class _Refused(TypeError):
    """An object that must not be pickled (its meaning is bound to this process)."""


@dataclass
class Pickled:
    """One group, pickled."""

    serializer: str  # "pickle", "cloudpickle" or "dill"
    stream: memoryview
    buffers: list[memoryview]
    readonly: list[int] = field(default_factory=list)  # indexes of read-only buffers
    sources: dict[str, list[str]] = field(default_factory=dict)  # cell source lines by file name
    layouts: list[list | None] = field(default_factory=list)  # per buffer: [dtype, shape, order] of its array


# -- pickling ----------------------------------------------------------------------------------
def serialize(members: dict[str, Any], namespace: dict) -> Pickled:
    """Pickle ``{name: value}`` with plain pickle, or a by-value library when it needs one.

    Raises :class:`SerializationError` naming the first member that cannot be serialized.
    """
    try:
        return _pickle_with("pickle", members, namespace)
    except _Refused:
        raise SerializationError(_culprit("pickle", members, namespace)) from None
    except Exception as err:  # noqa: BLE001 - a user object's reduce may raise anything
        plain_error: Exception = err
    libraries = available_libraries()
    for library in libraries:
        try:
            return _pickle_with(library, members, namespace)
        except Exception:  # noqa: BLE001
            raise SerializationError(_culprit(library, members, namespace)) from None
    raise SerializationError(_culprit("pickle", members, namespace)) from plain_error


def available_libraries() -> list[str]:
    """The by-value libraries of :data:`LIBRARIES` that this kernel can import."""
    found = []
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        found.append(name)
    return found


def _pickle_with(kind: str, members: dict[str, Any], namespace: dict, keep_buffers: bool = True) -> Pickled:
    out = io.BytesIO()
    raw: list[pickle.PickleBuffer] = []
    callback = raw.append if keep_buffers else (lambda _buffer: False)
    pickler = _pickler_class(kind)(out, protocol=5, buffer_callback=callback)
    pickler.setup(namespace, frozenset(members), by_value=kind != "pickle")
    pickler.dump(members)
    buffers, readonly = [], []
    for i, buffer in enumerate(raw):
        view = _flat(buffer)
        if view.readonly:
            readonly.append(i)
        buffers.append(view)
    layouts = [pickler.layouts.get(id(buffer)) for buffer in raw]
    return Pickled(kind, out.getbuffer(), buffers, readonly, pickler.sources, layouts)


def _flat(buffer: pickle.PickleBuffer) -> memoryview:
    try:
        return buffer.raw()
    except BufferError:  # not contiguous (rare): the bytes in logical order
        return memoryview(memoryview(buffer).tobytes())


def _culprit(kind: str, members: dict[str, Any], namespace: dict) -> str:
    """``"cannot serialize 'gen' (generator): <reason>"`` for the first member that fails alone."""
    for name, value in members.items():
        try:
            _pickle_with(kind, {name: value}, namespace, keep_buffers=False)
        except _NeedsByValue as err:
            return (
                f"cannot serialize {name!r} ({_type_name(value)}): the notebook function or class {err}"
                " must be serialized by value, which needs cloudpickle or dill, and this kernel has neither"
            )
        except Exception as err:  # noqa: BLE001
            return f"cannot serialize {name!r} ({_type_name(value)}): {_reason(err)}"
    names = ", ".join(repr(n) for n in members)
    return f"cannot serialize {names} together (each one alone can be serialized)"


def _reason(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    text = lines[0] if lines else ""
    if isinstance(err, _Refused):
        return text
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class _Rules:
    """``reducer_override`` shared by the three picklers (mixed into each one)."""

    namespace: dict
    members: frozenset[str]
    by_value: bool
    sources: dict[str, list[str]]

    def setup(self, namespace: dict, members: frozenset[str], by_value: bool) -> None:
        self.namespace = namespace
        self.members = members
        self.by_value = by_value
        self.sources = {}
        self._base_override: Callable[[Any], Any] | None = getattr(super(), "reducer_override", None)
        np = sys.modules.get("numpy")
        self._ndarray = np.ndarray if np is not None else None
        self._dtype = np.dtype if np is not None else None
        self._refused = _refused_types()
        self._pandas = PandasArrays(self._ndarray)
        self.layouts: dict[int, list] = {}  # buffer id -> [dtype, shape, order] (see reduce_array)
        self._rules: dict[type, str] = {}  # per library type: _STATE or ""
        self._library = LibraryGlobals()  # module-level objects of libraries (see libglobals.py)
        self._callback_registry = callback_registry_type()  # matplotlib's (see mplstate.py)

    def reducer_override(self, obj: Any) -> Any:
        t = type(obj)
        if t is types.FunctionType and obj.__globals__ is self.namespace:
            return self._function(obj)
        if t is types.CellType:
            return _reduce_cell(obj)
        if t is types.CodeType:
            # Whole, by marshal: cloudpickle renames every code object's file "<dynamic-code>",
            # so a restored notebook function lost its source (inspect.getsource failed) and its
            # tracebacks their lines; the cell source travels with the payload (sources).
            return _load_code, (marshal.dumps(obj),)
        if t is self._ndarray:
            reduced = None
            if isinstance(obj.base, t) and not self._pandas.holds(obj):
                reduced = reduce_view(obj, t)
            if reduced is None and not isinstance(obj.base, t):
                reduced = reduce_array(obj, self.layouts)
            if reduced is not None:
                return reduced
        elif self._dtype is not None and isinstance(obj, self._dtype):
            reduced = reduce_dtype(obj)
            if reduced is not None:
                return reduced
        elif t.__module__.startswith("pandas"):
            self._pandas.note(obj)
        elif t is types.ModuleType:
            name = getattr(obj, "__name__", None)
            if name != "__main__" and sys.modules.get(name) is obj:
                return importlib.import_module, (name,)
        elif isinstance(obj, type) and getattr(obj, "__module__", None) == "__main__":
            reduced = self._class(obj)
            if reduced is not None:
                return reduced
        elif t is self._callback_registry:
            reduced = reduce_registry(obj)
            if reduced is not NotImplemented:
                return reduced
        elif t in self._refused:
            raise _Refused(f"cannot pickle {t.__qualname__!r} object (it is bound to this process)")
        elif isinstance(obj, dict) and getattr(obj, "__dict__", None) is obj:
            return _with_dict_alias(obj)
        else:
            rule = self._rules.get(t)
            if rule is None:
                rule = self._rules[t] = _type_rule(t)
            if rule is _STATE:
                return _with_own_state(obj)
            found = self._library.name_of(obj)
            if found is not None:
                # The restored kernel's own object, with the state a copy would have got.
                return (getattr, found, *reference_state(obj))
        return self._base_override(obj) if self._base_override is not None else NotImplemented

    def _function(self, f: types.FunctionType) -> Any:
        if not self.by_value:
            raise _NeedsByValue(repr(f.__qualname__))
        self._keep_source(f.__code__.co_filename)
        state = {
            "__defaults__": f.__defaults__,
            "__kwdefaults__": f.__kwdefaults__,
            "__dict__": f.__dict__ or None,
            "__qualname__": f.__qualname__,
            "__module__": f.__module__,
            "__doc__": f.__doc__,
            "__annotations__": f.__annotations__ or None,
        }
        # Everything but the code and closure goes in the state, set after the function is
        # memoized, so a function reachable from its own defaults or attributes pickles fine.
        return _make_function, (f.__code__, f.__name__, f.__closure__), state, None, None, _set_function_state

    def _class(self, cls: type) -> Any:
        qualname = cls.__qualname__
        if qualname.split(".", 1)[0] not in self.members and _lookup(self.namespace, qualname) is cls:
            return _notebook_attr, (qualname,)
        if not self.by_value:
            raise _NeedsByValue(repr(qualname))
        # By value: the library's own class pickling, with what cloudpickle's leaves out put back.
        reduced = self._base_override(cls) if self._base_override is not None else NotImplemented
        return _with_class_layout(cls, reduced) if isinstance(reduced, tuple) else None

    def _keep_source(self, filename: str) -> None:
        entry = linecache.cache.get(filename)
        # Only cell sources (IPython caches them with mtime None); real files are read from disk.
        if filename not in self.sources and entry is not None and len(entry) == 4 and entry[1] is None:
            self.sources[filename] = list(entry[2])


def _with_class_layout(cls: type, reduced: tuple) -> tuple:
    """cloudpickle's by-value reduce of ``cls``, also creating the class with its ``__qualname__``
    and ``__slots__``: cloudpickle rebuilds a class from a skeleton holding only ``__module__``,
    so a nested class lost its qualified name and a class with ``__slots__`` got instances with a
    ``__dict__`` and no slot descriptors (setting ``__slots__`` afterwards does nothing). And the
    class ends with the attributes it had: the skeleton runs the bases' ``__init_subclass__``
    on an empty body, which may add some the real class body did not lead to (scikit-learn's
    metadata routing adds ``set_score_request`` when a class does not define its own
    ``score``), so the state setter removes them again."""
    make = reduced[0]
    if getattr(make, "__name__", None) != "_make_skeleton_class" or len(reduced[1]) < 4 or len(reduced) < 6:
        return reduced  # dill, or an enum (cloudpickle keeps an enum's qualname itself)
    args = list(reduced[1])
    type_kwargs = dict(args[3])
    if cls.__qualname__ != cls.__name__:
        type_kwargs["__qualname__"] = cls.__qualname__
    slots = cls.__dict__.get("__slots__")
    if slots is not None:
        type_kwargs["__slots__"] = slots
    args[3] = type_kwargs
    state = (reduced[2], tuple(cls.__dict__), reduced[5])
    return (make, tuple(args), state, reduced[3], reduced[4], _set_class_state)


def _noop_setstate(self: Any, state: Any) -> None:
    pass


def _noop_setstate_with_doc(self: Any, state: Any) -> None:
    """A docstring."""


_NOOP_CODES = frozenset(f.__code__.co_code for f in (_noop_setstate, _noop_setstate_with_doc))


_STATE = "state"


def _type_rule(cls: type) -> str:
    """How objects of a library class ``cls`` are pickled beyond pickle's own rules: ``_STATE``
    when its ``__setstate__`` ignores the state (see :func:`_ignores_state`), else ``""``.
    (Module-level objects of a library go by reference whatever their class: libglobals.py.)"""
    return _STATE if is_library_class(cls) and _ignores_state(cls) else ""


def _ignores_state(cls: type) -> bool:
    """True when ``cls`` has a ``__setstate__`` that does nothing: scikit-learn's ``Bunch`` (what
    ``load_iris()`` returns) has one, to ignore the ``__dict__`` of pickles from old versions,
    so a plain round trip drops what its ``__dict__`` holds (its deprecated-keys map)."""
    setstate = getattr(cls, "__setstate__", None)
    code = getattr(setstate, "__code__", None)
    return isinstance(setstate, types.FunctionType) and code is not None and code.co_code in _NOOP_CODES and code.co_argcount == 2


def _with_own_state(obj: Any) -> Any:
    """``obj``'s reduce, with its state restored the way pickle does for a class without
    ``__setstate__`` (see :func:`_ignores_state`)."""
    rv = obj.__reduce_ex__(5)
    if not isinstance(rv, tuple) or len(rv) < 3 or rv[2] is None:
        return rv
    rest = tuple(rv[3:5]) + (None,) * (5 - len(rv))
    return (rv[0], rv[1], rv[2], *rest, _set_own_state)


def _with_dict_alias(obj: dict) -> Any:
    """A dict whose attributes are its items (``self.__dict__ = self``: statsmodels' datasets,
    the attribute-dict idiom): its items, then the alias again. Pickle's own reduce hands out
    the object as its own state, which a plain load turns into a separate copy, so that setting
    an attribute no longer set an item."""
    rv = obj.__reduce_ex__(5)
    if not isinstance(rv, tuple) or len(rv) < 5:
        return rv
    return (rv[0], rv[1], True, rv[3], rv[4], _alias_own_dict)


def _pickler_class(kind: str) -> type:
    cached = _PICKLERS.get(kind)
    if cached is None:
        if kind == "pickle":
            base: type = pickle.Pickler
        else:
            base = importlib.import_module(kind).Pickler
        cached = _PICKLERS[kind] = type(f"_{kind.capitalize()}Pickler", (_Rules, base), {})
    return cached


_PICKLERS: dict[str, type] = {}


def _refused_types() -> frozenset[type]:
    refused = {
        types.GeneratorType,
        types.CoroutineType,
        types.AsyncGeneratorType,
        types.FrameType,
        types.TracebackType,
        type(threading.Lock()),
        type(threading.RLock()),
        io.FileIO,
        io.BufferedReader,
        io.BufferedWriter,
        io.BufferedRandom,
        io.BufferedRWPair,
        io.TextIOWrapper,
    }
    socket = sys.modules.get("socket")
    if socket is not None:
        refused.add(socket.socket)
    return frozenset(refused)


def _lookup(namespace: dict, qualname: str) -> Any:
    """``Outer.Inner`` looked up in ``namespace``; None when it is not there."""
    if "<" in qualname:  # <locals>, <lambda>: never reachable by name
        return None
    head, *rest = qualname.split(".")
    obj = namespace.get(head)
    for part in rest:
        obj = getattr(obj, part, None)
    return obj


def _reduce_cell(cell: types.CellType) -> Any:
    try:
        contents = cell.cell_contents
    except ValueError:  # an empty cell
        return _make_cell, ()
    # Contents in the state: the cell is memoized first, so recursive closures work.
    return _make_cell, (), (contents,), None, None, _set_cell


# -- rebuilding (payloads name these functions: keep the names) ----------------------------------
_loading = threading.local()


def _live_namespace() -> dict:
    stack = getattr(_loading, "stack", None)
    if not stack:
        raise pickle.UnpicklingError("notebook functions and classes can only be loaded by the Elastic Notebook agent")
    return stack[-1]


def _make_function(code: types.CodeType, name: str, closure: tuple | None) -> types.FunctionType:
    return types.FunctionType(code, _live_namespace(), name, None, closure)


def _set_function_state(f: types.FunctionType, state: dict) -> types.FunctionType:
    for attr, value in state.items():
        if attr == "__dict__":
            f.__dict__.update(value or {})
        elif value is not None or attr in ("__doc__", "__defaults__", "__kwdefaults__"):
            setattr(f, attr, value)
    return f


def _set_own_state(obj: Any, state: Any) -> Any:
    """Set ``state`` as pickle's BUILD does without ``__setstate__``: ``__dict__`` entries, then
    slot values by ``setattr``."""
    slots = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
    if state:
        obj.__dict__.update(state)
    for key, value in (slots or {}).items():
        setattr(obj, key, value)
    return obj


def _load_code(data: bytes) -> types.CodeType:
    return marshal.loads(data)


def _set_class_state(cls: type, state: tuple) -> type:
    """The library's class state setter, then the attributes the original class did not have
    removed (see :func:`_with_class_layout`)."""
    inner, names, setter = state
    setter(cls, inner)
    kept = set(names)
    for name in [n for n in vars(cls) if n not in kept]:
        try:
            delattr(cls, name)
        except (AttributeError, TypeError):  # a slot the type machinery owns
            pass
    return cls


def _alias_own_dict(obj: Any, state: Any) -> Any:
    obj.__dict__ = obj
    return obj


def _make_cell() -> types.CellType:
    return types.CellType()


def _set_cell(cell: types.CellType, state: tuple) -> types.CellType:
    cell.cell_contents = state[0]
    return cell


def _notebook_attr(qualname: str) -> Any:
    obj = _lookup(_live_namespace(), qualname)
    if obj is None:
        raise pickle.UnpicklingError(f"the payload needs {qualname!r} from the notebook, which this kernel does not define yet")
    return obj


# -- unpickling --------------------------------------------------------------------------------
@dataclass
class Loaded:
    """What :func:`deserialize` rebuilt, and the time it spent importing modules it needed."""

    value: Any
    import_ms: float = 0.0


def deserialize(stream: bytes, buffers: list[Any], serializer: str, namespace: dict) -> Loaded:
    """Unpickle a payload's stream; notebook names resolve in ``namespace`` (the live one).

    First imports are timed apart: a re-run would pay them too, so they are no part of what
    loading costs (the planner's deserialization throughput).
    """
    if serializer == "dill":
        base: type = importlib.import_module("dill").Unpickler
    elif serializer in ("pickle", "cloudpickle"):
        base = pickle.Unpickler  # cloudpickle payloads are plain pickle streams
    else:
        raise pickle.UnpicklingError(f"unknown serializer {serializer!r}")
    unpickler = _unpickler_class(base)(io.BytesIO(stream), buffers=buffers)
    unpickler.import_ms = 0.0
    with _namespace(namespace):
        value = unpickler.load()
    return Loaded(value, unpickler.import_ms)


def _unpickler_class(base: type) -> type:
    cached = _UNPICKLERS.get(base)
    if cached is None:
        cached = _UNPICKLERS[base] = type("_AgentUnpickler", (base,), {"find_class": _find_class})
    return cached


_UNPICKLERS: dict[type, type] = {}
_PACKAGE = __name__.rpartition(".")[0]


def _find_class(self: Any, module: str, name: str) -> Any:
    if module == "__main__":
        return _notebook_attr(name)
    # The agent's own modules, under whatever name the loading kernel gave the agent package.
    head, dot, rest = module.partition(".")
    if dot and head.startswith("_elastic_notebook_agent"):
        module = f"{_PACKAGE}.{rest}"
    if module not in sys.modules:
        started = time.perf_counter()
        try:
            importlib.import_module(module)
        except ImportError:
            pass  # find_class raises it, with pickle's own message
        self.import_ms += (time.perf_counter() - started) * 1000.0
    return super(type(self), self).find_class(module, name)


@contextlib.contextmanager
def _namespace(namespace: dict) -> Iterator[None]:
    """Make ``namespace`` the one rebuilt notebook functions bind to, for one load."""
    stack = getattr(_loading, "stack", None)
    if stack is None:
        stack = _loading.stack = []
    stack.append(namespace)
    try:
        yield
    finally:
        stack.pop()


def add_sources(sources: dict[str, list[str]]) -> None:
    """Put cell sources back into linecache (mtime None: never checked against a file)."""
    for filename, lines in sources.items():
        if filename not in linecache.cache:
            linecache.cache[filename] = (sum(map(len, lines)), None, list(lines), filename)
