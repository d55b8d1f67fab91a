"""Internal routes under ``/elastic-notebook/internal``, for the companion only.

The companion runs checkpoints and restores without a browser, so it must reach the kernels of
this Jupyter server. These routes are not behind Jupyter's user authentication (the companion has
no Jupyter token); instead every request must come from this machine (a loopback address, or the
server's own address when it listens on a specific one) and carry the companion's shared secret
in ``X-Elastic-Notebook-Secret``, compared in constant time. A browser can neither know the secret
nor send that header cross-origin without a preflight these routes never grant, so XSRF checks
are replaced by the secret check.

Routes (all ``POST``, JSON in and out):

- ``kernels/<id>/execute`` ``{code, silent?, store_history?, user_expressions?, timeout?}`` ->
  ``{status, ename, evalue, user_expressions, executionCount}``
- ``kernels/<id>/restart`` -> ``{"ok": true}`` once the new kernel process answers
- ``kernels/<id>/bootstrap`` -> the execute answer of the agent's bootstrap code, plus ``agentVersion``
- ``python-info`` ``{modules: [names], folder?: absolute path}`` -> ``{version, executable, modules: {name: version | null}}``
  (this server's Python, which its default kernel runs; see ``python_info``)
- ``sessions`` ``{path, kernelName?}`` -> ``{"sessionId", "kernelId"}``: a notebook session with a new
  kernel, as JupyterLab opens one (a migration's target binds the copied notebook to the kernel it
  restores into)
- ``sessions/<id>/delete`` -> ``{"ok": true}``: end a session and shut its kernel down (a failed
  migration leaves nothing running on the target)
- ``kernels`` ``{path, kernelName?}`` -> ``{"kernelId"}``: a new kernel for the notebook at ``path``,
  started as a session would start it (the notebook's folder as working directory), bound to no
  session yet (a migration to "this machine" restores into it first)
- ``kernels/<id>/move-sessions`` ``{to}`` -> ``{"sessionIds"}``: every session using kernel ``<id>``
  now uses kernel ``to``; ``<id>`` keeps running (JupyterLab's open notebook follows the new kernel)
- ``kernels/<id>/shutdown`` -> ``{"ok": true}``: shut a kernel down (a migration's source, when
  asked; Jupyter's session manager drops the sessions of a kernel that is gone)
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
from typing import Any

import tornado.web
from jupyter_core.utils import ensure_async

from ..bootstrap import bootstrap_code
from . import kernel_exec
from .python_info import python_info
from .companion import Companion, ingest_token

try:  # jupyter_server >= 2.13 checks that every route declares its authentication.
    from jupyter_server.auth.decorator import allow_unauthenticated
except ImportError:  # pragma: no cover - older jupyter_server

    def allow_unauthenticated(method):  # type: ignore[no-redef]
        return method


INTERNAL_PREFIX = "elastic-notebook/internal"
SECRET_HEADER = "X-Elastic-Notebook-Secret"
# Largest code the execute route accepts (a restore re-runs cells; 16 MB is far beyond any cell).
_MAX_CODE = 16 * 1024 * 1024
_WILDCARDS = {"", "0.0.0.0", "::", "localhost"}


def internal_url(serverapp: Any) -> str | None:
    """The URL the companion uses to reach this server's internal routes, or None when the server
    listens on a Unix socket only."""
    if getattr(serverapp, "sock", ""):
        return None
    ip = serverapp.ip or ""
    host = "127.0.0.1" if ip in _WILDCARDS else ip
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if serverapp.certfile else "http"
    base = serverapp.base_url if serverapp.base_url.endswith("/") else serverapp.base_url + "/"
    return f"{scheme}://{host}:{serverapp.port}{base}"


def local_address(remote_ip: str | None, server_ip: str) -> bool:
    """Whether a request from ``remote_ip`` comes from this machine: a loopback address, or the
    specific address the server listens on."""
    if not remote_ip:
        return False
    try:
        address = ipaddress.ip_address(remote_ip.split("%", 1)[0])
    except ValueError:
        return False
    if address.is_loopback or getattr(address, "ipv4_mapped", None) and address.ipv4_mapped.is_loopback:
        return True
    return server_ip not in _WILDCARDS and remote_ip == server_ip


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _InternalHandler(tornado.web.RequestHandler):
    """Base of the internal routes: local callers with the shared secret only, JSON answers."""

    @property
    def companion(self) -> Companion:
        return self.settings["elastic_notebook_companion"]

    @property
    def kernel_manager(self) -> Any:
        return self.settings["kernel_manager"]

    def check_xsrf_cookie(self) -> None:
        """The shared secret replaces the XSRF check (see the module docstring)."""

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")

    def _reply(self, status: int, body: dict) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    def _check_caller(self) -> None:
        serverapp = self.settings.get("serverapp")
        server_ip = (getattr(serverapp, "ip", "") or "") if serverapp is not None else ""
        if not local_address(self.request.remote_ip, server_ip):
            raise _BadRequest(403, "internal routes answer requests from this machine only")
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.companion.secret.encode()):
            raise _BadRequest(401, f"missing or wrong {SECRET_HEADER}")

    def _check_kernel(self, kernel_id: str) -> None:
        if kernel_id not in self.kernel_manager:
            raise _BadRequest(404, f"no running kernel with id {kernel_id!r}")

    def _body(self) -> dict:
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except ValueError as err:
            raise _BadRequest(400, f"malformed JSON: {err}") from None
        if not isinstance(body, dict):
            raise _BadRequest(400, "request body: must be a JSON object")
        return body

    async def _run(self, kernel_id: str, action) -> None:  # noqa: ANN001
        """Check the caller and the kernel, then answer with ``await action()``; the kernel call
        is abandoned if the caller hangs up (the kernel itself finishes what it was doing)."""
        try:
            self._check_caller()
            self._check_kernel(kernel_id)
            self._task = asyncio.ensure_future(action())
            result = await self._task
        except _BadRequest as err:
            return self._reply(err.status, {"error": str(err)})
        except asyncio.CancelledError:
            return None  # the caller is gone: nobody to answer
        except KeyError:
            return self._reply(404, {"error": f"no running kernel with id {kernel_id!r}"})
        except kernel_exec.KernelGone as err:
            return self._reply(502, {"error": str(err)})
        except kernel_exec.KernelTimeout as err:
            return self._reply(504, {"error": str(err)})
        except Exception as err:  # noqa: BLE001 - answer JSON, never an HTML error page
            self.log_exception(type(err), err, err.__traceback__)
            return self._reply(500, {"error": f"internal error: {type(err).__name__}: {err}"})
        self._reply(200, result)

    def on_connection_close(self) -> None:
        task = getattr(self, "_task", None)
        if task is not None and not task.done():
            task.cancel()


def _flag(body: dict, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise _BadRequest(400, f"{key}: must be true or false")
    return value


def _execute_arguments(body: dict) -> dict:
    """Validate an execute body into keyword arguments of :func:`kernel_exec.execute`."""
    unknown = sorted(set(body) - {"code", "silent", "store_history", "user_expressions", "timeout"})
    if unknown:
        raise _BadRequest(400, f"{unknown[0]}: unknown field")
    code = body.get("code", "")
    if not isinstance(code, str):
        raise _BadRequest(400, "code: must be a string")
    if len(code) > _MAX_CODE:
        raise _BadRequest(400, f"code: longer than {_MAX_CODE} characters")
    expressions = body.get("user_expressions", {})
    if not isinstance(expressions, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in expressions.items()
    ):
        raise _BadRequest(400, "user_expressions: must map names to expression strings")
    timeout = body.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise _BadRequest(400, "timeout: must be a positive number of seconds or null")
    return {
        "code": code,
        "silent": _flag(body, "silent", True),
        "store_history": _flag(body, "store_history", False),
        "user_expressions": expressions,
        "timeout": timeout,
    }


class ExecuteHandler(_InternalHandler):
    """``POST kernels/<id>/execute``: one execute request, answered with the kernel's reply."""

    @allow_unauthenticated
    async def post(self, kernel_id: str) -> None:
        async def action() -> dict:
            arguments = _execute_arguments(self._body())
            return await kernel_exec.execute(self.kernel_manager, kernel_id, **arguments)

        await self._run(kernel_id, action)


class RestartHandler(_InternalHandler):
    """``POST kernels/<id>/restart``: a fresh kernel process, answered once it is ready."""

    @allow_unauthenticated
    async def post(self, kernel_id: str) -> None:
        async def action() -> dict:
            await kernel_exec.restart(self.kernel_manager, kernel_id)
            return {"ok": True}

        await self._run(kernel_id, action)


class BootstrapHandler(_InternalHandler):
    """``POST kernels/<id>/bootstrap``: load the agent into the kernel (idempotent)."""

    @allow_unauthenticated
    async def post(self, kernel_id: str) -> None:
        async def action() -> dict:
            code = bootstrap_code(
                kernel_id=kernel_id,
                companion_url=self.companion.url,
                ingest_token=ingest_token(self.companion.secret, kernel_id),
            )
            result = await kernel_exec.execute(self.kernel_manager, kernel_id, code, silent=True, store_history=False)
            return {**result, "agentVersion": self.settings["elastic_notebook_version"]}

        await self._run(kernel_id, action)


class PythonInfoHandler(_InternalHandler):
    """``POST python-info``: this Python's version and the versions of some modules."""

    @allow_unauthenticated
    async def post(self) -> None:
        try:
            self._check_caller()
            body = self._body()
            modules, folder = body.get("modules", []), body.get("folder")
            # Off the event loop: listing the distributions reads many small files.
            result = await asyncio.get_running_loop().run_in_executor(None, python_info, modules, folder)
        except _BadRequest as err:
            return self._reply(err.status, {"error": str(err)})
        except ValueError as err:
            return self._reply(400, {"error": str(err)})
        self._reply(200, result)


class _SessionHandler(_InternalHandler):
    """Base of the session routes: local callers with the secret, no kernel to check first."""

    @property
    def session_manager(self) -> Any:
        return self.settings["session_manager"]

    def _session_arguments(self) -> tuple[str, str | None]:
        """The body's notebook path and kernel name (None: the default), the kernel known here."""
        path, kernel_name = _session_arguments(self._body())
        if kernel_name is not None and kernel_name not in self.settings["kernel_spec_manager"].find_kernel_specs():
            raise _BadRequest(400, f"kernelName: no kernel {kernel_name!r} on this server")
        return path, kernel_name

    async def _answer(self, action) -> None:  # noqa: ANN001
        try:
            self._check_caller()
            result = await action()
        except _BadRequest as err:
            return self._reply(err.status, {"error": str(err)})
        except Exception as err:  # noqa: BLE001 - answer JSON, never an HTML error page
            self.log_exception(type(err), err, err.__traceback__)
            return self._reply(500, {"error": f"internal error: {type(err).__name__}: {err}"})
        self._reply(200, result)


def _session_arguments(body: dict) -> tuple[str, str | None]:
    """Validate a session body into the notebook path and the kernel name (None: the default)."""
    unknown = sorted(set(body) - {"path", "kernelName"})
    if unknown:
        raise _BadRequest(400, f"{unknown[0]}: unknown field")
    path = body.get("path")
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/"):
        raise _BadRequest(400, "path: must be a notebook path relative to the server's root")
    kernel_name = body.get("kernelName")
    if kernel_name is not None and (not isinstance(kernel_name, str) or not kernel_name):
        raise _BadRequest(400, "kernelName: must be a kernel name or null")
    return path, kernel_name


class SessionsHandler(_SessionHandler):
    """``POST sessions``: a notebook session for ``path`` with a new kernel."""

    @allow_unauthenticated
    async def post(self) -> None:
        async def action() -> dict:
            path, kernel_name = self._session_arguments()
            model = await self.session_manager.create_session(
                path=path, name=path.rsplit("/", 1)[-1], type="notebook", kernel_name=kernel_name
            )
            return {"sessionId": model["id"], "kernelId": model["kernel"]["id"]}

        await self._answer(action)


class SessionDeleteHandler(_SessionHandler):
    """``POST sessions/<id>/delete``: end the session and shut its kernel down."""

    @allow_unauthenticated
    async def post(self, session_id: str) -> None:
        async def action() -> dict:
            try:
                await self.session_manager.delete_session(session_id)
            except (KeyError, tornado.web.HTTPError):
                raise _BadRequest(404, f"no session with id {session_id!r}") from None
            return {"ok": True}

        await self._answer(action)


class KernelStartHandler(_SessionHandler):
    """``POST kernels``: a new kernel for a notebook, in no session yet."""

    @allow_unauthenticated
    async def post(self) -> None:
        async def action() -> dict:
            path, kernel_name = self._session_arguments()
            # The session manager's own way of starting a session's kernel: same working
            # directory and environment (JPY_SESSION_NAME) as when the notebook opens.
            kernel_id = await self.session_manager.start_kernel_for_session(
                session_id="", path=path, name=path.rsplit("/", 1)[-1], type="notebook", kernel_name=kernel_name
            )
            return {"kernelId": kernel_id}

        await self._answer(action)


class MoveSessionsHandler(_InternalHandler):
    """``POST kernels/<id>/move-sessions``: the kernel's sessions use another kernel from now on."""

    @allow_unauthenticated
    async def post(self, kernel_id: str) -> None:
        async def action() -> dict:
            body = self._body()
            unknown = sorted(set(body) - {"to"})
            if unknown:
                raise _BadRequest(400, f"{unknown[0]}: unknown field")
            to = body.get("to")
            if not isinstance(to, str) or to not in self.kernel_manager:
                raise _BadRequest(400, f"to: no running kernel with id {to!r}")
            sessions = self.settings["session_manager"]
            moved = [s["id"] for s in await sessions.list_sessions() if s["kernel"]["id"] == kernel_id]
            for session_id in moved:
                # Not the REST API's PATCH, which would shut the old kernel down.
                await sessions.update_session(session_id, kernel_id=to)
            return {"sessionIds": moved}

        await self._run(kernel_id, action)


class ShutdownHandler(_InternalHandler):
    """``POST kernels/<id>/shutdown``: shut the kernel down."""

    @allow_unauthenticated
    async def post(self, kernel_id: str) -> None:
        async def action() -> dict:
            await ensure_async(self.kernel_manager.shutdown_kernel(kernel_id))
            return {"ok": True}

        await self._run(kernel_id, action)


def internal_route_patterns() -> list[tuple[str, type]]:
    """URL patterns (relative to the server's base URL) of the internal routes."""
    kernel = r"(?P<kernel_id>[A-Za-z0-9_.-]+)"
    return [
        (rf"/{INTERNAL_PREFIX}/kernels/{kernel}/execute", ExecuteHandler),
        (rf"/{INTERNAL_PREFIX}/kernels/{kernel}/restart", RestartHandler),
        (rf"/{INTERNAL_PREFIX}/kernels/{kernel}/bootstrap", BootstrapHandler),
        (rf"/{INTERNAL_PREFIX}/kernels", KernelStartHandler),
        (rf"/{INTERNAL_PREFIX}/kernels/{kernel}/move-sessions", MoveSessionsHandler),
        (rf"/{INTERNAL_PREFIX}/kernels/{kernel}/shutdown", ShutdownHandler),
        (rf"/{INTERNAL_PREFIX}/python-info", PythonInfoHandler),
        (rf"/{INTERNAL_PREFIX}/sessions", SessionsHandler),
        (rf"/{INTERNAL_PREFIX}/sessions/(?P<session_id>[A-Za-z0-9_.-]+)/delete", SessionDeleteHandler),
    ]
