"""A real HTTP server on 127.0.0.1 for tests, with canned and custom routes.

Usage::

    with LocalServer() as server:
        server.route("/feed.xml", body=rss, content_type="application/rss+xml")
        server.route_handler("/slow", trickle)       # fn(handler) writes the answer
        url = server.url("/feed.xml")
        ...
        assert server.requests[0][2]["if-none-match"] == '"v1"'

Each request runs in its own daemon thread and every response closes its
connection (HTTP/1.0), so no keep-alive connection holds a thread after a
test. On exit the server stops accepting, sets ``stopping`` (custom handlers
that wait or trickle should watch it), waits briefly for handler threads,
and re-raises the first error a handler raised, so a broken test handler
fails its test instead of only confusing the client.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = ["ConcurrencyProbe", "LocalServer", "RequestHandler", "local_server_fixture"]

Handler = Callable[["RequestHandler"], None]

# A client that gives up (timeout, size cap) closes its socket while the
# handler is still writing; that is expected, not a test failure.
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(frozen=True)
class _Route:
    body: bytes
    status: int
    headers: Mapping[str, str]
    delay: float
    content_type: str | None


class RequestHandler(BaseHTTPRequestHandler):
    """The handler custom route functions receive.

    Besides the usual ``BaseHTTPRequestHandler`` API (``path``, ``headers``,
    ``send_response``, ``send_header``, ``end_headers``, ``wfile``) it offers
    ``stopping`` (an Event set when the server shuts down) and ``respond``.
    """

    server: _Server
    # Blocking socket operations give up after this long, so a stuck client
    # cannot keep a handler thread alive past the test.
    timeout = 10.0

    @property
    def stopping(self) -> threading.Event:
        """Set when the server is shutting down; wait on it instead of sleeping."""
        return self.server.stopping

    def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        content_type: str | None = "text/html; charset=utf-8",
    ) -> None:
        """Send a complete answer with a Content-Length."""
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.dispatch(self)

    do_HEAD = do_GET
    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet; ``LocalServer.requests`` records traffic."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Handler threads are joined by LocalServer.close with a time limit, not
    # by socketserver without one.
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RequestHandler)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.routes: dict[str, _Route | Handler] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.errors: list[BaseException] = []
        self.workers: set[threading.Thread] = set()

    def process_request_thread(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        current = threading.current_thread()
        with self.lock:
            self.workers.add(current)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.workers.discard(current)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is None or isinstance(error, _CLIENT_GONE):
            return
        with self.lock:
            self.errors.append(error)

    def dispatch(self, handler: RequestHandler) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self.lock:
            self.seen.append((handler.command, handler.path, headers))
            route = self.routes.get(handler.path)
            if route is None:
                route = self.routes.get(handler.path.partition("?")[0])
        if route is None:
            handler.respond(404, b"not found", content_type="text/plain")
        elif isinstance(route, _Route):
            if route.delay > 0 and self.stopping.wait(route.delay):
                return  # shutting down: drop the connection unanswered
            handler.respond(route.status, route.body, route.headers, route.content_type)
        else:
            route(handler)


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 and an ephemeral port.

    The port is bound on construction; ``start`` (or ``with``) serves it.
    """

    def __init__(self) -> None:
        self._server = _Server()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(raise_errors=exc is None)

    def start(self) -> None:
        """Start serving in a background thread."""
        if self._thread is not None:
            raise RuntimeError("LocalServer already started")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"LocalServer:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def close(self, *, raise_errors: bool = True, grace: float = 5.0) -> None:
        """Stop serving, release the port, and wait up to ``grace`` seconds
        for handler threads. Re-raises the first handler error."""
        server = self._server
        server.stopping.set()
        if self._thread is not None:
            server.shutdown()
            self._thread.join()
            self._thread = None
        server.server_close()
        with server.lock:
            workers = list(server.workers)
        for worker in workers:
            worker.join(timeout=grace)
        if raise_errors and server.errors:
            raise server.errors[0]

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def stopping(self) -> threading.Event:
        """Set once the server starts shutting down."""
        return self._server.stopping

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        if not path.startswith("/"):
            path = "/" + path
        return f"http://127.0.0.1:{self.port}{path}"

    def route(
        self,
        path: str,
        body: bytes = b"",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        content_type: str | None = "text/html; charset=utf-8",
    ) -> None:
        """Answer GET ``path`` with a fixed response after ``delay`` seconds.

        ``path`` matches the request path exactly, query included, or else
        the request path without its query. ``content_type=None`` sends no
        Content-Type header.
        """
        with self._server.lock:
            self._server.routes[path] = _Route(
                body, status, dict(headers or {}), delay, content_type
            )

    def route_handler(self, path: str, fn: Handler) -> None:
        """Let ``fn(handler)`` write the whole answer to requests for ``path``."""
        with self._server.lock:
            self._server.routes[path] = fn

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        """``(method, path, headers)`` of every request so far, oldest first.

        Header names are lower-cased. Returns a copy.
        """
        with self._server.lock:
            return list(self._server.seen)

    def paths(self) -> list[str]:
        """The request paths seen so far, oldest first."""
        return [path for _, path, _ in self.requests]


class ConcurrencyProbe:
    """A handler that answers after ``hold`` seconds and records the peak
    number of requests in flight at once."""

    def __init__(self, body: bytes, hold: float = 0.15):
        self.body = body
        self.hold = hold
        self.peak = 0
        self._active = 0
        self._lock = threading.Lock()

    def __call__(self, handler: RequestHandler) -> None:
        with self._lock:
            self._active += 1
            self.peak = max(self.peak, self._active)
        try:
            handler.stopping.wait(self.hold)
            handler.respond(200, self.body)
        finally:
            with self._lock:
                self._active -= 1


def local_server_fixture() -> Iterator[LocalServer]:
    """Generator for a pytest fixture: ``pytest.fixture(local_server_fixture)``."""
    with LocalServer() as server:
        yield server
