"""Which variables are linked (share an object), maintained incrementally across cells."""

from __future__ import annotations

from typing import Iterable


class LinkIndex:
    """Index from object id to the variables reaching it.

    Updating one variable costs the size of its old and new id sets; computing groups costs the
    number of *shared* objects, not the total number of objects in the session.
    """

    def __init__(self) -> None:
        self._ids: dict[str, frozenset[int]] = {}
        self._owners: dict[int, set[str]] = {}
        self._shared: set[int] = set()
        self._roots: dict[str, str] | None = None  # components, until the next change

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
        for i in ids_added:
            owners = self._owners.setdefault(i, set())
            owners.add(name)
            if len(owners) > 1:
                self._shared.add(i)
                self._roots = None

    def remove(self, name: str) -> None:
        """Forget a deleted variable."""
        old = self._ids.pop(name, None)
        if old is not None:
            self._drop(name, old)

    def _drop(self, name: str, ids: Iterable[int]) -> None:
        for i in ids:
            owners = self._owners.get(i)
            if owners is None:
                continue
            if i in self._shared:
                self._roots = None  # a shared object loses an owner: groups may split
            owners.discard(name)
            if not owners:
                del self._owners[i]
            if len(owners) <= 1:
                self._shared.discard(i)

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
        roots = self._components()
        by_root: dict[str, list[str]] = {}
        for name in names:
            by_root.setdefault(roots.get(name, name), []).append(name)
        return sorted((sorted(g) for g in by_root.values()), key=lambda g: g[0])
