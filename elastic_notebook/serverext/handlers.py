"""Authenticated routes under ``/elastic-notebook/api``.

Every route is an ``APIHandler`` with ``@tornado.web.authenticated``, so Jupyter's own token,
cookie and XSRF checks run before anything reaches the companion.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import tornado.web
from jupyter_server.base.handlers import APIHandler
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from ..bootstrap import bootstrap_code
from .companion import Companion, CompanionError, ingest_token
from .internal import internal_route_patterns

API_PREFIX = "elastic-notebook/api"

# Headers that must not be copied from the companion's response to the client.
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "server", "date"}
# Companion routes the browser must never reach through the proxy (agents post to it directly).
_AGENT_ONLY = re.compile(r"^kernels/[^/]+/records/?$")


class _CompanionHandler(APIHandler):
    @property
    def companion(self) -> Companion:
        return self.settings["elastic_notebook_companion"]

    def _error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": message}))


class BootstrapHandler(_CompanionHandler):
    """``GET kernels/<id>/bootstrap``: the code that loads the agent into that kernel."""

    @tornado.web.authenticated
    async def get(self, kernel_id: str) -> None:
        if kernel_id not in self.kernel_manager:
            return self._error(404, f"no running kernel with id {kernel_id!r}")
        try:
            await self.companion.wait_ready()
        except CompanionError as err:
            return self._error(503, str(err))
        code = bootstrap_code(
            kernel_id=kernel_id,
            companion_url=self.companion.url,
            ingest_token=ingest_token(self.companion.secret, kernel_id),
        )
        self.finish(json.dumps({"code": code, "agentVersion": self.settings["elastic_notebook_version"]}))


class ProxyHandler(_CompanionHandler):
    """Forwards ``/elastic-notebook/api/<path>`` to the companion's ``/api/<path>``."""

    @tornado.web.authenticated
    async def get(self, path: str) -> None:
        await self._forward(path)

    @tornado.web.authenticated
    async def post(self, path: str) -> None:
        await self._forward(path)

    @tornado.web.authenticated
    async def put(self, path: str) -> None:
        await self._forward(path)

    @tornado.web.authenticated
    async def patch(self, path: str) -> None:
        await self._forward(path)

    @tornado.web.authenticated
    async def delete(self, path: str) -> None:
        await self._forward(path)

    async def _forward(self, path: str) -> None:
        # Reading a run's records back (for a checkpoint) is fine; only posting them is the agent's.
        if _AGENT_ONLY.match(path) and self.request.method != "GET":
            return self._error(403, "records are posted by the kernel agent, not through Jupyter")
        try:
            await self.companion.wait_ready()
        except CompanionError as err:
            return self._error(503, str(err))
        # Tornado hands the path over decoded: encode it again ("targets/panel%20one").
        url = f"{self.companion.url}/api/{quote(path, safe='/')}"
        if self.request.query:
            url += "?" + self.request.query
        headers = {"X-Elastic-Notebook-Secret": self.companion.secret}
        if "Content-Type" in self.request.headers:
            headers["Content-Type"] = self.request.headers["Content-Type"]
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH") else None
        request = HTTPRequest(
            url,
            method=self.request.method,
            headers=headers,
            body=body if body is not None else (b"" if self.request.method in ("POST", "PUT", "PATCH") else None),
            request_timeout=600,
            follow_redirects=False,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as err:
            return self._error(502, f"companion server unreachable: {err}")
        if response.code == 599:  # tornado's code for a connection-level failure
            return self._error(502, f"companion server unreachable: {response.error}")
        self.set_status(response.code)
        for name, value in response.headers.get_all():
            if name.lower() not in _HOP_BY_HOP:
                self.set_header(name, value)
        self.finish(response.body or b"")


def route_patterns() -> list[tuple[str, type]]:
    """URL patterns (relative to the server's base URL) and their handlers: the authenticated
    API, and the companion's internal routes (secret and local callers only, see ``internal``)."""
    kernel = r"(?P<kernel_id>[A-Za-z0-9_.-]+)"
    return [
        (rf"/{API_PREFIX}/kernels/{kernel}/bootstrap", BootstrapHandler),
        (rf"/{API_PREFIX}/(?P<path>.*)", ProxyHandler),
        *internal_route_patterns(),
    ]
