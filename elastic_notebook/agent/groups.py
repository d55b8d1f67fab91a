"""Which variables are linked (share an object), maintained incrementally across cells."""

from __future__ import annotations

from typing import Iterable


class LinkIndex:
    """Index from object id to the variables reaching it.

    Updating one variable costs the size of its old and new id sets; computing groups costs the
    number of *shared* objects, not the total number of objects in the session. Most objects have
    one owner, kept as a plain name (a set only once shared): a variable reaching 200,000 objects
    costs one dict entry per object, not a set each.
    """

    def __init__(self) -> None:
        self._ids: dict[str, frozenset[int]] = {}
        self._owners: dict[int, str | set[str]] = {}
        self._shared: set[int] = set()
        self._roots: dict[str, str] | None = None  # components, until a shared object changes owners
        self._groups: tuple[tuple[str, ...], list[list[str]]] | None = None  # the last groups() answer

    def update(self, name: str, ids: frozenset[int]) -> None:
        """Set the ids ``name`` reaches."""
        old = self._ids.get(name)
        if old == ids:
            return
        if old is not None:
            self._drop(name, old - ids)
            ids_added = ids - old
        else:
            ids_added = ids
        self._ids[name] = ids
        owners = self._owners
        for i in ids_added:
            held = owners.get(i)
            if held is None:
                owners[i] = name
            elif type(held) is str:
                if held != name:
                    owners[i] = {held, name}
                    self._shared.add(i)
                    self._changed()
            elif name not in held:
                held.add(name)
                self._changed()

    def remove(self, name: str) -> None:
        """Forget a deleted variable."""
        old = self._ids.pop(name, None)
        if old is not None:
            self._drop(name, old)

    def _drop(self, name: str, ids: Iterable[int]) -> None:
        owners = self._owners
        for i in ids:
            held = owners.get(i)
            if held is None:
                continue
            if type(held) is str:
                if held == name:
                    del owners[i]
                continue
            held.discard(name)  # a shared object loses an owner: groups may split
            self._changed()
            if len(held) <= 1:
                self._shared.discard(i)
                if held:
                    owners[i] = next(iter(held))
                else:
                    del owners[i]

    def _changed(self) -> None:
        self._roots = None
        self._groups = None

    def _components(self) -> dict[str, str]:
        """Root of each variable that shares something (cached: most cells change no link)."""
        if self._roots is None:
            self._roots = self._union_find()
        return self._roots

    def _union_find(self) -> dict[str, str]:
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for i in self._shared:
            first, *rest = self._owners[i]
            root = find(first)
            for other in rest:
                r = find(other)
                if r != root:
                    parent[r] = root
        return {name: find(name) for name in parent}

    def linked_with(self, names: set[str]) -> set[str]:
        """``names`` plus every variable in the same group as one of them."""
        roots = self._components()
        wanted = {roots[n] for n in names if n in roots}
        return set(names) | {n for n, r in roots.items() if r in wanted}

    def groups(self, names: Iterable[str]) -> list[list[str]]:
        """Linked groups covering exactly ``names`` (each sorted; groups sorted by first member)."""
        key = tuple(names)
        cached = self._groups
        if cached is None or cached[0] != key:
            roots = self._components()
            by_root: dict[str, list[str]] = {}
            for name in key:
                by_root.setdefault(roots.get(name, name), []).append(name)
            cached = self._groups = (key, sorted((sorted(g) for g in by_root.values()), key=lambda g: g[0]))
        return [list(g) for g in cached[1]]  # copies: callers keep them in records
