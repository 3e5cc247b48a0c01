"""Serve the bundled demo sites (or any folder of fixture sites) on 127.0.0.1.

Files are served as they are. A site can script HTTP behaviour in a ``_routes.yml`` at its
root, path by path::

    /article/too-many: {status: 429, headers: {Retry-After: "1"}}
    /loop/a: {status: 302, headers: {Location: /loop/b}}
    /big.html: {status: 200, repeat: {file: filler.html, times: 1300}}
    /gbk.xml: {file: feeds/gbk.xml, headers: {Content-Type: "text/xml; charset=gbk"}}

Every request is counted per path in :attr:`SiteServer.hits` (and per User-Agent in
:attr:`SiteServer.user_agents`), so tests can assert what a crawl did and did not fetch.
"""

from __future__ import annotations

import mimetypes
import sys
import threading
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

SITES = Path(__file__).with_name("sites")
ROUTES_FILE = "_routes.yml"


def _load_routes(root: Path) -> dict[str, dict[str, Any]]:
    routes: dict[str, dict[str, Any]] = {}
    for routes_file in root.rglob(ROUTES_FILE):
        prefix = "/" + routes_file.parent.relative_to(root).as_posix()
        prefix = "" if prefix == "/." else prefix
        for path, route in (yaml.safe_load(routes_file.read_text(encoding="utf-8")) or {}).items():
            routes[prefix + path] = {"base": routes_file.parent, **(route or {})}
    return routes


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        self.server.hits[path] += 1
        self.server.user_agents[self.headers.get("User-Agent", "")] += 1
        route = self.server.routes.get(path)
        if route is not None:
            self._send_route(route)
            return
        target = (self.server.root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.server.root) or not target.is_file():
            self._send(HTTPStatus.NOT_FOUND, b"<html><body>404 Not Found</body></html>", {})
            return
        self._send(HTTPStatus.OK, target.read_bytes(), {"Content-Type": _content_type(target)})

    def _send_route(self, route: dict[str, Any]) -> None:
        base: Path = route["base"]
        headers = dict(route.get("headers") or {})
        body = b""
        if "file" in route:
            body = (base / route["file"]).read_bytes()
            headers.setdefault("Content-Type", _content_type(base / route["file"]))
        if "repeat" in route:
            chunk = (base / route["repeat"]["file"]).read_bytes()
            body = chunk * int(route["repeat"]["times"])
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        if "body" in route:
            body = str(route["body"]).encode("utf-8")
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        self._send(HTTPStatus(int(route.get("status", 200))), body, headers)

    def _send(self, status: HTTPStatus, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind in ("text/html", "application/xml") else kind


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-response (a crawler refusing a 5 MB page) is normal."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, root: Path, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.root = root.resolve()
        self.routes = _load_routes(self.root)
        self.hits: Counter[str] = Counter()
        self.user_agents: Counter[str] = Counter()


class SiteServer:
    """A threaded HTTP server for a folder of sites, on 127.0.0.1 only.

    Use as a context manager; ``url`` is the root, ``site_url("zaker")`` a site's base URL.
    """

    def __init__(self, root: Path = SITES, port: int = 0) -> None:
        self._server = _Server(root, port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the served folder, without a trailing slash."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> Counter[str]:
        """Requests served so far, per path."""
        return self._server.hits

    @property
    def user_agents(self) -> Counter[str]:
        """Requests served so far, per ``User-Agent`` header."""
        return self._server.user_agents

    def site_url(self, site: str) -> str:
        """Base URL of one site (a top-level folder)."""
        return f"{self.url}/{site}"

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
