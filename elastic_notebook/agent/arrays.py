"""numpy views in payloads: pickled as (base array, position), so sharing survives a restore.

numpy pickles a view as a copy of the memory it sees, so a view and its base (or two overlapping
views) would come back as independent arrays. :func:`reduce_view` pickles the view's root array
(memoized like any object, so pickled once per group) and where the view sits in it; at load,
:func:`make_view` builds the same view on the restored root.

numpy pickles datetime64 and timedelta64 arrays in-band (their dtypes have no buffer format), so a
date column was copied into the pickle stream, and copied again at load. :func:`reduce_datetimes`
sends their memory out of band like any other array's.

Arrays held by pandas objects are left to numpy's copy: pandas records which frames share
memory itself (its copy-on-write references, which no pickle keeps), so restored shared memory
would let a write to one frame show through in another. :class:`PandasArrays` finds them.
"""

from __future__ import annotations

import gc
from typing import Any


def reduce_view(array: Any, ndarray: type) -> Any:
    """A reduce tuple rebuilding ``array`` as a view of its root, or None to let numpy copy it."""
    root = array.base
    while isinstance(root.base, ndarray):
        root = root.base
    if (
        type(root) is not ndarray
        or array.dtype.hasobject
        or root.dtype.hasobject
        or not (root.flags.c_contiguous or root.flags.f_contiguous)
    ):
        return None
    low, high = byte_span(root)
    start, end = byte_span(array)
    if start < low or end > high:
        return None
    offset = array.__array_interface__["data"][0] - low
    return make_view, (root, offset, array.shape, array.strides, array.dtype, bool(array.flags.writeable))


def reduce_datetimes(array: Any) -> Any:
    """A reduce tuple sending a contiguous datetime64/timedelta64 array's memory out of band,
    or None (not one, or not contiguous: numpy's own pickling copies it)."""
    if array.dtype.kind not in "mM" or not (array.flags.c_contiguous or array.flags.f_contiguous):
        return None
    order = "C" if array.flags.c_contiguous else "F"
    import pickle

    # The same memory seen as 8-byte integers, which have a buffer format.
    memory = array.view(f"{array.dtype.byteorder}i{array.dtype.itemsize}")
    return rebuild_datetimes, (pickle.PickleBuffer(memory), array.dtype, array.shape, order)


def rebuild_datetimes(buffer: Any, dtype: Any, shape: tuple, order: str) -> Any:
    """The array :func:`reduce_datetimes` described (payloads name this function: keep the name)."""
    import numpy as np

    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)


def byte_span(array: Any) -> tuple[int, int]:
    """The memory ``[low, high)`` an array's elements occupy."""
    start = array.__array_interface__["data"][0]
    if array.size == 0:
        return start, start
    low = high = start
    for n, stride in zip(array.shape, array.strides):
        step = (n - 1) * stride
        if step < 0:
            low += step
        else:
            high += step
    return low, high + array.itemsize


def make_view(root: Any, offset: int, shape: tuple, strides: tuple, dtype: Any, writeable: bool) -> Any:
    """The view :func:`reduce_view` described (payloads name this function: keep the name)."""
    import numpy as np

    memory = (root if root.flags.c_contiguous else root.T).reshape(-1).view(np.uint8)
    view = np.ndarray(shape, dtype=dtype, buffer=memory, offset=offset, strides=strides)
    if not writeable:
        view.flags.writeable = False
    return view


class PandasArrays:
    """The arrays reachable through pandas internals (managers, blocks, indexes, extension arrays)
    of the pandas objects met so far in one pickling."""

    def __init__(self, ndarray: type | None) -> None:
        self.ndarray = ndarray
        self.arrays: set[int] = set()
        self.seen: set[int] = set()

    def note(self, obj: Any) -> None:
        """Called for each pandas object the pickler meets, before it reaches the arrays inside."""
        if id(obj) in self.seen:
            return
        self.seen.add(id(obj))
        stack = [obj]
        while stack:
            for ref in gc.get_referents(stack.pop()):
                t = type(ref)
                if t is self.ndarray:
                    self.arrays.add(id(ref))
                elif id(ref) not in self.seen and (
                    t in (tuple, list, dict) or (t.__module__.startswith("pandas") and not isinstance(ref, type))
                ):
                    self.seen.add(id(ref))
                    stack.append(ref)

    def holds(self, array: Any) -> bool:
        return id(array) in self.arrays
