"""The fetcher against a real local HTTP server (and httpx.MockTransport
where a public-looking host is needed), plus its pure helpers."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from ingestd import __version__
from ingestd.errors import (
    BlockedAddressError,
    ContentTypeError,
    FetchError,
    ResponseTooLargeError,
)
from ingestd.fetch import (
    Fetcher,
    FetchKind,
    FetchLimits,
    Resolver,
    accepts_content_type,
    is_refused_address,
    parse_retry_after,
    resolve_and_check,
)
from ingestd.types import FetchResult
from tests.support.httpserver import (
    ConcurrencyProbe,
    LocalServer,
    RequestHandler,
    local_server_fixture,
)


def local_limits(**overrides: Any) -> FetchLimits:
    """Limits for the local server, which lives on 127.0.0.1 (refused by
    default); no per-host delay and no robots.txt unless a test asks."""
    values: dict[str, Any] = {
        "allow_private_addresses": True,
        "per_host_delay": 0.0,
        "robots": False,
    }
    return FetchLimits(**(values | overrides))


LOCAL = local_limits(connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
PUBLIC_IP = "93.184.215.14"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from local_server_fixture()


def fetch(
    url: str,
    *,
    limits: FetchLimits = LOCAL,
    kind: FetchKind = "feed",
    transport: httpx.AsyncBaseTransport | None = None,
    resolver: Resolver | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(limits, transport, resolver=resolver) as fetcher:
            return await fetcher.fetch(url, kind=kind, etag=etag, last_modified=last_modified)

    return asyncio.run(run())


def fetch_error(url: str, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, **kwargs)
    return info.value


def fixed_resolver(table: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


class Chunks(httpx.AsyncByteStream):
    """A response body that arrives in the given chunks, like off a socket."""

    def __init__(self, data: bytes, size: int | None = None):
        step = size or max(len(data), 1)
        self._chunks = [data[i : i + step] for i in range(0, len(data), step)]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(size >> 20)]
    parts.append(packer.flush())
    return b"".join(parts)


# --- plain answers ---------------------------------------------------------


def test_200_returns_body_validators_and_sends_identity(server: LocalServer) -> None:
    server.route(
        "/feed.xml",
        RSS,
        content_type="application/rss+xml; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Tue, 02 Jan 2024 10:00:00 GMT"},
    )
    result = fetch(server.url("/feed.xml"))
    assert result.status == 200
    assert result.body == RSS
    assert result.url == result.requested_url == server.url("/feed.xml")
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 02 Jan 2024 10:00:00 GMT"
    assert result.headers["etag"] == '"v1"'
    assert not result.not_modified
    assert not result.permanent_redirect
    assert result.elapsed_ms > 0
    ((method, path, headers),) = server.requests
    assert (method, path) == ("GET", "/feed.xml")
    assert headers["user-agent"] == LOCAL.user_agent
    assert headers["user-agent"].startswith(f"ingestd/{__version__} (+https://")
    assert headers["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in headers
    assert "if-modified-since" not in headers


def test_conditional_get_sends_validators_and_returns_304(server: LocalServer) -> None:
    def answer(handler: RequestHandler) -> None:
        if handler.headers.get("If-None-Match") == '"v2"':
            handler.respond(304, headers={"ETag": '"v2"'}, content_type=None)
        else:
            handler.respond(200, RSS, headers={"ETag": '"v2"'}, content_type="text/xml")

    server.route_handler("/feed.xml", answer)
    since = "Tue, 02 Jan 2024 10:00:00 GMT"
    result = fetch(server.url("/feed.xml"), etag='"v2"', last_modified=since)
    assert result.status == 304
    assert result.not_modified
    assert result.body == b""
    assert result.etag == '"v2"'
    # the server did not repeat Last-Modified: the one sent is still valid
    assert result.last_modified == since
    headers = server.requests[0][2]
    assert headers["if-none-match"] == '"v2"'
    assert headers["if-modified-since"] == since
    # without validators the same server answers in full
    assert fetch(server.url("/feed.xml")).body == RSS


def test_404_is_an_http_status_error(server: LocalServer) -> None:
    error = fetch_error(server.url("/missing"))
    assert (error.kind, error.status, error.retry_after) == ("http_status", 404, None)
    assert "404" in str(error)


def test_429_retry_after_seconds(server: LocalServer) -> None:
    server.route("/busy", b"slow down", status=429, headers={"Retry-After": "120"})
    error = fetch_error(server.url("/busy"))
    assert (error.kind, error.status, error.retry_after) == ("http_status", 429, 120.0)


def test_503_retry_after_http_date(server: LocalServer) -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    server.route("/down", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    error = fetch_error(server.url("/down"))
    assert error.status == 503
    assert error.retry_after is not None
    assert 80 <= error.retry_after <= 91


NOW = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Tue, 02 Jan 2024 10:02:00 GMT", 120.0),
        ("Tue, 02 Jan 2024 09:00:00 GMT", 0.0),  # in the past: retry now
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


# --- time limits -------------------------------------------------------------


def test_slow_server_hits_the_read_timeout(server: LocalServer) -> None:
    server.route("/slow", RSS, delay=5.0, content_type="text/xml")
    limits = local_limits(read_timeout=0.3, total_timeout=5.0)
    started = time.monotonic()
    error = fetch_error(server.url("/slow"), limits=limits)
    assert error.kind == "timeout"
    assert time.monotonic() - started < 2.0


def test_trickling_server_hits_the_total_timeout(server: LocalServer) -> None:
    # One byte every 50 ms never trips the read timeout; only the total does.
    def trickle(handler: RequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        while not handler.stopping.wait(0.05):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    server.route_handler("/trickle", trickle)
    limits = local_limits(read_timeout=1.0, total_timeout=0.5)
    started = time.monotonic()
    error = fetch_error(server.url("/trickle"), limits=limits)
    assert error.kind == "timeout"
    assert "0.5 s" in error.detail
    assert time.monotonic() - started < 2.0


def test_connection_refused_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = fetch_error(f"http://127.0.0.1:{port}/feed")
    assert error.kind == "connect"


# --- size limits -------------------------------------------------------------


def test_announced_body_over_the_cap_is_refused_unread(server: LocalServer) -> None:
    server.route("/big", b"x" * 5000, content_type="text/xml")
    limits = local_limits(max_bytes=1000)
    error = fetch_error(server.url("/big"), limits=limits)
    assert isinstance(error, ResponseTooLargeError)
    assert error.kind == "too_large"


def test_unannounced_endless_body_stops_at_the_cap(server: LocalServer) -> None:
    sent: list[int] = []

    def endless(handler: RequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()  # HTTP/1.0, no length: the body runs until close
        while not handler.stopping.is_set() and sum(sent) < 50_000_000:
            handler.wfile.write(b"y" * 65536)
            sent.append(65536)

    server.route_handler("/endless", endless)
    limits = local_limits(max_bytes=200_000, read_timeout=2.0)
    error = fetch_error(server.url("/endless"), limits=limits, kind="page")
    assert error.kind == "too_large"
    assert sum(sent) < 50_000_000


def test_gzip_bomb_fails_fast_without_reading_it_all(server: LocalServer) -> None:
    bomb = gzip_of_zeros(10 * 1024 * 1024)
    assert len(bomb) < 100_000

    def bomber(handler: RequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/xml")
        handler.send_header("Content-Encoding", "gzip")
        # Announce one byte more than sent and hold the connection: a client
        # that inflated everything before checking would hit its read timeout.
        handler.send_header("Content-Length", str(len(bomb) + 1))
        handler.end_headers()
        handler.wfile.write(bomb)
        handler.wfile.flush()
        handler.stopping.wait(10)

    server.route_handler("/bomb", bomber)
    limits = local_limits(max_bytes=1024 * 1024, read_timeout=3.0)
    started = time.monotonic()
    error = fetch_error(server.url("/bomb"), limits=limits)
    assert error.kind == "too_large"
    assert "decoded" in error.detail
    assert time.monotonic() - started < 2.5  # the read timeout (3 s) would mean it waited


def test_endless_chunked_body_stops_at_the_cap(server: LocalServer) -> None:
    sent = [0]

    def endless(handler: RequestHandler) -> None:
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"z" * 65536
        while not handler.stopping.is_set() and sent[0] < 50_000_000:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent[0] += len(chunk)

    server.route_handler("/chunked", endless)
    limits = local_limits(max_bytes=300_000, read_timeout=2.0)
    error = fetch_error(server.url("/chunked"), limits=limits, kind="page")
    assert isinstance(error, ResponseTooLargeError)
    # Stopped long before the server's 50 MB (socket buffers hold a few MB).
    assert sent[0] < 20_000_000, sent[0]


class CountedChunks(httpx.AsyncByteStream):
    """A body in fixed-size chunks that counts how many bytes were pulled."""

    def __init__(self, data: bytes, size: int):
        self._data = data
        self._size = size
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._data), self._size):
            chunk = self._data[start : start + self._size]
            self.pulled += len(chunk)
            yield chunk


def test_gzip_bomb_stops_after_reading_a_small_part_of_it() -> None:
    bomb = gzip_of_zeros(200 * 1024 * 1024)  # ~200 KiB on the wire, 200 MiB inflated
    body = CountedChunks(bomb, 1024)

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/xml", "Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=body)

    error = fetch_error(
        "http://bomb.example/feed",
        limits=FetchLimits(max_bytes=1024 * 1024),
        transport=httpx.MockTransport(handler),
        resolver=fixed_resolver({"bomb.example": [PUBLIC_IP]}),
    )
    assert error.kind == "too_large"
    # 1 MiB of zeros is about 1 KiB of gzip: the read stops within a few
    # chunks of the cap, not at the end of the bomb.
    assert body.pulled <= 8 * 1024, body.pulled
    assert len(bomb) > 100_000


def test_gzip_bomb_in_one_chunk_never_inflates_past_the_cap() -> None:
    bomb = gzip_of_zeros(100 * 1024 * 1024)  # ~100 KiB that inflate to 100 MiB

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/xml", "Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=Chunks(bomb))

    limits = FetchLimits(max_bytes=1024 * 1024)
    resolver = fixed_resolver({"bomb.example": [PUBLIC_IP]})
    tracemalloc.start()
    try:
        error = fetch_error(
            "http://bomb.example/feed",
            limits=limits,
            transport=httpx.MockTransport(handler),
            resolver=resolver,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.kind == "too_large"
    assert peak < 16 * 1024 * 1024, f"peak {peak} bytes"


@pytest.mark.parametrize("chunk_size", [None, 1, 7])
@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as HTTP means it
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw, as some servers send
        ("identity", lambda data: data),
        ("utf-8", lambda data: data),  # a bogus coding means nothing
    ],
)
def test_compressed_bodies_are_decoded(
    encoding: str, pack: Callable[[bytes], bytes], chunk_size: int | None
) -> None:
    body = RSS * 50

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/xml", "Content-Encoding": encoding}
        return httpx.Response(200, headers=headers, stream=Chunks(pack(body), chunk_size))

    result = fetch(
        "http://feeds.example/rss",
        limits=FetchLimits(),
        transport=httpx.MockTransport(handler),
        resolver=fixed_resolver({"feeds.example": [PUBLIC_IP]}),
    )
    assert result.body == body


def test_in_memory_mock_responses_are_capped_too() -> None:
    # httpx reads and decodes a Response built with content= at once.
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/xml", "Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, content=gzip.compress(RSS))

    def run(max_bytes: int) -> FetchResult:
        return fetch(
            "http://feeds.example/rss",
            limits=FetchLimits(max_bytes=max_bytes),
            transport=httpx.MockTransport(handler),
            resolver=fixed_resolver({"feeds.example": [PUBLIC_IP]}),
        )

    assert run(10_000).body == RSS
    with pytest.raises(ResponseTooLargeError):
        run(len(RSS) - 1)


def test_corrupt_gzip_is_a_protocol_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/xml", "Content-Encoding": "gzip"}
        garbage = Chunks(b"\x1f\x8b\x08\x00garbage-bytes")
        return httpx.Response(200, headers=headers, stream=garbage)

    error = fetch_error(
        "http://feeds.example/rss",
        limits=FetchLimits(),
        transport=httpx.MockTransport(handler),
        resolver=fixed_resolver({"feeds.example": [PUBLIC_IP]}),
    )
    assert error.kind == "protocol"


# --- redirects ---------------------------------------------------------------


def test_redirect_loop_is_detected(server: LocalServer) -> None:
    server.route("/a", status=302, headers={"Location": "/b"})
    server.route("/b", status=302, headers={"Location": server.url("/a")})
    error = fetch_error(server.url("/a"))
    assert error.kind == "too_many_redirects"
    assert "loop" in error.detail
    assert server.paths() == ["/a", "/b"]


def test_redirect_chain_longer_than_the_limit_is_refused(server: LocalServer) -> None:
    for hop in range(10):
        server.route(f"/r{hop}", status=307, headers={"Location": f"/r{hop + 1}"})
    limits = local_limits(max_redirects=3)
    error = fetch_error(server.url("/r0"), limits=limits)
    assert error.kind == "too_many_redirects"
    assert server.paths() == ["/r0", "/r1", "/r2", "/r3"]


def test_permanent_redirect_chain_is_followed_and_flagged(server: LocalServer) -> None:
    server.route("/old", status=301, headers={"Location": "/older?x=1"})
    server.route("/older", status=308, headers={"Location": server.url("/new.xml")})
    server.route("/new.xml", RSS, content_type="application/xml")
    result = fetch(server.url("/old"))
    assert result.status == 200
    assert result.body == RSS
    assert result.requested_url == server.url("/old")
    assert result.url == server.url("/new.xml")
    assert result.permanent_redirect
    assert server.paths() == ["/old", "/older?x=1", "/new.xml"]


def test_one_temporary_hop_makes_the_redirect_temporary(server: LocalServer) -> None:
    server.route("/old", status=301, headers={"Location": "/moved"})
    server.route("/moved", status=302, headers={"Location": "/new.xml"})
    server.route("/new.xml", RSS, content_type="application/xml")
    result = fetch(server.url("/old"))
    assert result.url == server.url("/new.xml")
    assert not result.permanent_redirect


def test_conditional_headers_follow_redirects(server: LocalServer) -> None:
    server.route("/old", status=301, headers={"Location": "/new.xml"})
    server.route("/new.xml", status=304, content_type=None)
    result = fetch(server.url("/old"), etag='"e"')
    assert result.not_modified
    assert result.etag == '"e"'
    assert [h.get("if-none-match") for _, _, h in server.requests] == ['"e"', '"e"']


def test_redirect_to_loopback_is_refused() -> None:
    seen: list[str] = []

    def public_site(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:6379/"})

    error = fetch_error(
        "http://example.test/feed",
        limits=FetchLimits(),
        transport=httpx.MockTransport(public_site),
        resolver=fixed_resolver({"example.test": [PUBLIC_IP]}),
    )
    assert isinstance(error, BlockedAddressError)
    assert error.kind == "blocked"
    assert "127.0.0.1" in error.detail
    assert seen == ["http://example.test/feed"]


def test_redirect_to_a_name_resolving_inside_is_refused() -> None:
    seen: list[str] = []

    def public_site(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(301, headers={"Location": "http://metadata.example/latest"})

    resolver = fixed_resolver(
        {"example.test": [PUBLIC_IP], "metadata.example": [PUBLIC_IP, "169.254.169.254"]}
    )
    error = fetch_error(
        "http://example.test/feed",
        limits=FetchLimits(),
        transport=httpx.MockTransport(public_site),
        resolver=resolver,
    )
    assert error.kind == "blocked"
    assert "metadata.example" in error.detail
    assert "169.254.169.254" in error.detail
    assert seen == ["http://example.test/feed"]


def test_loopback_is_refused_by_default(server: LocalServer) -> None:
    server.route("/feed.xml", RSS, content_type="text/xml")
    error = fetch_error(server.url("/feed.xml"), limits=FetchLimits())
    assert error.kind == "blocked"
    # The refusal names the setting that lifts it.
    assert "[fetch] allow_private_addresses = true" in str(error)
    assert server.requests == []


def test_unresolvable_host_is_a_connect_error() -> None:
    async def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("must not be requested")

    error = fetch_error(
        "http://nowhere.example/",
        limits=FetchLimits(),
        transport=httpx.MockTransport(never),
        resolver=nxdomain,
    )
    assert error.kind == "connect"
    assert "nowhere.example" in error.detail


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "/feed.xml", "http:///feed"])
def test_non_http_urls_are_refused(url: str) -> None:
    assert fetch_error(url).kind == "invalid_url"


# --- content types -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content_type", "accepted"),
    [
        ("feed", "application/rss+xml", True),
        ("feed", "application/atom+xml; charset=utf-8", True),
        ("feed", "text/xml", True),
        ("feed", "application/feed+json", True),
        ("feed", "text/html; charset=iso-8859-1", True),  # many servers lie
        ("feed", "text/plain", True),
        ("feed", "", True),
        ("feed", "image/png", False),
        ("feed", "video/mp4", False),
        ("feed", "audio/mpeg", False),
        ("feed", "application/octet-stream", False),
        ("page", "text/html; charset=utf-8", True),
        ("page", "application/xhtml+xml", True),
        ("page", "", True),
        ("page", "image/png", False),
        ("page", "application/pdf", False),
        ("page", "application/rss+xml", False),
    ],
)
def test_accepts_content_type(kind: FetchKind, content_type: str, accepted: bool) -> None:
    assert accepts_content_type(kind, content_type) is accepted


def test_image_page_is_refused(server: LocalServer) -> None:
    server.route("/photo", b"\x89PNG\r\n\x1a\n" + bytes(100), content_type="image/png")
    error = fetch_error(server.url("/photo"), kind="page")
    assert isinstance(error, ContentTypeError)
    assert error.kind == "content_type"
    assert "image/png" in error.detail


def test_feed_served_as_html_and_page_without_type_are_accepted(server: LocalServer) -> None:
    server.route("/feed", RSS, content_type="text/html")
    server.route("/page", b"<html></html>", content_type=None)
    assert fetch(server.url("/feed"), kind="feed").body == RSS
    assert fetch(server.url("/page"), kind="page").body == b"<html></html>"


# --- politeness ----------------------------------------------------------------


def test_per_host_concurrency_is_respected(server: LocalServer) -> None:
    probe = ConcurrencyProbe(b"<html></html>")
    server.route_handler("/page", probe)
    limits = local_limits(per_host_concurrency=2)

    async def run() -> list[FetchResult]:
        async with Fetcher(limits) as fetcher:
            jobs = [fetcher.fetch(server.url(f"/page?n={n}"), kind="page") for n in range(6)]
            return await asyncio.gather(*jobs)

    results = asyncio.run(run())
    assert [r.status for r in results] == [200] * 6
    assert len(server.requests) == 6
    assert probe.peak == 2


def test_fetcher_must_be_entered() -> None:
    async def run() -> None:
        await Fetcher(LOCAL).fetch("http://127.0.0.1:1/", kind="feed")

    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(run())


# --- limits and the guard ------------------------------------------------------


def test_limits_defaults_and_user_agent() -> None:
    limits = FetchLimits()
    assert (limits.connect_timeout, limits.read_timeout, limits.total_timeout) == (10, 20, 60)
    assert limits.max_bytes == limits.max_compressed_bytes == 5 * 1024 * 1024
    assert (limits.max_redirects, limits.per_host_concurrency) == (5, 2)
    assert (limits.concurrency, limits.per_host_delay, limits.robots) == (32, 1.0, True)
    assert not limits.allow_private_addresses
    assert limits.user_agent == f"ingestd/{__version__} (+https://github.com/ingestd/ingestd)"
    contact = FetchLimits(contact_url="https://news.example.org/bot")
    assert contact.user_agent.endswith("; https://news.example.org/bot)")
    assert FetchLimits(user_agent="custom/1").user_agent == "custom/1"


@pytest.mark.parametrize(
    "bad",
    [
        {"read_timeout": 0},
        {"max_bytes": 0},
        {"per_host_concurrency": 0},
        {"concurrency": 0},
        {"max_redirects": -1},
        {"max_pause": -1.0},
    ],
)
def test_limits_refuse_nonsense(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        FetchLimits(**bad)


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),
        ("224.0.0.251", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("192.0.2.10", True),  # documentation range
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("64:ff9b::7f00:1", True),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("8.8.8.8", False),
        ("93.184.215.14", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("64:ff9b::808:808", False),
    ],
)
def test_is_refused_address(address: str, refused: bool) -> None:
    assert is_refused_address(ipaddress.ip_address(address)) is refused


def test_literal_ip_is_checked_without_dns() -> None:
    async def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("a literal IP needs no lookup")

    def check(host: str, allow: bool) -> Coroutine[Any, Any, list[str]]:
        return resolve_and_check(host, 80, allow, resolver=no_dns)

    assert asyncio.run(check("8.8.8.8", False)) == ["8.8.8.8"]
    assert asyncio.run(check("[::1]", True)) == ["::1"]
    with pytest.raises(BlockedAddressError, match=r"'10\.0\.0\.1'.*10\.0\.0\.1"):
        asyncio.run(check("10.0.0.1", False))


def test_every_resolved_address_is_checked() -> None:
    resolver = fixed_resolver({"mixed.example": [PUBLIC_IP, "192.168.0.10"]})
    with pytest.raises(BlockedAddressError, match=r"mixed\.example.*192\.168\.0\.10"):
        asyncio.run(resolve_and_check("mixed.example", 443, False, resolver=resolver))
    allowed = asyncio.run(resolve_and_check("mixed.example", 443, True, resolver=resolver))
    assert allowed == [PUBLIC_IP, "192.168.0.10"]


def test_system_resolver_resolves_localhost() -> None:
    addresses = asyncio.run(resolve_and_check("localhost", 80, True))
    assert addresses
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses)
