"""Silent execute requests and restarts on the kernels of this Jupyter server, for the companion.

The companion drives checkpoints and restores itself (the browser is only a view), so it needs to
run code in a kernel the way a frontend would. This module does that through jupyter_client: a
private client with its own shell socket per request, so the kernel's reply comes back to us
only, and nothing is read from IOPub (the companion needs the reply, not the outputs).
"""

from __future__ import annotations

import asyncio
import inspect
from queue import Empty
from typing import Any

# How often a wait for a reply checks that the kernel is still the same live process.
_POLL_SECONDS = 1.0


class KernelGone(RuntimeError):
    """The kernel died or was restarted before it answered."""


class KernelTimeout(RuntimeError):
    """The kernel did not answer within the caller's time limit."""


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _alive(kernel: Any) -> bool:
    return bool(await _maybe_await(kernel.is_alive()))


def _process_of(kernel: Any) -> Any:
    """What identifies the kernel's current process: the provisioner's process object (a restart,
    including the kernel manager's automatic one after a crash, keeps the provisioner but starts a
    new process), else the provisioner itself."""
    provisioner = getattr(kernel, "provisioner", None)
    return getattr(provisioner, "process", None) or provisioner


async def execute(
    kernel_manager: Any,
    kernel_id: str,
    code: str,
    *,
    silent: bool = True,
    store_history: bool = False,
    user_expressions: dict[str, str] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run one execute request on the kernel ``kernel_id`` and return the essentials of its reply.

    Returns ``{"status", "ename", "evalue", "user_expressions", "executionCount"}``. Raises
    ``KeyError`` for an unknown kernel, :class:`KernelGone` when the kernel dies or is replaced
    by a restart while the request runs, :class:`KernelTimeout` after ``timeout`` seconds (the
    kernel keeps running the code; the caller decides whether to interrupt it).
    """
    kernel = kernel_manager.get_kernel(kernel_id)
    process = _process_of(kernel)
    client = kernel.client()
    client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    try:
        msg_id = client.execute(
            code,
            silent=silent,
            store_history=store_history,
            user_expressions=user_expressions or {},
            allow_stdin=False,
            # One request at a time: never let an error abort the next request in the queue.
            stop_on_error=False,
        )
        while True:
            wait = _POLL_SECONDS if deadline is None else max(0.0, min(_POLL_SECONDS, deadline - loop.time()))
            try:
                msg = await client.get_shell_msg(timeout=wait)
            except Empty:
                if _process_of(kernel) is not process or not await _alive(kernel):
                    raise KernelGone(f"kernel {kernel_id} died or was restarted before it answered") from None
                if deadline is not None and loop.time() >= deadline:
                    raise KernelTimeout(f"kernel {kernel_id} did not answer within {timeout:g} s") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue  # not ours (cannot happen on a private socket, but cheap to check)
            content = msg.get("content", {})
            return {
                "status": content.get("status", "error"),
                "ename": content.get("ename"),
                "evalue": content.get("evalue"),
                "user_expressions": content.get("user_expressions", {}),
                "executionCount": content.get("execution_count"),
            }
    finally:
        client.stop_channels()


async def restart(kernel_manager: Any, kernel_id: str) -> None:
    """Restart the kernel ``kernel_id`` (a fresh process, same id and connection) and wait until
    it answers. Raises ``KeyError`` for an unknown kernel."""
    if kernel_id not in kernel_manager:
        raise KeyError(kernel_id)
    # jupyter_server's restart_kernel returns a future that resolves on the new process's
    # kernel_info reply; older versions resolve directly.
    started = await _maybe_await(kernel_manager.restart_kernel(kernel_id))
    await _maybe_await(started)
