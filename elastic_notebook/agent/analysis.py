"""Static analysis of a cell: which global names it may read, and which it binds at top level.

The rules (documented so tests can state exact expectations):

* A name counts as read when the cell may load the value it had *before* the cell: loads at module
  level, loads inside lambdas, comprehensions, generator expressions and class bodies (they run at
  once), default values and decorators, and the global/free loads inside a function defined in the
  cell when that function is referenced elsewhere in the cell (it may be called). ``global x``
  inside a function makes ``x`` a global of that function.
* Straight-line code is followed in order: after an unconditional top-level binding of ``x``
  (assignment, import, def, class, with-as), later loads of ``x`` see the new value, not a read.
  Bindings inside ``if``/``for``/``while``/``try``/``match`` are not unconditional.
* Augmented assignment reads its target. ``del x`` is not a read.
* Python code passed as a string to ``%time``, ``%timeit``, ``%prun``, ``%%time``, ``%%timeit``,
  ``%%capture`` and ``%%prun`` is analysed too; ``$name`` and ``{expr}`` in shell lines are reads.
"""

from __future__ import annotations

import ast
import dis
import functools
import re
import types
from dataclasses import dataclass, field

from .entropy import draws_fresh_entropy

# Magics whose argument or body is Python code run in the user namespace.
_CODE_MAGICS = frozenset({"time", "timeit", "prun", "capture"})
_SHELL_CALLS = frozenset({"system", "getoutput"})
_SHELL_VAR = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")
_SHELL_EXPR = re.compile(r"(?<!\{)\{([^{}]+)\}(?!\})")


@dataclass
class CellNames:
    """Result of analysing one cell."""

    reads: set[str] = field(default_factory=set)
    """Global names whose previous value the cell may load."""
    stores: set[str] = field(default_factory=set)
    """Names bound at module level anywhere in the cell (conditionally or not)."""
    calls_unknown_code: bool = False
    """True when the cell runs code we cannot see (e.g. ``%run``, ``exec``)."""
    fresh_entropy: bool = False
    """True when the cell draws fresh OS entropy, so a re-run would not reproduce it (:mod:`.entropy`)."""


class _Visitor(ast.NodeVisitor):
    """``ast.NodeVisitor`` with the method lookup cached per node class (cells are analysed before
    they run, so this is on every cell's path)."""

    _methods: dict[type, str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._methods = {}

    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        name = self._methods.get(kind)
        if name is None:
            name = f"visit_{kind.__name__}"
            if not hasattr(self, name):
                name = "generic_visit"
            self._methods[kind] = name
        getattr(self, name)(node)

    def generic_visit(self, node: ast.AST) -> None:
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_Constant(self, node: ast.Constant) -> None:
        pass  # a leaf (and NodeVisitor's own visit_Constant is slow)


def analyse_cell(code: str) -> CellNames | None:
    """Analyse IPython-transformed cell code; None if it does not parse (the cell will fail)."""
    cached = _analysed.get(code, _MISSING)
    if cached is _MISSING:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            cached = None
        else:
            cached = CellNames()
            _ModuleAnalyser(cached).run(tree.body)
            cached.fresh_entropy = draws_fresh_entropy(tree)
        if len(_analysed) >= _CACHE_SIZE:
            del _analysed[next(iter(_analysed))]  # the oldest entry
        _analysed[code] = cached
    if cached is None:
        return None
    # A copy: the result depends on the code only, and callers may change what they get.
    return CellNames(set(cached.reads), set(cached.stores), cached.calls_unknown_code, cached.fresh_entropy)


# Cells are often run again unchanged: their analysis is kept (by code) for the last few hundred.
_CACHE_SIZE = 256
_MISSING = object()
_analysed: dict[str, CellNames | None] = {}


class _ModuleAnalyser:
    """Walks top-level statements in order, tracking names unconditionally bound so far."""

    def __init__(self, result: CellNames) -> None:
        self.result = result
        self.bound: set[str] = set()
        # Functions defined in the cell, with the names bound before their definition.
        self.deferred: list[tuple[str, ast.AST, frozenset[str]]] = []

    def run(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            loads = _Loads()
            loads.visit_statement(stmt)
            self.result.calls_unknown_code |= loads.unknown_code
            for name in loads.names:
                if name not in self.bound:
                    self.result.reads.add(name)
            self.deferred.extend((name, node, frozenset(self.bound)) for name, node in loads.functions)
            stores = _module_stores(stmt)
            self.result.stores |= stores
            if isinstance(stmt, _UNCONDITIONAL):
                self.bound |= stores
        if not self.deferred:
            return
        # A function defined here and referenced anywhere in the cell may run during the cell.
        referenced = self.result.reads | _all_loaded_names(body)
        for name, node, bound_then in self.deferred:
            if name in referenced:
                inner = _Loads()
                inner.visit_function_body(node)
                # Names the cell bound before the definition hold the cell's own values by then.
                self.result.reads |= inner.names - bound_then
                self.result.calls_unknown_code |= inner.unknown_code


_UNCONDITIONAL = (
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.With,
    ast.AsyncWith,
    ast.Expr,
    ast.Delete,
)


def _target_names(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_target_names(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return set()


def _module_stores(stmt: ast.stmt) -> set[str]:
    """Names a top-level statement may bind in the module namespace (not inside functions)."""
    names: set[str] = set()
    _Binder(names, function=False).visit(stmt)
    return names


def _globals_key(node: ast.AST) -> str | None:
    """``x`` for ``globals()['x']`` (a constant key): the cell names exactly that global."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)):
        return None
    call = node.value
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "globals"
        and not call.args
        and not call.keywords
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def _all_loaded_names(body: list[ast.stmt]) -> set[str]:
    return {
        n.id
        for stmt in body
        for n in ast.walk(stmt)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


class _Loads(_Visitor):
    """Collects the global names a module-level statement loads, scope-aware."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.functions: list[tuple[str, ast.AST]] = []
        self.unknown_code = False
        # Stack of (local names, global-declared names) for enclosing function scopes.
        self.scopes: list[tuple[set[str], set[str]]] = []
        self.functions_entered = 0  # def and lambda bodies only (not comprehensions)

    # -- entry points --------------------------------------------------------------------------
    def visit_statement(self, stmt: ast.stmt) -> None:
        self.visit(stmt)

    def visit_function_body(self, node: ast.AST) -> None:
        local, declared = _function_locals(node)
        self.scopes.append((local, declared))
        self.functions_entered += 1
        body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore[attr-defined]
        for stmt in body:
            self.visit(stmt)
        self.functions_entered -= 1
        self.scopes.pop()

    # -- helpers -------------------------------------------------------------------------------
    def _load(self, name: str) -> None:
        for local, declared in reversed(self.scopes):
            if name in declared:
                break
            if name in local:
                return
        self.names.add(name)

    # -- visitors ------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)  # `x += 1` reads x first
        key = _globals_key(node.target)
        if key is not None:
            self.names.add(key)  # `globals()['x'] += 1` too
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        key = _globals_key(node)
        if key is None:
            self.generic_visit(node)
        elif isinstance(node.ctx, ast.Load):
            self.names.add(key)  # the module global, whatever the enclosing scopes hold
        # A store or del through globals()['x'] binds at module level: see _module_stores.

    def _visit_def_header(self, node: ast.AST) -> None:
        for d in node.decorator_list:  # type: ignore[attr-defined]
            self.visit(d)
        args = node.args  # type: ignore[attr-defined]
        for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self.visit(default)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_def_header(node)
        if self.scopes:
            # A nested function: its free names resolve like ours when it runs.
            self.visit_function_body(node)
        else:
            self.functions.append((node.name, node))

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        args = node.args
        for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self.visit(default)
        self.visit_function_body(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        for base in node.bases:
            self.visit(base)
        for kw in node.keywords:
            self.visit(kw.value)
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._visit_def_header(stmt)  # methods run later, via indirect reads
            else:
                self.visit(stmt)

    def _comprehension(self, node: ast.AST) -> None:
        generators = node.generators  # type: ignore[attr-defined]
        # The first iterable is evaluated in the enclosing scope.
        self.visit(generators[0].iter)
        local = set().union(*(_target_names(g.target) for g in generators))
        self.scopes.append((local, set()))
        for i, gen in enumerate(generators):
            if i > 0:
                self.visit(gen.iter)
            for cond in gen.ifs:
                self.visit(cond)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                self.visit(getattr(node, part))
        self.scopes.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        self._magic_call(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("exec", "eval", "globals", "vars", "locals"):
            # Inside a def or lambda, locals() and vars() are that function's own names. (Not in
            # a comprehension: since Python 3.12 one at module level sees the module's names.)
            if not (func.id in ("locals", "vars") and not node.args and self.functions_entered):
                self.unknown_code = True
        self.generic_visit(node)

    def _magic_call(self, node: ast.Call) -> None:
        """``get_ipython().run_line_magic('time', 'code')`` and friends."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)):
            return
        inner = func.value.func
        if not (isinstance(inner, ast.Name) and inner.id == "get_ipython"):
            return
        strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if func.attr in ("run_line_magic", "run_cell_magic") and strings:
            magic = strings[0]
            if magic in _CODE_MAGICS:
                for text in strings[1:]:
                    sub = analyse_cell(_strip_magic_options(text))
                    if sub is not None:
                        self.names |= sub.reads
            elif magic in ("run", "load", "recall", "rerun", "macro"):
                self.unknown_code = True
        elif func.attr in _SHELL_CALLS and strings:
            self._shell_reads(strings[0])

    def _shell_reads(self, command: str) -> None:
        self.names.update(_SHELL_VAR.findall(command))
        for expr in _SHELL_EXPR.findall(command):
            try:
                tree = ast.parse(expr, mode="eval")
            except SyntaxError:
                continue
            self.names.update(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))


def _strip_magic_options(text: str) -> str:
    """Drop leading ``-n 3 -r 1``-style options of %timeit/%prun before the code."""
    return re.sub(r"^\s*(?:-[a-zA-Z](?:\s+\S+)?\s+)*", "", text, count=1) if text.lstrip().startswith("-") else text


def _function_locals(node: ast.AST) -> tuple[set[str], set[str]]:
    """(local names, names declared global/nonlocal) of a function or lambda."""
    args = node.args  # type: ignore[attr-defined]
    local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    if args.vararg:
        local.add(args.vararg.arg)
    if args.kwarg:
        local.add(args.kwarg.arg)
    body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore[attr-defined]
    binder = _Binder(local, function=True)
    for stmt in body:
        binder.visit(stmt)
    return local - binder.declared, binder.declared


class _Binder(_Visitor):
    """Adds to ``names`` the names a statement binds in its own scope (a module's, or a function
    body's when ``function``), not those of the functions, classes, lambdas and comprehensions
    nested in it; collects the names it declares ``global``."""

    def __init__(self, names: set[str], function: bool) -> None:
        self.names = names
        self.function = function
        self.declared: set[str] = set()

    def visit_Global(self, n: ast.Global) -> None:
        self.declared.update(n.names)

    def visit_Nonlocal(self, n: ast.Nonlocal) -> None:
        self.names.update(n.names)  # resolved in an enclosing function, never a module global

    def visit_Name(self, n: ast.Name) -> None:
        # In a function, `del x` makes x local too; at module level it binds nothing.
        if isinstance(n.ctx, ast.Store) or (self.function and isinstance(n.ctx, ast.Del)):
            self.names.add(n.id)

    def visit_Subscript(self, n: ast.Subscript) -> None:
        key = _globals_key(n)
        if key is not None and not self.function and isinstance(n.ctx, ast.Store):
            self.names.add(key)  # globals()['x'] = ... at module level binds x
        self.generic_visit(n)

    def visit_FunctionDef(self, n: ast.FunctionDef) -> None:
        self.names.add(n.name)
        for d in n.decorator_list:  # evaluated in this scope: a walrus there binds here
            self.visit(d)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, n: ast.ClassDef) -> None:
        self.names.add(n.name)

    def visit_Lambda(self, n: ast.Lambda) -> None:
        pass

    def _comprehension(self, n: ast.AST) -> None:
        # Comprehension targets are local to the comprehension, but walrus targets are not.
        for child in ast.walk(n):
            if isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                self.names.add(child.target.id)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # type: ignore[assignment]

    def visit_Import(self, n: ast.Import) -> None:
        for alias in n.names:
            self.names.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, n: ast.ImportFrom) -> None:
        for alias in n.names:
            if alias.name != "*":
                self.names.add(alias.asname or alias.name)

    def visit_ExceptHandler(self, n: ast.ExceptHandler) -> None:
        if n.name:
            self.names.add(n.name)
        self.generic_visit(n)

    def visit_MatchAs(self, n: ast.AST) -> None:
        if getattr(n, "name", None):
            self.names.add(n.name)  # type: ignore[attr-defined]
        self.generic_visit(n)

    visit_MatchStar = visit_MatchAs  # type: ignore[assignment]


# -- indirect reads through notebook-defined code ------------------------------------------------

_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL", "STORE_NAME"})
_code_globals_cache: dict[types.CodeType, frozenset[str]] = {}


def code_globals(code: types.CodeType) -> frozenset[str]:
    """Global names a code object (and the code nested in it) loads or stores."""
    cached = _code_globals_cache.get(code)
    if cached is not None:
        return cached
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in _GLOBAL_OPS}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_globals(const)
    result = frozenset(n for n in names if isinstance(n, str))
    _code_globals_cache[code] = result
    return result


def _notebook_functions(value: object, namespace: dict) -> list[types.FunctionType]:
    """Functions defined in the notebook that using ``value`` may run directly."""
    if isinstance(value, types.MethodType):
        value = value.__func__
    if isinstance(value, types.FunctionType):
        return [value] if value.__globals__ is namespace else []
    cls = value if isinstance(value, type) else type(value)
    found: list[types.FunctionType] = []
    for klass in getattr(cls, "__mro__", ()):
        if klass is object or getattr(klass, "__module__", None) not in ("__main__", None):
            continue
        for attr in vars(klass).values():
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            if isinstance(attr, property):
                attr = attr.fget
            if isinstance(attr, types.FunctionType) and attr.__globals__ is namespace:
                found.append(attr)
    return found


def _held_callables(func: types.FunctionType) -> list[object]:
    """Values a function holds that it may call: closure cells (decorator wrappers), defaults."""
    held: list[object] = []
    for cell in func.__closure__ or ():
        try:
            held.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    held.extend(func.__defaults__ or ())
    held.extend((func.__kwdefaults__ or {}).values())
    return [v for v in held if callable(v)]


def _partial_parts(value: object) -> tuple[object, tuple]:
    """(function, bound arguments) of a ``functools.partial`` or of an object that keeps them the
    same way, in instance attributes ``func`` and ``args``; (None, ()) for anything else. Read
    from the instance's own ``__dict__``: a lookup through its class may run user code (a
    DataFrame's ``__getattr__`` looks for a column called "func")."""
    if isinstance(value, functools.partial):
        return value.func, value.args
    if isinstance(value, type):
        return None, ()
    try:
        state = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return None, ()
    if type(state) is not dict:
        return None, ()
    args = state.get("args", ())
    return state.get("func"), args if type(args) is tuple else ()


def indirect_globals(names: set[str], namespace: dict) -> set[str]:
    """Globals read or written by notebook-defined functions reachable from ``names``, transitively
    (through the globals those functions name, their closures and defaults, and
    ``functools.partial`` objects)."""
    seen: set[int] = set()
    result: set[str] = set()
    visited: set[str] = set()
    pending_names = [n for n in names if n in namespace]
    pending_values: list[object] = []
    while pending_names or pending_values:
        if pending_values:
            value = pending_values.pop()
        else:
            name = pending_names.pop()
            if name in visited:
                continue
            visited.add(name)
            value = namespace.get(name)
        partial_func, partial_args = _partial_parts(value)
        if isinstance(partial_func, types.FunctionType):
            # functools.partial: the wrapped function and callables among its bound arguments.
            if id(value) not in seen:
                seen.add(id(value))
                pending_values.append(partial_func)
                pending_values.extend(v for v in partial_args if callable(v))
        for func in _notebook_functions(value, namespace):
            if id(func) in seen:
                continue
            seen.add(id(func))
            pending_values.extend(_held_callables(func))
            for g in code_globals(func.__code__):
                if g in namespace:
                    result.add(g)
                    pending_names.append(g)
    return result - names
