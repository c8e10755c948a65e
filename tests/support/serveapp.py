"""``ingestd serve``'s app on a real uvicorn server on 127.0.0.1, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ingestd.serve.app import LOOPBACK_HOSTS, ServeConfig, WebServer, build_app


@contextmanager
def serving(
    url: str,
    *,
    token: str | None = None,
    hosts: tuple[str, ...] = LOOPBACK_HOSTS,
    budget_s: float = 2.0,
) -> Iterator[str]:
    """The app over the store at ``url``; yields its base URL (``http://127.0.0.1:PORT``)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it small responses wait ~40 ms
    # for a delayed ACK (uvicorn binding its own socket does not).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = build_app(ServeConfig(url=url, token=token, allowed_hosts=hosts, budget_s=budget_s))
    server = WebServer(app, "127.0.0.1", port, sock)
    thread = threading.Thread(target=server.run, name="serve-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        thread.join(10)
        sock.close()
