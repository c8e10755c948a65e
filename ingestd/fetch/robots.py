"""robots.txt for article pages: fetched once per site, cached, obeyed.

    page url ─▶ origin ─▶ cache hit? ─▶ rules.verdict(url)
                            └▶ fetch /robots.txt (same Fetcher: guard, limits,
                               per-host delay) ─▶ rules_from_answer ─▶ cache

How an answer becomes rules follows RFC 9309 §2.3.1:

- 2xx: the file is parsed (Protego, which knows the Google/RFC extensions:
  Allow, wildcards, longest match) and obeyed for the ``ingestd`` token.
- 4xx other than 429 ("unavailable"): no rules, every page may be fetched.
- 5xx, 429, timeouts, connection failures, oversized files ("unreachable"):
  the RFC says to assume complete disallow. ingestd does, but only for a
  short while (``error_ttl``) and as a *temporary* failure
  (``robots_unavailable``), so the page is retried later rather than given
  up; a previously fetched copy of the rules, even expired, is used instead
  when there is one (the RFC allows a cached copy). Choosing "allow" here
  would let a server that is merely overloaded be crawled against its
  stated wishes, and an overloaded server is the last one to hammer.
- Unreachable for 30 days (§2.3.1.4): with no earlier copy, the file is
  then assumed unavailable, i.e. every page may be fetched, and robots.txt
  is still re-read hourly, so the site's rules apply again as soon as it
  answers. A site whose robots.txt is broken for good is not kept out for
  ever. The time is measured in this process (a restart starts it again).

Feeds are not checked: a feed is a URL the operator subscribed to, and feed
readers do not consult robots.txt for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from ingestd.errors import (
    BlockedAddressError,
    FetchError,
    HostPausedError,
    RobotsDisallowedError,
)
from ingestd.types import FetchResult

__all__ = [
    "ROBOTS_AGENT",
    "UNAVAILABLE_RETRY",
    "UNREACHABLE_ASSUME_UNAVAILABLE",
    "RobotsCache",
    "RobotsRules",
    "robots_url",
    "rules_from_answer",
    "rules_when_unreachable",
]

logger = logging.getLogger(__name__)

ROBOTS_AGENT = "ingestd"
"""The product token matched against robots.txt User-agent lines."""

# Caches hold at most this many sites before expired ones are dropped.
_CACHE_SWEEP_SIZE = 4096

UNREACHABLE_ASSUME_UNAVAILABLE = 30 * 86400.0
"""Seconds robots.txt must have been unreachable, with every attempt failing,
before it is assumed unavailable (allow all). RFC 9309 §2.3.1.4: "If the
robots.txt file is unreachable for more than 30 days, crawlers MAY assume
the robots.txt file is unavailable as described in section 2.3.1.3 or
continue to use a cached copy." ingestd keeps the cached copy when it has one."""

UNAVAILABLE_RETRY = 3600.0
"""Seconds between re-reads of a robots.txt assumed unavailable after being
unreachable (at most; ``ttl`` when that is shorter): the site's own rules
come back within the hour once it answers."""

# An unreachable site not asked about for this long is forgotten when the
# record of unreachable sites is swept: its 30 days start again.
_UNREACHABLE_FORGET = 86400.0


def robots_url(url: str) -> str:
    """The robots.txt URL for the site (scheme and authority) of ``url``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/robots.txt", "", ""))


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one robots.txt fetch allows.

    ``parser`` is None when there are no rules (allow all) or when the file
    was unreachable (``reachable`` false: disallow for now).
    """

    reachable: bool
    parser: Protego | None
    detail: str

    def allows(self, url: str) -> bool:
        """Whether ``url`` may be fetched (never, while unreachable)."""
        if not self.reachable:
            return False
        return self.parser is None or self.parser.can_fetch(url, ROBOTS_AGENT)

    def crawl_delay(self) -> float | None:
        """The Crawl-delay the site asks of ingestd, if any."""
        return self.parser.crawl_delay(ROBOTS_AGENT) if self.parser is not None else None


def rules_from_answer(answer: FetchResult | FetchError) -> RobotsRules:
    """Rules from the result of fetching robots.txt (pure; RFC 9309 §2.3.1)."""
    if isinstance(answer, FetchResult):
        text = answer.body.decode("utf-8", errors="replace")
        return RobotsRules(True, Protego.parse(text), f"HTTP {answer.status}")
    status = answer.status
    # 429 is "slow down", not "no such file": it counts as unreachable.
    unavailable = status is not None and 400 <= status < 500 and status != 429
    if answer.kind == "http_status" and unavailable:
        return RobotsRules(True, None, f"HTTP {status}: no rules")
    if answer.kind == "content_type":
        # Not a text file (an image, a download): there are no rules in it.
        return RobotsRules(True, None, f"not a robots file: {answer.detail}")
    return RobotsRules(False, None, f"unreachable: {answer.kind}: {answer.detail}")


def rules_when_unreachable(
    failed: RobotsRules, previous: RobotsRules | None, unreachable_for: float
) -> RobotsRules:
    """The rules to obey while robots.txt cannot be read (pure; RFC 9309 §2.3.1.4).

    ``failed`` is the unreachable answer just received, ``previous`` the
    last rules read from the file (None when it never answered), and
    ``unreachable_for`` the seconds since every attempt started failing.
    An earlier copy is kept; without one the site's pages wait, until
    ``UNREACHABLE_ASSUME_UNAVAILABLE`` has passed: then every page may be
    fetched.
    """
    if previous is not None:
        return previous
    if unreachable_for >= UNREACHABLE_ASSUME_UNAVAILABLE:
        days = unreachable_for / 86400.0
        return RobotsRules(
            True,
            None,
            f"{failed.detail}; unreachable for {days:.0f} days: assumed unavailable (RFC 9309)",
        )
    return failed


@dataclass(slots=True)
class _Entry:
    rules: RobotsRules
    expires: float


@dataclass(slots=True)
class _Unreachable:
    since: float  # the first of the consecutive failed attempts
    last: float  # the latest of them


class RobotsCache:
    """robots.txt rules per site, fetched once (even by concurrent callers)
    and kept ``ttl`` seconds (``error_ttl`` for an unreachable file).

    While robots.txt is unreachable the cache remembers since when (by
    ``clock``, in seconds), so that after
    ``UNREACHABLE_ASSUME_UNAVAILABLE`` it is assumed unavailable.

    ``fetch`` gets a robots.txt URL and returns its FetchResult or raises
    FetchError; ``on_rules`` sees every fresh set of rules (the fetcher
    reads Crawl-delay from it).
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[FetchResult]],
        *,
        ttl: float,
        error_ttl: float,
        on_rules: Callable[[str, RobotsRules], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._fetch = fetch
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._on_rules = on_rules
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._last_good: dict[str, RobotsRules] = {}
        self._unreachable: dict[str, _Unreachable] = {}
        self._inflight: dict[str, asyncio.Future[RobotsRules]] = {}

    async def check(self, url: str, *, requested: str | None = None) -> None:
        """Raise unless robots.txt lets ingestd fetch ``url``.

        Raises RobotsDisallowedError (permanent) when the rules forbid it,
        FetchError(kind="robots_unavailable") when robots.txt could not be
        read and no earlier copy exists, BlockedAddressError when the site
        itself is refused by the guard, and HostPausedError while the site
        has asked us to wait. ``requested`` is the URL named
        in errors (defaults to ``url``).
        """
        where = requested or url
        try:
            rules = await self.rules_for(url)
        except HostPausedError as error:  # name the page, not robots.txt
            host = urlsplit(url).hostname or ""
            raise HostPausedError(where, host, error.retry_after or 0.0) from error
        except BlockedAddressError as error:
            raise BlockedAddressError(where, error.detail) from error
        if rules.allows(url):
            return
        if not rules.reachable:
            raise FetchError(where, "robots_unavailable", f"robots.txt {rules.detail}")
        raise RobotsDisallowedError(where, f"robots.txt forbids {url} to {ROBOTS_AGENT}")

    async def rules_for(self, url: str) -> RobotsRules:
        """The rules for ``url``'s site, fetching robots.txt when needed."""
        key = robots_url(url)
        while True:
            entry = self._entries.get(key)
            if entry is not None and entry.expires > self._clock():
                return entry.rules
            waiting = self._inflight.get(key)
            if waiting is None:
                return await self._load_once(key)
            try:
                return await asyncio.shield(waiting)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not waiting.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The task loading it was cancelled, not this one: try again.

    async def _load_once(self, key: str) -> RobotsRules:
        future: asyncio.Future[RobotsRules] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            rules = await self._load(key)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a future nobody awaited does not warn
            raise
        else:
            future.set_result(rules)
            return rules
        finally:
            del self._inflight[key]

    async def _load(self, key: str) -> RobotsRules:
        try:
            answer: FetchResult | FetchError = await self._fetch(key)
        except (BlockedAddressError, HostPausedError):
            # Not an answer about robots.txt: the site is refused, or it
            # asked us to wait; the page fails the same way, nothing cached.
            raise
        except FetchError as error:
            answer = error
        rules = rules_from_answer(answer)
        now = self._clock()
        ttl = self._ttl
        if rules.reachable:
            self._last_good[key] = rules
            self._unreachable.pop(key, None)
        else:
            ttl = self._error_ttl
            if len(self._unreachable) >= _CACHE_SWEEP_SIZE:
                self._sweep_unreachable(now)
            record = self._unreachable.setdefault(key, _Unreachable(now, now))
            record.last = now
            previous = self._last_good.get(key)
            failed, rules = rules, rules_when_unreachable(rules, previous, now - record.since)
            if previous is not None:
                logger.info("robots.txt %s %s; using the earlier copy", key, failed.detail)
            elif rules.reachable:
                logger.warning("robots.txt %s %s", key, rules.detail)
                ttl = min(self._ttl, UNAVAILABLE_RETRY)
        logger.debug("robots.txt %s: %s", key, rules.detail)
        if len(self._entries) >= _CACHE_SWEEP_SIZE:
            self._sweep()
        self._entries[key] = _Entry(rules, now + ttl)
        if self._on_rules is not None:
            self._on_rules(key, rules)
        return rules

    def _sweep(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._entries.items() if e.expires <= now]:
            del self._entries[key]
            self._last_good.pop(key, None)

    def _sweep_unreachable(self, now: float) -> None:
        for key in [k for k, r in self._unreachable.items() if now - r.last > _UNREACHABLE_FORGET]:
            del self._unreachable[key]
