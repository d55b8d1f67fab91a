"""Kernel websockets that send each message at once (TCP_NODELAY).

Tornado leaves Nagle's algorithm on for websockets, and a kernel answers a request with a few
small messages in a row (status busy, the reply, status idle): the second waits until the client
acknowledges the first, which a client delays by up to 40 ms. Every round trip through a kernel
websocket then takes about 45 ms instead of 3 ms, which adds up over the dozens of agent calls
of a restore (and shows in every small cell run from JupyterLab). Tornado's ``set_nodelay``
turns that off for one connection; this wraps the server's kernel websocket connection class
so that every kernel connection sets it.
"""

from __future__ import annotations

from typing import Any

SETTING = "kernel_websocket_connection_class"


def send_kernel_messages_at_once(settings: dict[str, Any]) -> bool:
    """Make the connection class in the web app ``settings`` set TCP_NODELAY on connect.

    Returns False (and changes nothing) when there is no class to wrap or it is wrapped already.
    """
    base = settings.get(SETTING)
    if base is None or getattr(base, "_sends_at_once", False):
        return False

    class AtOnceConnection(base):  # type: ignore[misc, valid-type]
        _sends_at_once = True

        def connect(self, *args: Any, **kwargs: Any) -> Any:
            handler = getattr(self, "websocket_handler", None)
            if handler is not None and getattr(handler, "ws_connection", None) is not None:
                handler.set_nodelay(True)
            return super().connect(*args, **kwargs)

    AtOnceConnection.__name__ = AtOnceConnection.__qualname__ = f"AtOnce{base.__name__}"
    settings[SETTING] = AtOnceConnection
    return True
