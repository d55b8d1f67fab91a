"""matplotlib's ``CallbackRegistry`` (every figure, axes and colorbar mappable holds one), read
without changing it: its ``__getstate__`` calls ``next`` on the registry's id counter, so pickling
or fingerprinting a figure changed what the user's next ``mpl_connect`` returns (and made a figure
fingerprint differently on every walk)."""

from __future__ import annotations

import copyreg
import re
import sys
from typing import Any

_COUNT = re.compile(r"count\((-?\d+)\)")


def callback_registry_type() -> type | None:
    """matplotlib's ``CallbackRegistry`` class, if matplotlib is imported."""
    return getattr(sys.modules.get("matplotlib.cbook"), "CallbackRegistry", None)


def registry_state(registry: Any) -> dict | None:
    """What ``registry.__getstate__()`` returns, with the counter's current value instead of the
    next one taken from it; None when the registry is not laid out as expected."""
    try:
        count = _COUNT.fullmatch(repr(registry._cid_gen))
        if count is None:
            return None
        return {
            **vars(registry),
            # As matplotlib does: callbacks are dropped unless marked to be pickled.
            "callbacks": {
                signal: {cid: proxy() for cid, proxy in entries.items() if cid in registry._pickled_cids}
                for signal, entries in registry.callbacks.items()
            },
            "_func_cid_map": None,
            "_cid_gen": int(count.group(1)),
        }
    except Exception:  # noqa: BLE001 - another matplotlib version: its own __getstate__ then
        return None


def reduce_registry(registry: Any) -> Any:
    """A reduce tuple for ``registry`` that leaves it unchanged, or NotImplemented."""
    state = registry_state(registry)
    if state is None:
        return NotImplemented
    return copyreg.__newobj__, (type(registry),), state
