"""numpy views in payloads: pickled as (base array, position), so sharing survives a restore.

numpy pickles a view as a copy of the memory it sees, so a view and its base (or two overlapping
views) would come back as independent arrays. :func:`reduce_view` pickles the view's root array
(memoized like any object, so pickled once per group) and where the view sits in it; at load,
:func:`make_view` builds the same view on the restored root.

Arrays that own their memory go through :func:`reduce_array`: out of band (dates included, which
numpy would pickle in-band), and read back into arrays of their own, so that a restored array owns
its memory as the original did.

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


# Arrays smaller than this travel in the pickle stream (see reduce_array).
INBAND_BYTES = 64 << 10


def reduce_dtype(dtype: Any) -> Any:
    """A reduce tuple naming one of numpy's builtin dtypes, or None for any other dtype.

    Builtin dtypes are singletons (``np.dtype("float64") is np.dtype("float64")``) and library code
    relies on it: ``np.asarray(a, dtype=np.float64)`` returns ``a`` itself only for that instance,
    a view otherwise (scikit-learn's ``KDTree`` then keeps a view, not the array its estimator
    holds). numpy's own pickling rebuilds an equal new instance, which every array computed from a
    restored one inherits; by name, loading gives the singleton back.
    """
    import numpy as np

    if dtype.metadata is not None or dtype.isbuiltin != 1:
        return None
    return np.dtype, (dtype.str,)


def reduce_array(array: Any, layouts: dict[int, list]) -> Any:
    """A reduce tuple sending a contiguous array's memory out of band, or None (object arrays,
    non-contiguous ones: numpy's own pickling copies them).

    The buffer's layout (dtype, shape, order) goes into ``layouts`` under the buffer's id, so a
    reader can allocate the array first and read the bytes straight into it: the restored array
    owns its memory like the original (``view.base is array`` holds again). Dates and durations
    go out of band too, through an integer view (numpy pickles them in-band, as a copy).
    """
    if array.dtype.hasobject or not (array.flags.c_contiguous or array.flags.f_contiguous):
        return None
    order = "C" if array.flags.c_contiguous else "F"
    if array.nbytes < INBAND_BYTES:
        # Small: in the stream, copied into an array of its own at load (a layout per tiny
        # buffer would cost more header than the bytes; a model holds hundreds of them).
        return rebuild_small_array, (array.tobytes(order="A"), array.dtype, array.shape, order, bool(array.flags.writeable))
    memory = array
    if array.dtype.kind in "mM":  # no buffer format: the same memory as 8-byte integers
        memory = array.view(f"{array.dtype.byteorder}i{array.dtype.itemsize}")
    import pickle

    buffer = pickle.PickleBuffer(memory)
    simple = array.dtype.fields is None and array.dtype.subdtype is None
    if simple:
        layouts[id(buffer)] = [array.dtype.str, list(array.shape), order]
    return rebuild_array, (buffer, array.dtype, array.shape, order)


def rebuild_array(buffer: Any, dtype: Any, shape: tuple, order: str) -> Any:
    """The array :func:`reduce_array` described (payloads name this function: keep the name):
    the buffer itself when the reader already made it that array, else an array on it."""
    import numpy as np

    if type(buffer) is np.ndarray and buffer.dtype == dtype and buffer.shape == tuple(shape):
        return buffer
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)


def rebuild_small_array(data: bytes, dtype: Any, shape: tuple, order: str, writeable: bool) -> Any:
    """The small array :func:`reduce_array` put in the stream (payloads name this function)."""
    import numpy as np

    array = np.empty(shape, dtype=dtype, order=order)
    # Byte for byte: a structured dtype's padding too (an array copy goes field by field).
    writable_bytes(array)[:] = np.frombuffer(data, dtype=np.uint8)
    if not writeable:
        array.flags.writeable = False
    return array


def new_array(layout: Any, nbytes: int) -> Any:
    """An uninitialised array of a payload buffer's ``layout`` (see :func:`reduce_array`), or
    None when the layout is unknown or does not match ``nbytes``."""
    if not (isinstance(layout, list) and len(layout) == 3):
        return None
    import numpy as np

    try:
        dtype, shape, order = np.dtype(layout[0]), tuple(int(n) for n in layout[1]), layout[2]
        if order not in ("C", "F") or dtype.hasobject or dtype.itemsize * int(np.prod(shape, dtype=np.int64)) != nbytes:
            return None
        return np.empty(shape, dtype=dtype, order=order)
    except (TypeError, ValueError):
        return None


def writable_bytes(array: Any) -> Any:
    """A flat uint8 view of a contiguous array's memory, to read its bytes into."""
    import numpy as np

    flat = array.reshape(1) if array.ndim == 0 else array
    flat = flat if flat.flags.c_contiguous else flat.T
    return flat.view(np.uint8).reshape(-1)


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

    try:
        # On the root itself, so that ``view.base is root`` as in the original session.
        view = np.ndarray(shape, dtype=dtype, buffer=root, offset=offset, strides=strides)
    except (TypeError, ValueError, BufferError):
        # A root without a buffer format (datetime64): through a byte view of its memory.
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
