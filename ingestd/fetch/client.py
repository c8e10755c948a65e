"""HTTP fetching of feeds and article pages; with transport.py, the only
modules importing httpx.

One fetch, as a pipeline::

    url ─▶ robots.txt (pages) ─▶ host gate (slot, delay, pause) ─▶ guard(host) ─▶ pin
        ─▶ GET ─▶ 301/302/303/307/308 ─▶ next hop
                                          └─▶ 304 ─▶ FetchResult(status=304, body=b"")
                                          └─▶ 2xx ─▶ content type ─▶ capped body ─▶ FetchResult
                                          └─▶ 429/503 ─▶ pause the host, FetchError(retry_after)
                                          └─▶ other ─▶ FetchError(kind="http_status")

Redirects are followed here rather than by httpx so that every hop passes
the private-address guard, robots.txt and the redirect budget. The addresses
the guard checked are the ones connected to (transport.py), so a DNS answer
that changes between check and connect (rebinding) cannot get past it.
Bodies are read raw and inflated here rather than by httpx, because httpx inflates each network
chunk in one call: 64 KiB of gzip can become 64 MiB before any size check
runs. Every httpx exception is translated into a FetchError in
``_translate_httpx_errors``, the one boundary.

Usage::

    async with Fetcher(FetchLimits()) as fetcher:
        result = await fetcher.fetch(url, kind="feed", etag=previous_etag)
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urldefrag, urljoin, urlsplit

import httpcore
import httpx

from ingestd.errors import ContentTypeError, FetchError, ResponseTooLargeError
from ingestd.fetch.guard import Resolver, resolve_and_check
from ingestd.fetch.hosts import HostGate
from ingestd.fetch.limits import FetchLimits
from ingestd.fetch.robots import RobotsCache, RobotsRules
from ingestd.fetch.transport import PinnedTransport, pinned
from ingestd.types import FetchResult

__all__ = ["FetchKind", "Fetcher", "accepts_content_type", "parse_retry_after"]

logger = logging.getLogger(__name__)

FetchKind = Literal["feed", "page", "robots"]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_ACCEPT: dict[FetchKind, str] = {
    "feed": (
        "application/rss+xml, application/atom+xml, application/rdf+xml, "
        "application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
    ),
    "page": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "robots": "text/plain, */*;q=0.5",
}
# Only the encodings _Inflater can bound. httpx would also offer br and zstd
# when their packages happen to be installed.
_ACCEPT_ENCODING = "gzip, deflate"

# Many servers label feeds text/html or text/plain; those are let through
# and left to the feed parser. Media types that are certainly not a feed
# (images, audio, archives, application/octet-stream) are refused unread.
_FEED_MEDIA_MARKERS = ("xml", "rss", "atom", "json")
_FEED_MEDIA_TYPES = frozenset({"", "text/plain", "text/html"})
_PAGE_MEDIA_TYPES = frozenset({"", "text/html", "application/xhtml+xml"})


def accepts_content_type(kind: FetchKind, content_type: str) -> bool:
    """Whether a fetch of ``kind`` accepts a Content-Type header value.

    A missing content type (``""``) is accepted for every kind; robots.txt
    may be any text type.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if kind == "robots":
        return media == "" or media.startswith("text/")
    if kind == "page":
        return media in _PAGE_MEDIA_TYPES
    return media in _FEED_MEDIA_TYPES or any(marker in media for marker in _FEED_MEDIA_MARKERS)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay or HTTP date).

    ``now`` is an aware datetime. A date in the past gives 0.0; a missing
    or unreadable value gives None.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True, slots=True)
class _Target:
    """Where one hop connects."""

    url: str
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class _Redirect:
    status: int
    location: str


@dataclass(frozen=True, slots=True)
class _Answer:
    """A final (2xx or 304) answer, before it becomes a FetchResult."""

    status: int
    body: bytes
    headers: dict[str, str]


def _target_of(requested: str, url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(requested, "invalid_url", f"cannot parse {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise FetchError(requested, "invalid_url", f"not an http(s) URL: {url!r}")
    if not parts.hostname:
        raise FetchError(requested, "invalid_url", f"URL has no host: {url!r}")
    return _Target(url, parts.hostname, port or _DEFAULT_PORTS[scheme])


@contextlib.contextmanager
def _translate_httpx_errors(requested: str, hop: str) -> Iterator[None]:
    """The one place where httpx exceptions become FetchErrors."""
    where = "" if hop == requested else f" (at redirect hop {hop})"
    try:
        yield
    except httpx.TimeoutException as exc:
        raise FetchError(requested, "timeout", f"{type(exc).__name__}{where}: {exc}") from exc
    except httpx.ConnectError as exc:
        raise FetchError(requested, "connect", f"cannot connect{where}: {exc}") from exc
    except httpx.NetworkError as exc:
        raise FetchError(requested, "connect", f"connection lost{where}: {exc}") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(requested, "protocol", f"{type(exc).__name__}{where}: {exc}") from exc


class _Inflater:
    """Decodes a Content-Encoding incrementally, never past the size cap.

    Each zlib call is told how much output it may produce (the room left
    under the cap plus one byte), and leftover input is fed back in bounded
    steps, so a gzip bomb costs at most ``cap`` bytes of memory and stops as
    soon as it crosses the cap.
    """

    def __init__(self, url: str, content_encoding: str, cap: int):
        self._url = url
        self._cap = cap
        self._out = bytearray()
        self._encoding = "identity"
        self._zlib: zlib._Decompress | None = None
        self._deflate_head = bytearray()  # deflate: bytes seen before choosing a framing
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        compressed = [c for c in codings if c not in ("identity", "none")]
        if len(compressed) > 1:
            raise FetchError(url, "protocol", f"stacked content encodings {content_encoding!r}")
        if compressed:
            coding = compressed[0]
            if coding in ("gzip", "x-gzip"):
                self._encoding = "gzip"
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                self._encoding = "deflate"
            elif coding in ("br", "zstd", "compress", "x-compress"):
                raise FetchError(url, "protocol", f"unsupported content encoding {coding!r}")
            else:
                # Bogus values ("utf-8", "binary") are common and mean
                # nothing; httpx ignores them too.
                logger.debug("ignoring content encoding %r from %s", coding, url)

    def feed(self, data: bytes) -> None:
        """Decode one chunk of the body as received."""
        if self._encoding == "identity":
            self._append(data)
            return
        if self._zlib is None:  # deflate, framing not chosen yet
            self._deflate_head += data
            if len(self._deflate_head) < 2:
                return
            self._zlib = zlib.decompressobj(self._deflate_wbits(self._deflate_head))
            data, self._deflate_head = bytes(self._deflate_head), bytearray()
        pending = data
        while pending and not self._zlib.eof:
            try:
                out = self._zlib.decompress(pending, self._cap - len(self._out) + 1)
            except zlib.error as exc:
                raise FetchError(
                    self._url, "protocol", f"corrupt {self._encoding} body: {exc}"
                ) from exc
            self._append(out)
            rest = self._zlib.unconsumed_tail
            if not out and len(rest) >= len(pending):
                break  # no progress; zlib wants more input than this chunk
            pending = rest
        # Bytes after the end of the compressed stream are ignored, as httpx does.

    def finish(self) -> bytes:
        """The decoded body once the last chunk has been fed."""
        if self._encoding == "deflate" and self._zlib is None and self._deflate_head:
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            head, self._deflate_head = bytes(self._deflate_head), bytearray()
            self.feed(head)
        if self._zlib is not None and not self._zlib.eof:
            try:
                self._append(self._zlib.flush())
            except zlib.error as exc:
                raise FetchError(
                    self._url, "protocol", f"corrupt {self._encoding} body: {exc}"
                ) from exc
        return bytes(self._out)

    @staticmethod
    def _deflate_wbits(head: bytes | bytearray) -> int:
        """HTTP "deflate" is meant to be zlib-wrapped; some servers send it
        raw. A zlib header is CM=8 and a multiple of 31 over two bytes."""
        if head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0:
            return zlib.MAX_WBITS
        return -zlib.MAX_WBITS

    def _append(self, data: bytes) -> None:
        if len(self._out) + len(data) > self._cap:
            raise ResponseTooLargeError(
                self._url, f"decoded body larger than the {self._cap}-byte cap"
            )
        self._out += data


class Fetcher:
    """Fetches feeds and pages politely, within limits, never inside the LAN.

    An async context manager owning one connection pool. ``transport``
    replaces the whole HTTP stack (tests pass ``httpx.MockTransport``);
    ``resolver`` replaces DNS, both for the guard and for connecting;
    ``network`` replaces the sockets under the default transport (tests
    see where connections go). Politeness state (per-host slots, delays,
    pauses, robots.txt) lives as long as the Fetcher, across re-entries.
    """

    def __init__(
        self,
        limits: FetchLimits,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        resolver: Resolver | None = None,
        network: httpcore.AsyncNetworkBackend | None = None,
    ):
        self._limits = limits
        self._transport = transport
        self._resolver = resolver
        self._network = network
        self._client: httpx.AsyncClient | None = None
        self._gate = HostGate(
            limits.per_host_concurrency,
            limits.per_host_delay,
            total=limits.concurrency,
            max_wait=limits.max_pause_wait,
        )
        self._robots: RobotsCache | None = None
        if limits.robots:
            self._robots = RobotsCache(
                self._fetch_robots,
                ttl=limits.robots_ttl,
                error_ttl=limits.robots_error_ttl,
                on_rules=self._apply_crawl_delay,
            )
        # Resolve in-process (and connect to what was checked) when the
        # guard is on or DNS is replaced; otherwise the socket layer resolves.
        self._pin = not limits.allow_private_addresses or resolver is not None

    @property
    def limits(self) -> FetchLimits:
        """The limits this fetcher applies."""
        return self._limits

    async def __aenter__(self) -> Self:
        if self._client is not None:
            raise RuntimeError("Fetcher is already open")
        limits = self._limits
        transport = self._transport
        if transport is None:
            # No more connections than requests may be in flight at once.
            pool = httpx.Limits(
                max_connections=limits.concurrency,
                max_keepalive_connections=limits.concurrency,
            )
            transport = PinnedTransport(require_pin=self._pin, network=self._network, limits=pool)
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout),
            follow_redirects=False,  # followed by hand, each hop guarded
            # Environment proxies would make the guard check the wrong
            # address and send every URL to a third party.
            trust_env=False,
            headers={"User-Agent": limits.user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool; the fetcher can be entered again."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        kind: FetchKind,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """GET ``url`` (a feed or an article page) and return the answer.

        Sends If-None-Match / If-Modified-Since when validators are given; a
        304 comes back as a FetchResult with ``status == 304`` and an empty
        body, carrying the validators the server repeated or, failing that,
        the ones sent. Raises FetchError (``kind`` says why) for anything
        but a 2xx or 304 answer within the limits; for a page that robots.txt
        forbids, RobotsDisallowedError (``kind="robots"``, permanent). A 429
        or 503 with Retry-After pauses the host for every later fetch.
        """
        client = self._client
        if client is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        headers = {"Accept": _ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        budget = self._limits.total_timeout
        current = url
        visited = {url}
        permanent = True
        while True:
            target = _target_of(url, current)
            if kind == "page" and self._robots is not None:
                await self._robots.check(current, requested=url)
            async with self._gate.hold(target.host, url):
                hop_started = time.monotonic()
                deadline = asyncio.timeout(budget)
                try:
                    async with deadline:
                        outcome = await self._hop(client, url, target, headers, kind)
                except TimeoutError as exc:
                    if not deadline.expired():
                        raise
                    raise FetchError(
                        url,
                        "timeout",
                        f"no complete answer within {self._limits.total_timeout:g} s",
                    ) from exc
                finally:
                    budget -= time.monotonic() - hop_started
            if isinstance(outcome, _Redirect):
                permanent = permanent and outcome.status in _PERMANENT_REDIRECT_STATUSES
                if outcome.location in visited:
                    raise FetchError(
                        url, "too_many_redirects", f"redirect loop back to {outcome.location}"
                    )
                if len(visited) > self._limits.max_redirects:
                    raise FetchError(
                        url,
                        "too_many_redirects",
                        f"more than {self._limits.max_redirects} redirects",
                    )
                logger.debug("redirect %d %s -> %s", outcome.status, current, outcome.location)
                visited.add(outcome.location)
                current = outcome.location
                continue
            return self._result(url, current, outcome, etag, last_modified, started, permanent)

    def _result(
        self,
        requested: str,
        final: str,
        answer: _Answer,
        etag: str | None,
        last_modified: str | None,
        started: float,
        permanent: bool,
    ) -> FetchResult:
        elapsed_ms = (time.monotonic() - started) * 1000.0
        new_etag = answer.headers.get("etag")
        new_last_modified = answer.headers.get("last-modified")
        if answer.status == 304:
            new_etag = new_etag or etag
            new_last_modified = new_last_modified or last_modified
        logger.debug(
            "fetched %s status=%d bytes=%d ms=%.0f",
            final,
            answer.status,
            len(answer.body),
            elapsed_ms,
            extra={"event": "fetch", "url": requested, "status": answer.status, "ms": elapsed_ms},
        )
        return FetchResult(
            requested_url=requested,
            url=final,
            status=answer.status,
            body=answer.body,
            content_type=answer.headers.get("content-type", ""),
            etag=new_etag,
            last_modified=new_last_modified,
            elapsed_ms=elapsed_ms,
            headers=answer.headers,
            permanent_redirect=permanent and final != requested,
        )

    async def _hop(
        self,
        client: httpx.AsyncClient,
        requested: str,
        target: _Target,
        headers: dict[str, str],
        kind: FetchKind,
    ) -> _Redirect | _Answer:
        """One request: guard, send, and read the answer, all bounded."""
        pin: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if self._pin:
            addresses = await resolve_and_check(
                target.host,
                target.port,
                self._limits.allow_private_addresses,
                resolver=self._resolver,
                url=requested,
            )
            pin = pinned(target.host, addresses)
        with _translate_httpx_errors(requested, target.url):
            request = client.build_request("GET", target.url, headers=headers)
            with pin:
                response = await client.send(request, stream=True)
            try:
                return await self._answer(requested, target, response, kind)
            finally:
                await response.aclose()

    async def _answer(
        self, requested: str, target: _Target, response: httpx.Response, kind: FetchKind
    ) -> _Redirect | _Answer:
        hop = target.url
        status = response.status_code
        headers = {key.lower(): value for key, value in response.headers.items()}
        if status in _REDIRECT_STATUSES:
            location = headers.get("location", "").strip()
            if not location:
                raise FetchError(
                    requested, "http_status", f"HTTP {status} without Location", status=status
                )
            return _Redirect(status, urldefrag(urljoin(hop, location))[0])
        if status == 304:
            return _Answer(status, b"", headers)
        if not 200 <= status < 300:
            retry_after = None
            if status in _RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(headers.get("retry-after"), datetime.now(UTC))
                if retry_after is not None:
                    self._gate.pause(target.host, min(retry_after, self._limits.max_pause))
            raise FetchError(
                requested,
                "http_status",
                f"HTTP {status} from {hop}",
                status=status,
                retry_after=retry_after,
            )
        content_type = headers.get("content-type", "")
        if not accepts_content_type(kind, content_type):
            raise ContentTypeError(
                requested, f"a {kind} fetch does not accept content type {content_type!r}"
            )
        return _Answer(status, await self._read_body(requested, response, headers), headers)

    async def _read_body(
        self, requested: str, response: httpx.Response, headers: dict[str, str]
    ) -> bytes:
        limits = self._limits
        encoding = headers.get("content-encoding", "")
        declared = headers.get("content-length", "").strip()
        if declared.isdigit():
            # Refuse what the server announces as too big before reading it.
            cap = limits.max_compressed_bytes
            if not encoding:
                cap = min(cap, limits.max_bytes)
            if int(declared) > cap:
                raise ResponseTooLargeError(
                    requested, f"Content-Length {declared} is over the {cap}-byte cap"
                )
        if response.is_stream_consumed:
            # An in-memory response (httpx.MockTransport given ``content=``):
            # httpx has already read and decoded it, only the cap is left.
            inflater = _Inflater(requested, "", limits.max_bytes)
            inflater.feed(response.content)
            return inflater.finish()
        inflater = _Inflater(requested, encoding, limits.max_bytes)
        received = 0
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > limits.max_compressed_bytes:
                raise ResponseTooLargeError(
                    requested,
                    f"more than {limits.max_compressed_bytes} bytes received on the wire",
                )
            inflater.feed(chunk)
        return inflater.finish()

    async def _fetch_robots(self, url: str) -> FetchResult:
        return await self.fetch(url, kind="robots")

    def _apply_crawl_delay(self, robots_url: str, rules: RobotsRules) -> None:
        delay = rules.crawl_delay()
        host = urlsplit(robots_url).hostname
        if delay is not None and host:
            self._gate.set_min_delay(host, min(delay, self._limits.max_crawl_delay))
