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
  ever. Alone, a process measures the time itself (a restart starts it
  again); with a fleet it is kept in the store.

Every answer becomes a :class:`~ingestd.types.RobotsRecord` by
:func:`record_after` (pure: the answer, the previous record, the time), and
a record becomes rules by :func:`rules_of`. Given a
:class:`~ingestd.fetch.fleet.Fleet`, the cache reads records from the store
and only the worker that claims a stale one fetches the file: one fetch of
robots.txt per site per expiry for the whole fleet.

Feeds are not checked: a feed is a URL the operator subscribed to, and feed
readers do not consult robots.txt for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from ingestd.errors import (
    BlockedAddressError,
    FetchError,
    HostPausedError,
    RobotsDisallowedError,
)
from ingestd.fetch.fleet import Fleet
from ingestd.types import FetchResult, RobotsRecord

__all__ = [
    "ROBOTS_AGENT",
    "UNAVAILABLE_RETRY",
    "UNREACHABLE_ASSUME_UNAVAILABLE",
    "RobotsCache",
    "RobotsRules",
    "record_after",
    "robots_url",
    "rules_from_answer",
    "rules_of",
    "rules_when_unreachable",
]

RULES, NO_RULES, UNREACHABLE = "rules", "none", "unreachable"
"""The outcomes of a :class:`~ingestd.types.RobotsRecord`."""

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

# A worker's claim on fetching a site's robots.txt lapses after this long
# (it died, or its fetch hangs): another worker then fetches it.
CLAIM_HOLD = 120.0
# Waiting for another worker's fetch of robots.txt: look at the store this often.
_CLAIM_POLL = 0.1


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


def _outcome(answer: FetchResult | FetchError) -> tuple[str, str, str]:
    """(outcome, body, detail) of fetching robots.txt (pure; RFC 9309 §2.3.1)."""
    if isinstance(answer, FetchResult):
        return RULES, answer.body.decode("utf-8", errors="replace"), f"HTTP {answer.status}"
    status = answer.status
    # 429 is "slow down", not "no such file": it counts as unreachable.
    unavailable = status is not None and 400 <= status < 500 and status != 429
    if answer.kind == "http_status" and unavailable:
        return NO_RULES, "", f"HTTP {status}: no rules"
    if answer.kind == "content_type":
        # Not a text file (an image, a download): there are no rules in it.
        return NO_RULES, "", f"not a robots file: {answer.detail}"
    return UNREACHABLE, "", f"unreachable: {answer.kind}: {answer.detail}"


def _rules(outcome: str, body: str, detail: str) -> RobotsRules:
    if outcome == RULES:
        return RobotsRules(True, Protego.parse(body), detail)
    return RobotsRules(outcome == NO_RULES, None, detail)


def rules_from_answer(answer: FetchResult | FetchError) -> RobotsRules:
    """Rules from the result of fetching robots.txt (pure; RFC 9309 §2.3.1)."""
    return _rules(*_outcome(answer))


def rules_of(record: RobotsRecord) -> RobotsRules:
    """The rules a cached record stands for."""
    return _rules(record.outcome, record.body, record.detail)


def record_after(
    answer: FetchResult | FetchError,
    previous: RobotsRecord | None,
    now: float,
    *,
    ttl: float,
    error_ttl: float,
) -> RobotsRecord:
    """The record a fetch of robots.txt leaves (pure; RFC 9309 §2.3.1).

    ``previous`` is the site's last record, even expired (None when never
    read). A readable answer is kept ``ttl``. An unreachable one starts (or
    continues) the run of failures: the earlier copy read from the file is
    kept, ``error_ttl``; without one, pages wait, until the run is
    ``UNREACHABLE_ASSUME_UNAVAILABLE`` old (see :func:`rules_when_unreachable`).
    """
    outcome, body, detail = _outcome(answer)
    if outcome != UNREACHABLE:
        return RobotsRecord(outcome, body, detail, True, now + ttl)
    since = now
    if previous is not None and previous.unreachable_since is not None:
        since = previous.unreachable_since
    copy = previous if previous is not None and previous.from_file else None
    failed = RobotsRules(False, None, detail)
    rules = rules_when_unreachable(failed, None if copy is None else rules_of(copy), now - since)
    if copy is not None:
        return replace(copy, expires_at=now + error_ttl, unreachable_since=since)
    if rules.reachable:  # assumed unavailable after 30 days
        return RobotsRecord(
            NO_RULES, "", rules.detail, False, now + min(ttl, UNAVAILABLE_RETRY), since
        )
    return RobotsRecord(UNREACHABLE, "", detail, False, now + error_ttl, since)


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


@dataclass(frozen=True, slots=True)
class _Entry:
    record: RobotsRecord
    rules: RobotsRules
    expires: float  # on the cache's clock


class RobotsCache:
    """robots.txt rules per site, fetched once (even by concurrent callers)
    and kept ``ttl`` seconds (``error_ttl`` for an unreachable file).

    While robots.txt is unreachable the cache remembers since when (by
    ``clock``, in seconds), so that after
    ``UNREACHABLE_ASSUME_UNAVAILABLE`` it is assumed unavailable.

    ``fetch`` gets a robots.txt URL and returns its FetchResult or raises
    FetchError; ``on_rules`` sees every fresh set of rules (the fetcher
    reads Crawl-delay from it). With a ``fleet``, records are read from and
    shared through the store, and a site's file is fetched by whichever
    process claims it first (the others wait for its record).
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[FetchResult]],
        *,
        ttl: float,
        error_ttl: float,
        on_rules: Callable[[str, RobotsRules], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        fleet: Fleet | None = None,
    ):
        self._fetch = fetch
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._on_rules = on_rules
        self._clock = clock
        self._fleet = fleet
        self._entries: dict[str, _Entry] = {}
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
            load = self._load if self._fleet is None else self._load_shared
            rules = await load(key, self._fleet)
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

    async def _answer(self, key: str) -> FetchResult | FetchError:
        try:
            return await self._fetch(key)
        except (BlockedAddressError, HostPausedError):
            # Not an answer about robots.txt: the site is refused, or it
            # asked us to wait; the page fails the same way, nothing cached.
            raise
        except FetchError as error:
            return error

    async def _load(self, key: str, fleet: Fleet | None) -> RobotsRules:
        del fleet  # alone: this process fetches and remembers
        answer = await self._answer(key)
        entry = self._entries.get(key)
        now = self._clock()
        previous = None if entry is None else entry.record
        record = record_after(answer, previous, now, ttl=self._ttl, error_ttl=self._error_ttl)
        return self._keep(key, record, now, answer)

    async def _load_shared(self, key: str, fleet: Fleet | None) -> RobotsRules:
        assert fleet is not None
        while True:
            state = await fleet.robots_state(key)
            asked = self._clock()
            record = state.record
            if record is not None and record.expires_at > state.now:
                return self._keep(key, record, state.now)
            if state.claim_until > state.now:  # another worker is fetching it
                await asyncio.sleep(min(_CLAIM_POLL, state.claim_until - state.now))
                continue
            holder = await fleet.claim_robots(key, CLAIM_HOLD)
            if holder is None:
                continue  # claimed by another worker just now
            try:
                answer = await self._answer(key)
            except BaseException:
                await asyncio.shield(fleet.release_robots(key, holder))
                raise
            now = state.now + (self._clock() - asked)  # on the store's clock
            fresh = record_after(answer, record, now, ttl=self._ttl, error_ttl=self._error_ttl)
            await fleet.save_robots(key, fresh)
            return self._keep(key, fresh, now, answer)

    def _keep(
        self,
        key: str,
        record: RobotsRecord,
        now: float,
        answer: FetchResult | FetchError | None = None,
    ) -> RobotsRules:
        """Cache a record (``now`` on the record's clock) and hand its rules out."""
        rules = rules_of(record)
        if answer is not None:
            self._log(key, answer, record, rules)
        if len(self._entries) >= _CACHE_SWEEP_SIZE:
            self._sweep()
        self._entries[key] = _Entry(record, rules, self._clock() + (record.expires_at - now))
        if self._on_rules is not None:
            self._on_rules(key, rules)
        return rules

    @staticmethod
    def _log(
        key: str, answer: FetchResult | FetchError, record: RobotsRecord, rules: RobotsRules
    ) -> None:
        if isinstance(answer, FetchError) and _outcome(answer)[0] == UNREACHABLE:
            if record.from_file:
                detail = _outcome(answer)[2]
                logger.info("robots.txt %s %s; using the earlier copy", key, detail)
            elif rules.reachable:
                logger.warning("robots.txt %s %s", key, rules.detail)
        logger.debug("robots.txt %s: %s", key, rules.detail)

    def _sweep(self) -> None:
        # Expired records go, with what they remembered (an earlier copy,
        # since when the file has been unreachable): a site not asked about
        # again starts afresh.
        now = self._clock()
        for key in [k for k, e in self._entries.items() if e.expires <= now]:
            del self._entries[key]
