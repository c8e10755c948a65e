"""A small local HTTP server for bundled sample sites (demo, eval, tests).

Serves a fixed table of paths on 127.0.0.1 from a background thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        found = self.server.routes.get(path)
        if found is None:
            self.send_error(404, "not found")
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the demo prints its own summary."""


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    routes: Mapping[str, tuple[str, bytes]]


class SiteServer:
    """Serve ``routes`` (path → (content type, body)) on 127.0.0.1.

    Usage::

        with SiteServer() as server:
            server.routes = build_routes(server.base_url)
    """

    def __init__(self) -> None:
        self._server = _SiteServer(("127.0.0.1", 0), _Handler)
        self._server.routes = {}
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def routes(self) -> Mapping[str, tuple[str, bytes]]:
        """What the server answers."""
        return self._server.routes

    @routes.setter
    def routes(self, value: Mapping[str, tuple[str, bytes]]) -> None:
        self._server.routes = value

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
