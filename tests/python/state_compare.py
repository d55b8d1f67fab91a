"""An independent description of a kernel's user state, and an isomorphism check between two.

Used by the corpus tests and the migration benchmark to decide whether a restored session is the
same session (docs/method.md section 6): every user variable has an equal value, and every sharing of
objects between and inside variables is the same. It shares no code with the kernel agent.

Two halves live in this file:

* **In the kernel** (this file's source is sent to the kernel and run there as the hidden module
  ``_en_state_compare``; nothing is added to the user namespace): :func:`dump` walks the user
  namespace (skipping names starting with ``_``, modules, and IPython's ``In``/``Out``/``exit``/
  ``quit``/``get_ipython``) in a deterministic order (variables by name, then depth first) and
  describes it in JSON that does not depend on the process (no ids, addresses, hash seeds):

  - immutable values (numbers, text, bytes, tuples and frozensets of them, dates, decimals,
    numpy scalars, library classes and functions, ...) are described inline;
  - every other object gets an ordinal the first time the walk meets it, and its description goes
    into the ``objects`` table; later meetings are ``{"ref": ordinal}``. Equal ordinals at two
    places = the same object: that is how sharing (aliases, cycles, the class of an instance,
    the figure of an axes, closures over variables, ...) is recorded;
  - numpy arrays: dtype, shape, flags, a hash of the C-order bytes (object arrays: their
    elements), plus **memory families**: arrays whose memory overlaps, with each one's byte
    offset in the family (views of the same buffer stay views, at the same place);
  - pandas: dtypes, index, columns, values (hashed); sklearn estimators: ``get_params`` and the
    pickled state (fitted attributes); matplotlib: figures, axes, lines' data, texts, colorbars, ...;
    functions: code (bytecode hash, constants, names, line), defaults, closure, attributes,
    global names they use; classes: name, bases, their ``__dict__``; instances: class + ``__dict__``
    + slots; generators: code, state, line, locals; files: name, mode, position, closed; locks:
    locked; anything else: what ``__reduce_ex__(4)`` says (what pickle would keep).

* **In the test process**: :func:`compare` walks two dumps side by side, pairing objects (a
  bijection between the two ordinal spaces), and returns readable differences: values, types,
  broken or extra sharing, broken or moved views. :func:`dump_kernel` runs the dump in a kernel
  through a ``jupyter_client`` client.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import json
import re
import sys
import threading
import types

SKIP_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
LIST_LIMIT = 64  # longer reference-free lists of descriptions are replaced by their hash
STR_LIMIT = 200  # longer strings and bytes are described by length + hash
FORMAT = 1

_MODULE_NAME = "_en_state_compare"


# ============================================================================================
# Kernel side: describing a namespace
# ============================================================================================

def _new_hash():
    try:
        import xxhash

        return xxhash.xxh3_128(), "xxh3"
    except ImportError:  # pragma: no cover - the project's venv has xxhash
        return hashlib.blake2b(digest_size=16), "b2b"


def _hash_bytes(data) -> str:
    h, name = _new_hash()
    h.update(data)
    return f"{name}:{h.hexdigest()}"


def _hash_text(text: str) -> str:
    return _hash_bytes(text.encode("utf-8", "surrogatepass"))


def _tname(t: type) -> str:
    return f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', getattr(t, '__name__', '?'))}"


def _user_defined(obj) -> bool:
    return getattr(obj, "__module__", None) == "__main__"


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+|0x[0-9a-fA-F]{6,}")


def _clean_repr(obj) -> str:
    try:
        text = repr(obj)
    except Exception as exc:  # noqa: BLE001
        text = f"<repr failed: {type(exc).__name__}>"
    return _ADDRESS.sub("", text)[:300]


def _has_ref(desc) -> bool:
    if isinstance(desc, str):
        return False
    return '{"ref":' in json.dumps(desc, separators=(",", ":"))


def _lock_types():
    types_ = {type(threading.Lock()): "lock"}
    types_[type(threading.RLock())] = "rlock"
    return types_


class Describer:
    """One walk over a namespace."""

    def __init__(self, ns: dict) -> None:
        self.ns = ns
        self.objects: list[dict] = []  # ordinal -> {"path", "type", "desc"}
        self.ordinals: dict[int, int] = {}  # id(obj) -> ordinal
        self.alive: list = []  # keeps every described object alive, so ids are never reused
        self.arrays: list[tuple[int, object]] = []
        self.errors: list[str] = []
        self.np = sys.modules.get("numpy")
        self.pd = sys.modules.get("pandas")
        self.locks = _lock_types()
        self.module_globals: dict[str, dict[int, str]] = {}

    # -- entry points -----------------------------------------------------------------------------
    def describe(self, obj, path: str):
        atom = self.atom(obj)
        if atom is not None:
            return atom
        inline = self.inline(obj, path)
        if inline is not None:
            return inline
        key = id(obj)
        if key in self.ordinals:
            return {"ref": self.ordinals[key]}
        ordinal = len(self.objects)
        self.ordinals[key] = ordinal
        self.alive.append(obj)
        entry = {"path": path, "type": _tname(type(obj)), "desc": None}
        self.objects.append(entry)
        try:
            entry["desc"] = self.describe_object(obj, path)
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded, and compare() reports it
            entry["desc"] = {"kind": "undescribable", "type": _tname(type(obj))}
            self.errors.append(f"{path}: {type(exc).__name__}: {exc}")
        return {"ref": ordinal}

    # -- immutable values, described where they are ------------------------------------------------
    def atom(self, obj):
        """A string for values whose identity does not matter, else None."""
        t = type(obj)
        if obj is None:
            return "None"
        if t is bool:
            return "True" if obj else "False"
        if t is int:
            return f"int:{obj}" if -(10**18) < obj < 10**18 else f"int:{hex(obj)}"
        if t is float:
            return f"float:{obj!r}"
        if t is complex:
            return f"complex:{obj!r}"
        if t is str:
            return f"str:{obj}" if len(obj) <= STR_LIMIT else f"str#{len(obj)}:{_hash_text(obj)}"
        if t is bytes:
            return f"bytes:{obj.hex()}" if len(obj) <= STR_LIMIT else f"bytes#{len(obj)}:{_hash_bytes(obj)}"
        if obj is Ellipsis:
            return "Ellipsis"
        if obj is NotImplemented:
            return "NotImplemented"
        if t is tuple or t is frozenset:
            parts = []
            for item in obj:
                part = self.atom(item)
                if part is None:
                    return None
                parts.append(part)
            if t is frozenset:
                parts.sort()
            return f"{t.__name__}:{json.dumps(parts, ensure_ascii=False)}"
        if t is range:
            return f"range:{obj.start}:{obj.stop}:{obj.step}"
        if t is slice:
            parts = [self.atom(v) for v in (obj.start, obj.stop, obj.step)]
            if None not in parts:
                return f"slice:{json.dumps(parts)}"
        return None

    def inline(self, obj, path):
        """Descriptions of immutable library values and of named library things (no identity)."""
        t = type(obj)
        if isinstance(obj, types.ModuleType):
            return f"module:{obj.__name__}"
        if isinstance(obj, type):
            return None if _user_defined(obj) else f"type:{_tname(obj)}"
        if t is types.FunctionType:
            return None if _user_defined(obj) else f"function:{obj.__module__}.{obj.__qualname__}"
        if t in (types.BuiltinFunctionType, types.BuiltinMethodType):
            owner = getattr(obj, "__self__", None)
            if owner is None or isinstance(owner, types.ModuleType):
                return f"builtin:{getattr(obj, '__module__', None)}.{obj.__qualname__}"
            if isinstance(owner, type) and not _user_defined(owner):
                return f"builtin:{_tname(owner)}.{obj.__name__}"
            return None
        if t in (types.MethodDescriptorType, types.WrapperDescriptorType, types.GetSetDescriptorType,
                 types.MemberDescriptorType, types.ClassMethodDescriptorType):
            return f"descriptor:{_tname(obj.__objclass__)}.{obj.__name__}"
        if t is types.CodeType:
            return self.code(obj)
        np, pd = self.np, self.pd
        if np is not None:
            if isinstance(obj, np.generic) and not isinstance(obj, np.object_):
                return f"np.{obj.dtype.str}:{obj.tobytes().hex()}:{obj!s}"
            if isinstance(obj, np.dtype):
                return f"dtype:{obj.descr if obj.fields else obj.str}"
        if pd is not None:
            if obj is pd.NA:
                return "pd.NA"
            if obj is pd.NaT:
                return "pd.NaT"
            if isinstance(obj, (pd.Timestamp, pd.Timedelta, pd.Period, pd.Interval)):
                return f"{_tname(t)}:{obj!r}"
            if isinstance(obj, pd.Index):
                return self.pandas_index(obj, path)
            if isinstance(obj, pd.api.extensions.ExtensionDtype):
                return f"pandas-dtype:{obj!s}"
        import datetime
        import decimal
        import fractions
        import pathlib
        import uuid

        if isinstance(obj, (datetime.date, datetime.time, datetime.timedelta, datetime.tzinfo, decimal.Decimal,
                            fractions.Fraction, uuid.UUID, pathlib.PurePath)) and not _user_defined(t):
            return f"{_tname(t)}:{obj!r}"
        if isinstance(obj, re.Pattern):
            return f"re.Pattern:{obj.pattern!r}:{obj.flags}"
        import enum

        if isinstance(obj, enum.Enum):
            return {"kind": "enum member", "class": self.describe(t, f"{path}.__class__"), "name": obj.name}
        name = self.library_global(obj)
        if name is not None:
            return f"global:{name}"
        return None

    def library_global(self, obj):
        """``module.name`` when ``obj`` is a module-level object of its type's library module
        (singletons such as ``dataclasses.MISSING``): what matters is that it *is* that object."""
        module_name = getattr(type(obj), "__module__", None)
        if not module_name or module_name in ("builtins", "__main__"):
            return None
        names = self.module_globals.get(module_name)
        if names is None:
            module = sys.modules.get(module_name)
            names = {}
            for key, value in list(vars(module).items()) if module is not None else ():
                if self.atom(value) is None and not isinstance(value, (type, types.ModuleType, types.FunctionType)):
                    names.setdefault(id(value), key)
            self.module_globals[module_name] = names
        key = names.get(id(obj))
        return f"{module_name}.{key}" if key is not None else None

    def code(self, co: types.CodeType) -> dict:
        consts = []
        for c in co.co_consts:
            if isinstance(c, types.CodeType):
                consts.append(self.code(c))
            else:
                consts.append(self.atom(c) or _clean_repr(c))
        return {
            "kind": "code",
            "name": co.co_qualname if hasattr(co, "co_qualname") else co.co_name,
            "args": [co.co_argcount, co.co_posonlyargcount, co.co_kwonlyargcount],
            "flags": co.co_flags,
            "bytecode": _hash_bytes(co.co_code),
            "consts": consts,
            "names": list(co.co_names),
            "varnames": list(co.co_varnames),
            "freevars": list(co.co_freevars),
            "cellvars": list(co.co_cellvars),
            "line": co.co_firstlineno,
        }

    # -- objects with identity ---------------------------------------------------------------------
    def describe_object(self, obj, path):
        t = type(obj)
        if t is list:
            return {"kind": "list", "items": self.items(obj, path)}
        if t is tuple:
            return {"kind": "tuple", "items": self.items(obj, path)}
        if t is dict:
            return {"kind": "dict", "pairs": self.pairs(obj, path)}
        if t is set or t is frozenset:
            return {"kind": t.__name__, "items": self.unordered(obj, path)}
        if t is bytearray:
            return {"kind": "bytearray", "value": self.atom(bytes(obj))}
        if isinstance(obj, type):
            return self.user_class(obj, path)
        if t is types.FunctionType:
            return self.function(obj, path)
        if t is types.MethodType:
            return {"kind": "method", "self": self.describe(obj.__self__, f"{path}.__self__"),
                    "func": self.describe(obj.__func__, f"{path}.__func__")}
        if t is types.BuiltinMethodType:
            return {"kind": "builtin method", "name": obj.__name__, "self": self.describe(obj.__self__, f"{path}.__self__")}
        if t in (staticmethod, classmethod):
            return {"kind": t.__name__, "func": self.describe(obj.__func__, f"{path}.__func__")}
        if t is property:
            return {"kind": "property", **{name: self.describe(getattr(obj, name), f"{path}.{name}") for name in ("fget", "fset", "fdel")}}
        if t is types.GeneratorType:
            return self.generator(obj, path)
        if t is types.CellType:
            return {"kind": "cell", "value": self.cell_value(obj, path)}
        np, pd = self.np, self.pd
        if np is not None:
            if isinstance(obj, np.ndarray):
                return self.ndarray(obj, path)
            if isinstance(obj, np.random.Generator):
                return {"kind": "numpy Generator", "bit_generator": _tname(type(obj.bit_generator)),
                        "state": _hash_text(json.dumps(obj.bit_generator.state, sort_keys=True, default=_jsonable))}
            if isinstance(obj, np.random.RandomState):
                return {"kind": "numpy RandomState", "state": _hash_text(json.dumps(obj.get_state(legacy=False), sort_keys=True, default=_jsonable))}
        if pd is not None:
            if isinstance(obj, pd.DataFrame):
                return self.dataframe(obj, path)
            if isinstance(obj, pd.Series):
                return {"kind": "Series", "type": _tname(t), "name": self.describe(obj.name, f"{path}.name"),
                        "dtype": str(obj.dtype), "index": self.pandas_index(obj.index, f"{path}.index"),
                        "values": self.pandas_values(obj, path), "attrs": self.describe(obj.attrs, f"{path}.attrs")}
            if isinstance(obj, pd.Categorical):
                return {"kind": "Categorical", "dtype": str(obj.dtype), "values": self.pandas_values(obj, path)}
        if (t.__module__ or "").startswith("matplotlib") or self.matplotlib_subclass(t):
            return self.matplotlib(obj, path)
        if isinstance(obj, (io.StringIO, io.BytesIO)):
            closed = obj.closed
            return {"kind": t.__name__, "closed": closed,
                    "value": None if closed else self.atom(obj.getvalue()),
                    "position": None if closed else obj.tell()}
        if isinstance(obj, io.IOBase):
            return self.file(obj, path)
        if t in self.locks:
            return self.lock(obj, self.locks[t])
        if isinstance(obj, functools._lru_cache_wrapper):
            attrs = {k: v for k, v in vars(obj).items() if k != "__wrapped__"}
            return {"kind": "lru_cache", "wrapped": self.describe(obj.__wrapped__, f"{path}.__wrapped__"),
                    "parameters": self.describe(obj.cache_parameters(), f"{path}.cache_parameters()"),
                    "attrs": self.attrs(attrs, path)}
        import random

        if isinstance(obj, random.Random) and not _user_defined(t):
            return {"kind": "random.Random", "type": _tname(t), "state": _hash_text(repr(obj.getstate()))}
        if _user_defined(t):
            return self.instance(obj, path)
        if isinstance(obj, functools.partial):
            return {"kind": "partial", "type": _tname(t), "func": self.describe(obj.func, f"{path}.func"),
                    "args": self.describe(obj.args, f"{path}.args"), "keywords": self.describe(obj.keywords, f"{path}.keywords"),
                    "attrs": self.attrs(vars(obj), path)}
        if hasattr(obj, "get_params") and (t.__module__ or "").startswith("sklearn"):
            return {"kind": "estimator", "type": _tname(t),
                    "params": self.describe(obj.get_params(deep=False), f"{path}.get_params()"),
                    "state": self.reduced(obj, path)}
        return self.reduced(obj, path)

    # -- containers --------------------------------------------------------------------------------
    def compact(self, descs: list):
        if len(descs) > LIST_LIMIT and not any(_has_ref(d) for d in descs):
            return {"len": len(descs), "hash": _hash_text(json.dumps(descs, ensure_ascii=False))}
        return descs

    def items(self, seq, path):
        return self.compact([self.describe(v, f"{path}[{i}]") for i, v in enumerate(seq)])

    def pairs(self, mapping, path):
        out = []
        for k, v in list(mapping.items()):
            key = self.describe(k, f"{path}.<key>")
            out.append([key, self.describe(v, f"{path}[{_short(key)}]")])
        return self.compact(out)

    def attrs(self, mapping, path):
        """Attribute dicts: sorted by name (assignment order is not state)."""
        out = {}
        for k in sorted(mapping, key=str):
            out[str(k)] = self.describe(mapping[k], f"{path}.{k}")
        return out

    def unordered(self, collection, path):
        descs = [self.describe(v, f"{path}.<member>") for v in collection]
        return self.compact(sorted(descs, key=self.sort_key))

    def sort_key(self, desc) -> str:
        """Order of set members that does not depend on hash seeds or on ordinals."""
        if isinstance(desc, dict) and "ref" in desc:
            entry = self.objects[desc["ref"]]
            return "~" + entry["type"] + json.dumps(entry["desc"], sort_keys=True, default=str)[:500]
        return json.dumps(desc, sort_keys=True)

    # -- functions, classes, instances ---------------------------------------------------------------
    def cell_value(self, cell, path):
        try:
            value = cell.cell_contents
        except ValueError:
            return "<empty cell>"
        return self.describe(value, path)

    def function(self, f, path):
        names = set()

        def collect(co):
            names.update(co.co_names)
            for c in co.co_consts:
                if isinstance(c, types.CodeType):
                    collect(c)

        collect(f.__code__)
        if f.__globals__ is self.ns:
            where = "namespace"
        else:
            where = "other"
        closure = {}
        for name, cell in zip(f.__code__.co_freevars, f.__closure__ or ()):
            closure[name] = self.cell_value(cell, f"{path}.<closure {name}>")
        return {
            "kind": "function",
            "name": f.__name__,
            "qualname": f.__qualname__,
            "code": self.code(f.__code__),
            "defaults": self.describe(f.__defaults__, f"{path}.__defaults__"),
            "kwdefaults": self.describe(f.__kwdefaults__, f"{path}.__kwdefaults__"),
            "closure": closure,
            "attrs": self.attrs(vars(f), path),
            "globals": where,
            "global_names": sorted(n for n in names if n in f.__globals__),
            "doc": self.atom(f.__doc__) if isinstance(f.__doc__, (str, type(None))) else _clean_repr(f.__doc__),
        }

    def user_class(self, cls, path):
        # __slotnames__ is copyreg's cache, set on a class the first time one of its instances
        # is pickled: not state of the program.
        skip = {"__dict__", "__weakref__", "__slotnames__"}
        attrs = {k: v for k, v in vars(cls).items() if k not in skip}
        return {
            "kind": "class",
            "name": cls.__name__,
            "qualname": cls.__qualname__,
            "metaclass": self.describe(type(cls), f"{path}.<metaclass>"),
            "bases": [self.describe(b, f"{path}.__bases__[{i}]") for i, b in enumerate(cls.__bases__)],
            "attrs": self.attrs(attrs, path),
        }

    def slots(self, obj, path):
        out = {}
        for klass in type(obj).__mro__:
            names = vars(klass).get("__slots__", ())
            if isinstance(names, str):
                names = (names,)
            for name in names:
                if name in ("__dict__", "__weakref__"):
                    continue
                attr = f"_{klass.__name__.lstrip('_')}{name}" if name.startswith("__") and not name.endswith("__") else name
                try:
                    value = getattr(obj, attr)
                except AttributeError:
                    out[attr] = "<unset>"
                    continue
                out[attr] = self.describe(value, f"{path}.{attr}")
        return out

    def instance(self, obj, path):
        desc = {"kind": "object", "class": self.describe(type(obj), f"{path}.__class__")}
        if hasattr(obj, "__dict__"):
            desc["attrs"] = self.attrs(vars(obj), path)
        slots = self.slots(obj, path)
        if slots:
            desc["slots"] = slots
        if isinstance(obj, dict):
            desc["pairs"] = self.pairs(obj, path)
        elif isinstance(obj, (list, tuple)):
            desc["items"] = self.items(obj, path)
        elif isinstance(obj, (set, frozenset)):
            desc["items"] = self.unordered(obj, path)
        else:
            for base in (int, float, complex, str, bytes):
                if isinstance(obj, base):
                    desc["value"] = self.atom(base(obj))
                    break
        return desc

    def reduced(self, obj, path):
        """What pickle would keep of a library object."""
        t = type(obj)
        try:
            rv = obj.__reduce_ex__(4)
        except Exception as exc:  # noqa: BLE001 - unpicklable: describe what we can see
            desc = {"kind": "unpicklable", "type": _tname(t), "why": type(exc).__name__}
            if hasattr(obj, "__dict__"):
                desc["attrs"] = self.attrs(vars(obj), path)
            else:
                desc["repr"] = _clean_repr(obj)
            return desc
        if isinstance(rv, str):
            return {"kind": "global", "type": _tname(t), "name": rv}
        parts = list(rv) + [None] * (6 - len(rv))
        desc = {
            "kind": "reduce",
            "type": _tname(t),
            "callable": self.describe(parts[0], f"{path}.<reduce>"),
            "args": self.describe(parts[1], f"{path}.<args>"),
            # The object's own __dict__ by attribute name (libraries set attributes in a set's
            # hash order: assignment order is not state), any other state as it is.
            "state": ({"kind": "attributes", "attrs": self.attrs(parts[2], f"{path}.<state>")}
                      if parts[2] is not None and parts[2] is getattr(obj, "__dict__", None) and type(parts[2]) is dict
                      else self.describe(parts[2], f"{path}.<state>")),
        }
        if parts[3] is not None:
            desc["listitems"] = self.items(list(parts[3]), path)
        if parts[4] is not None:
            desc["dictitems"] = self.pairs(dict(parts[4]), path)
        return desc

    # -- generators, files, locks --------------------------------------------------------------------
    def generator(self, g, path):
        frame = g.gi_frame
        desc = {"kind": "generator", "code": self.code(g.gi_code), "state": inspect.getgeneratorstate(g)}
        if frame is not None:
            desc["line"] = frame.f_lineno
            desc["lasti"] = frame.f_lasti
            local_vars = frame.f_locals
            desc["locals"] = {k: self.describe(local_vars[k], f"{path}.<local {k}>") for k in sorted(local_vars)}
        return desc

    def file(self, f, path):
        closed = f.closed
        position = None
        if not closed:
            try:
                position = f.tell()
            except (OSError, ValueError):
                raw = getattr(f, "buffer", None)
                try:
                    position = f"buffer:{raw.tell()}" if raw is not None else "unknown"
                except (OSError, ValueError):
                    position = "unknown"
        return {
            "kind": "file",
            "type": _tname(type(f)),
            "name": self.atom(getattr(f, "name", None)) or _clean_repr(getattr(f, "name", None)),
            "mode": getattr(f, "mode", None),
            "encoding": getattr(f, "encoding", None),
            "closed": closed,
            "position": position,
        }

    def lock(self, lock, kind):
        if kind == "lock":
            return {"kind": "lock", "locked": lock.locked()}
        text = repr(lock)
        match = re.search(r"count=(\d+)", text)
        return {"kind": "rlock", "locked": text.startswith("<locked"), "count": int(match.group(1)) if match else None}

    # -- numpy ------------------------------------------------------------------------------------------
    def ndarray(self, a, path):
        desc = {
            "kind": "ndarray",
            "type": _tname(type(a)),
            "dtype": str(a.dtype.descr) if a.dtype.fields else a.dtype.str,
            "shape": list(a.shape),
            "c_contiguous": bool(a.flags.c_contiguous),
            "f_contiguous": bool(a.flags.f_contiguous),
            "writeable": bool(a.flags.writeable),
        }
        np = self.np
        if isinstance(a, np.ma.MaskedArray):
            # What a masked array is: its data, its mask (as a full array) and its fill value.
            desc["mask"] = self.array_hash(np.ascontiguousarray(np.ma.getmaskarray(a)))
            desc["fill_value"] = str(a.fill_value if a._fill_value is not None else np.ma.default_fill_value(a))
        data = a.view(np.ndarray) if type(a) is not np.ndarray else a
        if a.dtype.hasobject:
            flat = list(data.flat) if not a.dtype.fields else data.ravel().tolist()
            desc["items"] = self.items(flat, path)
        else:
            desc["data"] = self.array_hash(data)
            desc["head"] = [_clean_repr(v) for v in data.flat[:4].tolist()]
        if a.size:
            self.arrays.append((self.ordinals[id(a)], data))
        return desc

    def array_hash(self, a) -> str:
        np = self.np
        h, name = _new_hash()
        if a.flags.c_contiguous:
            h.update(a.reshape(-1).view(np.uint8))
        else:
            rows = max(1, (64 << 20) // max(1, a[:1].nbytes if a.ndim else a.nbytes))
            if a.ndim == 0:
                h.update(np.ascontiguousarray(a).reshape(-1).view(np.uint8))
            else:
                for start in range(0, a.shape[0], rows):
                    h.update(np.ascontiguousarray(a[start:start + rows]).reshape(-1).view(np.uint8))
        return f"{name}:{h.hexdigest()}"

    def memory_families(self) -> list[list[list[int]]]:
        """Arrays whose memory overlaps: [[ordinal, byte offset in the family], ...] per family of
        two or more, ordered by first ordinal."""
        spans = []
        for ordinal, a in self.arrays:
            ptr = a.__array_interface__["data"][0]
            low = high = ptr
            for n, stride in zip(a.shape, a.strides):
                if stride < 0:
                    low += stride * (n - 1)
                else:
                    high += stride * (n - 1)
            spans.append((low, high + a.itemsize, ordinal))
        spans.sort()
        families, current, end = [], [], -1
        for low, high, ordinal in spans:
            if current and low < end:
                current.append((low, ordinal))
                end = max(end, high)
            else:
                if len(current) > 1:
                    families.append(current)
                current, end = [(low, ordinal)], high
        if len(current) > 1:
            families.append(current)
        out = []
        for family in families:
            base = min(low for low, _ in family)
            out.append(sorted([ordinal, low - base] for low, ordinal in family))
        return sorted(out)

    # -- pandas -------------------------------------------------------------------------------------------
    def dataframe(self, df, path):
        return {
            "kind": "DataFrame",
            "type": _tname(type(df)),
            "shape": list(df.shape),
            "columns": self.pandas_index(df.columns, f"{path}.columns"),
            "index": self.pandas_index(df.index, f"{path}.index"),
            "dtypes": [str(t) for t in df.dtypes],
            "data": [self.pandas_values(df.iloc[:, i], f"{path}.iloc[:, {i}]") for i in range(df.shape[1])],
            "attrs": self.describe(df.attrs, f"{path}.attrs"),
            "flags": [df.flags.allows_duplicate_labels],
        }

    def pandas_index(self, index, path):
        return {
            "kind": "Index",
            "type": _tname(type(index)),
            "dtype": str(index.dtype),
            "names": [self.describe(n, f"{path}.names") for n in index.names],
            "freq": str(getattr(index, "freqstr", None)),
            "values": self.pandas_values(index, path),
        }

    def pandas_values(self, values, path):
        np, pd = self.np, self.pd
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cat = values.cat if isinstance(values, pd.Series) else values
            codes = np.asarray(cat.codes)
            return {"categories": self.pandas_index(cat.categories, f"{path}.categories"), "ordered": bool(dtype.ordered),
                    "codes": self.array_hash(np.ascontiguousarray(codes)), "len": len(codes)}
        if isinstance(dtype, np.dtype) and dtype.kind != "O":
            arr = np.ascontiguousarray(values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values))
            return {"len": len(arr), "data": self.array_hash(arr), "head": [_clean_repr(v) for v in arr.flat[:3].tolist()]}
        if dtype == object and len(values) <= 200_000:
            return self.items(list(values.to_numpy() if hasattr(values, "to_numpy") else values), path)
        if isinstance(values, pd.Categorical):
            values = pd.Series(values)
        hashed = pd.util.hash_pandas_object(values, index=False)
        return {"len": len(values), "hash": self.array_hash(np.ascontiguousarray(hashed.to_numpy())),
                "head": [_clean_repr(v) for v in list(values[:3])]}

    # -- matplotlib -----------------------------------------------------------------------------------------
    def matplotlib_subclass(self, t) -> bool:
        """A notebook's own artist or transform (a radar chart's Axes subclass): described as
        matplotlib's own (their internals key dicts by id)."""
        mpl = sys.modules.get("matplotlib.artist"), sys.modules.get("matplotlib.transforms")
        bases = tuple(c for c in (getattr(mpl[0], "Artist", None), getattr(mpl[1], "TransformNode", None)) if c is not None)
        return bool(bases) and issubclass(t, bases)

    def matplotlib(self, obj, path):
        np = self.np
        from matplotlib import colors
        from matplotlib.axes import Axes
        from matplotlib.colorbar import Colorbar
        from matplotlib.collections import Collection
        from matplotlib.container import Container
        from matplotlib.figure import Figure
        from matplotlib.image import AxesImage
        from matplotlib.legend import Legend
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch, Rectangle
        from matplotlib.text import Text

        def floats(values):
            return [repr(float(v)) for v in values]

        def arr(values):
            a = np.ascontiguousarray(np.asarray(values, dtype=float))
            return {"shape": list(a.shape), "data": self.array_hash(a)}

        def children(items, name):
            return [self.describe(c, f"{path}.{name}[{i}]") for i, c in enumerate(items)]

        if isinstance(obj, Figure):
            return {"kind": "Figure", "size": floats(obj.get_size_inches()), "dpi": repr(float(obj.dpi)),
                    "suptitle": obj.get_suptitle() if hasattr(obj, "get_suptitle") else None,
                    "axes": children(obj.axes, "axes"), "texts": [t.get_text() for t in obj.texts]}
        if isinstance(obj, Axes):
            legend = obj.get_legend()
            return {
                "kind": "Axes",
                "figure": self.describe(obj.figure, f"{path}.figure"),
                "position": floats(obj.get_position().bounds),
                "title": obj.get_title(), "xlabel": obj.get_xlabel(), "ylabel": obj.get_ylabel(),
                "xlim": floats(obj.get_xlim()), "ylim": floats(obj.get_ylim()),
                "scales": [obj.get_xscale(), obj.get_yscale()],
                "lines": children(obj.lines, "lines"),
                "collections": children(obj.collections, "collections"),
                "patches": children(obj.patches, "patches"),
                "texts": children(obj.texts, "texts"),
                "images": children(obj.images, "images"),
                "legend": self.describe(legend, f"{path}.legend") if legend is not None else None,
            }
        if isinstance(obj, Line2D):
            return {"kind": "Line2D", "x": arr(obj.get_xdata()), "y": arr(obj.get_ydata()),
                    "color": colors.to_hex(obj.get_color(), keep_alpha=True), "style": [obj.get_linestyle(), repr(float(obj.get_linewidth())), str(obj.get_marker())],
                    "label": obj.get_label(), "axes": self.describe(obj.axes, f"{path}.axes")}
        if isinstance(obj, Collection):
            array = obj.get_array()
            return {"kind": _tname(type(obj)), "offsets": arr(obj.get_offsets()), "facecolors": arr(obj.get_facecolors()),
                    "array": arr(array) if array is not None else None, "label": obj.get_label(),
                    "axes": self.describe(obj.axes, f"{path}.axes")}
        if isinstance(obj, Rectangle):
            return {"kind": "Rectangle", "bounds": floats(obj.get_bbox().bounds),
                    "facecolor": colors.to_hex(obj.get_facecolor(), keep_alpha=True), "label": obj.get_label()}
        if isinstance(obj, Patch):
            return {"kind": _tname(type(obj)), "facecolor": colors.to_hex(obj.get_facecolor(), keep_alpha=True),
                    "vertices": arr(obj.get_path().vertices)}
        if isinstance(obj, Text):
            return {"kind": "Text", "text": obj.get_text(), "position": floats(obj.get_position())}
        if isinstance(obj, AxesImage):
            return {"kind": "AxesImage", "array": arr(obj.get_array()), "cmap": obj.get_cmap().name,
                    "extent": floats(obj.get_extent()), "axes": self.describe(obj.axes, f"{path}.axes")}
        if isinstance(obj, Legend):
            return {"kind": "Legend", "texts": [t.get_text() for t in obj.get_texts()]}
        if isinstance(obj, Colorbar):
            norm = obj.norm
            return {"kind": "Colorbar", "orientation": obj.orientation, "ax": self.describe(obj.ax, f"{path}.ax"),
                    "mappable": self.describe(obj.mappable, f"{path}.mappable"), "cmap": obj.cmap.name,
                    "limits": floats([norm.vmin, norm.vmax]), "label": obj.ax.get_ylabel() if obj.orientation == "vertical" else obj.ax.get_xlabel()}
        if isinstance(obj, Container):
            return {"kind": _tname(type(obj)), "label": obj.get_label(), "children": children(list(obj), "children")}
        desc = {"kind": "matplotlib", "type": _tname(type(obj))}
        if _user_defined(type(obj)):
            desc["class"] = self.describe(type(obj), f"{path}.__class__")
        return desc


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _short(desc) -> str:
    if isinstance(desc, str):
        return _pretty(desc)
    if isinstance(desc, dict) and "ref" in desc:
        return f"<object #{desc['ref']}>"
    return "<key>"


def _shell():
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def user_names(ns: dict, hidden: dict | None = None) -> list[str]:
    """The user's variables: not ``_``-prefixed, not modules, not IPython's own names (``hidden``:
    the shell's ``user_ns_hidden``, such as ipykernel's ``open``, which a session loader like
    dill may replace by a copy)."""
    hidden = hidden or {}
    return sorted(
        k for k, v in ns.items()
        if isinstance(k, str) and not k.startswith("_") and k not in SKIP_NAMES and k not in hidden
        and not isinstance(v, types.ModuleType)
    )


def dump(ns: dict | None = None) -> dict:
    """The canonical description of ``ns`` (default: the kernel's user namespace)."""
    hidden = None
    if ns is None:
        shell = _shell()
        ns = shell.user_ns if shell is not None else sys.modules["__main__"].__dict__
        hidden = getattr(shell, "user_ns_hidden", None)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        describer = Describer(ns)
        variables = {}
        for name in user_names(ns, hidden):
            try:
                variables[name] = desc = describer.describe(ns[name], name)
                if isinstance(desc, dict) and "ref" in desc:
                    describer.objects[desc["ref"]].setdefault("variables", []).append(name)
            except RecursionError:
                variables[name] = "<too deep>"
                describer.errors.append(f"{name}: too deeply nested to describe")
        return {
            "format": FORMAT,
            "variables": variables,
            "objects": describer.objects,
            "memory": describer.memory_families(),
            "errors": describer.errors,
        }
    finally:
        sys.setrecursionlimit(limit)


def dump_json() -> str:
    return json.dumps(dump(), ensure_ascii=False, separators=(",", ":"))


# ============================================================================================
# Test side: comparing two dumps
# ============================================================================================

def _pretty(atom: str) -> str:
    tag, _, value = atom.partition(":")
    if tag in ("int", "float", "complex"):
        return value
    if tag == "str":
        return repr(value)
    return atom if len(atom) <= 120 else atom[:117] + "..."


def _is_ref(desc) -> bool:
    return isinstance(desc, dict) and len(desc) == 1 and "ref" in desc


class _Comparison:
    def __init__(self, original: dict, restored: dict, limit: int) -> None:
        self.a, self.b = original, restored
        self.forward: dict[int, int] = {}
        self.backward: dict[int, int] = {}
        self.diffs: list[str] = []
        self.limit = limit

    def note(self, text: str) -> None:
        if len(self.diffs) < self.limit:
            self.diffs.append(text)
        elif len(self.diffs) == self.limit:
            self.diffs.append("... (more differences not shown)")

    @staticmethod
    def where(dump: dict, ordinal: int, other_than: str | None = None) -> str:
        """How to name an object: a variable holding it, else where the walk met it first (not
        ``other_than``, the place being reported)."""
        entry = dump["objects"][ordinal]
        names = [n for n in entry.get("variables", []) if n != other_than]
        return f"{names[0]} (a variable)" if names else entry["path"]

    def show(self, dump: dict, desc) -> str:
        if _is_ref(desc):
            entry = dump["objects"][desc["ref"]]
            return f"a {entry['type']} ({self.where(dump, desc['ref'])})"
        if isinstance(desc, str):
            return _pretty(desc)
        text = json.dumps(desc)
        return text if len(text) <= 120 else text[:117] + "..."

    def run(self) -> list[str]:
        for which, dump in (("original", self.a), ("restored", self.b)):
            for error in dump.get("errors", []):
                self.note(f"{which}: could not describe {error}")
        names_a, names_b = set(self.a["variables"]), set(self.b["variables"])
        for name in sorted(names_a - names_b):
            self.note(f"{name}: missing in the restored session (original: {self.show(self.a, self.a['variables'][name])})")
        for name in sorted(names_b - names_a):
            self.note(f"{name}: only in the restored session ({self.show(self.b, self.b['variables'][name])})")
        for name in sorted(names_a & names_b):
            self.value(self.a["variables"][name], self.b["variables"][name], name)
        self.memory()
        return self.diffs

    def value(self, x, y, path: str) -> None:
        if _is_ref(x) and _is_ref(y):
            self.ref(x["ref"], y["ref"], path)
            return
        if _is_ref(x) or _is_ref(y) or type(x) is not type(y):
            self.note(f"{path}: original {self.show(self.a, x)}, restored {self.show(self.b, y)}")
            return
        if isinstance(x, list):
            if len(x) != len(y):
                self.note(f"{path}: length {len(x)} in the original, {len(y)} in the restored session")
            for i, (u, v) in enumerate(zip(x, y)):
                self.value(u, v, f"{path}[{i}]")
            return
        if isinstance(x, dict):
            kind = x.get("kind")
            if kind != y.get("kind"):
                self.note(f"{path}: a {kind or 'value'} in the original, a {y.get('kind') or 'value'} in the restored session")
                return
            for key in sorted(set(x) | set(y), key=str):
                if key not in x or key not in y:
                    self.note(f"{path}: field {key!r} only in the {'original' if key in x else 'restored'} description")
                elif key in ("pairs", "dictitems") and isinstance(x[key], list) and isinstance(y[key], list):
                    self.pairs(x[key], y[key], path)
                elif key != "kind":
                    self.value(x[key], y[key], self.child(path, kind, key))
            return
        if x != y:
            self.note(f"{path}: original {self.show(self.a, x)}, restored {self.show(self.b, y)}")

    def pairs(self, x: list, y: list, path: str) -> None:
        if len(x) != len(y):
            self.note(f"{path}: {len(x)} entries in the original, {len(y)} in the restored session")
        for i, ((kx, vx), (ky, vy)) in enumerate(zip(x, y)):
            self.value(kx, ky, f"{path}.<key {i}>")
            self.value(vx, vy, f"{path}[{_short(kx)}]")

    @staticmethod
    def child(path: str, kind, key: str) -> str:
        if key in ("items", "attrs", "slots", "values") and kind not in (None, "code"):
            return path
        return f"{path}.{key}"

    def ref(self, i: int, j: int, path: str) -> None:
        if i in self.forward:
            if self.forward[i] != j:
                self.note(f"{path}: sharing broken: in the original this is the same object as {self.where(self.a, i, path)}; "
                          f"in the restored session it is a different object")
            return
        if j in self.backward:
            self.note(f"{path}: extra sharing: in the restored session this is the same object as "
                      f"{self.where(self.a, self.backward[j], path)}; in the original they were different objects")
            return
        self.forward[i] = j
        self.backward[j] = i
        self.value(self.a["objects"][i]["desc"], self.b["objects"][j]["desc"], path)

    def memory(self) -> None:
        def families(dump):
            out = {}
            for n, family in enumerate(dump.get("memory", [])):
                for ordinal, offset in family:
                    out[ordinal] = (n, offset)
            return out

        fam_a, fam_b = families(self.a), families(self.b)

        def path(dump, ordinal):
            return self.where(dump, ordinal)

        for family in self.a.get("memory", []):
            mapped = [(self.forward[o], off, o) for o, off in family if o in self.forward]
            if len(mapped) < 2:
                continue
            ref_b, ref_off, ref_a = mapped[0]
            for j, off, i in mapped[1:]:
                if ref_b not in fam_b or j not in fam_b or fam_b[ref_b][0] != fam_b[j][0]:
                    self.note(f"{path(self.a, i)}: numpy view broken: shares memory with {path(self.a, ref_a)} in the original, "
                              f"not in the restored session")
                elif fam_b[j][1] - fam_b[ref_b][1] != off - ref_off:
                    self.note(f"{path(self.a, i)}: numpy view moved: at byte {off - ref_off} from {path(self.a, ref_a)} in the original, "
                              f"at byte {fam_b[j][1] - fam_b[ref_b][1]} in the restored session")
        for family in self.b.get("memory", []):
            mapped = [(self.backward[o], o) for o, _ in family if o in self.backward]
            if len(mapped) < 2:
                continue
            first_a, first_b = mapped[0]
            for i, j in mapped[1:]:
                if first_a not in fam_a or i not in fam_a or fam_a[first_a][0] != fam_a[i][0]:
                    self.note(f"{path(self.a, i)}: extra numpy sharing: shares memory with {path(self.a, first_a)} in the "
                              f"restored session, not in the original")


def compare(original: dict, restored: dict, limit: int = 60) -> list[str]:
    """The differences between two dumps (empty when the states are isomorphic)."""
    return _Comparison(original, restored, limit).run()


def assert_isomorphic(original: dict, restored: dict, context: str = "") -> None:
    diffs = compare(original, restored)
    if diffs:
        head = f"{context}: " if context else ""
        raise AssertionError(f"{head}restored state differs from the original ({len(diffs)} difference(s)):\n  " + "\n  ".join(diffs))


# ============================================================================================
# Test side: running the dump in a kernel
# ============================================================================================

def _source() -> str:
    with open(__file__, encoding="utf-8") as fh:
        return fh.read()


def install_code() -> str:
    """Python (run silently in the kernel) that loads this file as the hidden module
    ``_en_state_compare``; it binds no name in the user namespace."""
    return (
        "(lambda s, t: s.modules.get(%r) or (lambda m: (s.modules.__setitem__(%r, m), exec(compile(%r, %r, 'exec'), m.__dict__)))"
        "(t.ModuleType(%r)))(__import__('sys'), __import__('types'))"
        % (_MODULE_NAME, _MODULE_NAME, _source(), "<state_compare>", _MODULE_NAME)
    )


def dump_kernel(client, timeout: float = 900) -> dict:
    """Dump the user state of the kernel behind ``client`` (a jupyter_client blocking client)."""
    import ast

    reply = client.execute_interactive(
        install_code(), silent=True, store_history=False, timeout=timeout, output_hook=lambda msg: None
    )["content"]
    if reply["status"] != "ok":
        raise RuntimeError(f"could not load the state describer: {reply.get('ename')}: {reply.get('evalue')}")
    reply = client.execute_interactive(
        "", silent=True, store_history=False, timeout=timeout, output_hook=lambda msg: None,
        user_expressions={"dump": f"__import__('sys').modules[{_MODULE_NAME!r}].dump_json()"},
    )["content"]
    value = reply["user_expressions"]["dump"]
    if value["status"] != "ok":
        raise RuntimeError(f"the state dump failed: {value.get('ename')}: {value.get('evalue')}")
    return json.loads(ast.literal_eval(value["data"]["text/plain"]))


def dump_connection_file(connection_file, timeout: float = 900) -> dict:
    """Attach to a running kernel by its connection file and dump its user state."""
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        return dump_kernel(client, timeout)
    finally:
        client.stop_channels()
