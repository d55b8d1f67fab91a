"""Cells whose results cannot be replayed: they draw fresh entropy from the operating system.

Replaying a cell gives the same results when its randomness comes from Python's or numpy's global
generator (their states are recorded before each execution). A cell that creates a generator of
its own without a seed (``np.random.default_rng()``, ``random.Random()``), or asks the OS for
random bytes (``os.urandom``, ``secrets``, ``uuid.uuid4``), gets different numbers on every run:
its results must be copied, never recomputed. So must those of a cell that reads a global
generator's state without drawing (``random.getstate()``, ``np.random.get_state()``): the state
of a generator nothing draws from is not kept in a bundle. This is read from the cell's code, conservatively
by name, so a user function with one of these names is also treated as non-replayable (a copy
instead of a re-run: slower perhaps, never wrong). The cell analysis calls it on the tree it
has already parsed (``CellNames.fresh_entropy``).
"""

from __future__ import annotations

import ast

# Constructors that seed themselves from the OS when called without a seed.
_SEEDED_BY_ARGUMENT = frozenset(
    {"default_rng", "Random", "RandomState", "SeedSequence", "PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"}
)
# Calls that always return fresh entropy, or a global generator's state.
_ALWAYS_FRESH = frozenset(
    {"urandom", "SystemRandom", "uuid1", "uuid4", "token_bytes", "token_hex", "token_urlsafe", "randbelow", "getrandom",
     "getstate", "get_state"}
)


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def draws_fresh_entropy(tree: ast.AST) -> bool:
    """Whether running the parsed cell ``tree`` draws entropy from the OS."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name in _ALWAYS_FRESH:
            return True
        if name in _SEEDED_BY_ARGUMENT:
            given = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("seed", "entropy", "x") or k.arg is None)]
            if not given or all(isinstance(v, ast.Constant) and v.value is None for v in given):
                return True
    return False
