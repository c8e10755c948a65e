"""The exception tree of ingestd.

    IngestdError
    ├── ConfigError          bad configuration file: names file, key, problem
    ├── StoreError           the store cannot be opened or has a wrong schema
    │   ├── SchemaVersionError
    │   └── StoreUnavailableError the database cannot be used at all (connection
    │                             lost, disk full, locked too long): the process stops
    ├── FetchError           one HTTP fetch failed; ``kind`` says why
    │   ├── BlockedAddressError   target resolves to a refused address
    │   ├── ResponseTooLargeError
    │   ├── ContentTypeError
    │   ├── RobotsDisallowedError robots.txt forbids the page: a permanent failure
    │   └── HostPausedError       the host asked us (Retry-After) to wait
    ├── FeedParseError       a feed document could not be parsed at all
    ├── WarcError            an import file is not a readable WARC archive
    ├── QueryTooCostly       a web request's queries ran past their time budget
    └── ExtractionError      no article text could be extracted from a page

Foreign exceptions (httpx, sqlite3, feedparser) are translated into these at
the one module that imports the library, so callers handle ingestd errors
only. Anything else is a bug and is left to crash loudly.
"""

from __future__ import annotations

from typing import Any


def _rebuild(cls: type[IngestdError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class IngestdError(Exception):
    """Base of every error ingestd raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (raised in an extraction worker,
        # re-raised in the daemon). Exception's default pickling calls
        # __init__(*args) with the formatted message, which the subclasses'
        # own signatures refuse; an unpicklable result breaks the whole pool.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ConfigError(IngestdError):
    """The configuration file is missing, unreadable or invalid.

    ``str(error)`` is one line a person can act on: the file, the key and
    what is wrong with it.
    """

    def __init__(self, path: str, key: str | None, problem: str, line: int | None = None):
        self.path = path
        self.key = key
        self.problem = problem
        self.line = line
        where = path if line is None else f"{path}:{line}"
        what = f"{key}: {problem}" if key else problem
        super().__init__(f"{where}: {what}")


class StoreError(IngestdError):
    """The store cannot be opened or used."""


class SchemaVersionError(StoreError):
    """The store's schema is newer than this ingestd understands."""


class StoreUnavailableError(StoreError):
    """The database cannot be used at all: the connection is lost, the disk is
    full, a lock is held too long, a table is missing.

    Unlike other store errors (a constraint one bad item breaks), this is an
    error of the process, not of the item being handled: the daemon stops
    and systemd restarts it, instead of failing every item in turn.
    """


class FetchError(IngestdError):
    """One HTTP fetch failed.

    ``kind`` is a short stable label used in logs and metrics, for example
    ``timeout``, ``connect``, ``http_status``, ``too_large``, ``blocked``,
    ``content_type``, ``too_many_redirects``, ``protocol``, ``invalid_url``,
    ``robots`` (forbidden by robots.txt), ``robots_unavailable`` (robots.txt
    could not be read: retry later), ``host_paused`` (the host asked us to
    wait; ``retry_after`` says how long).
    ``status`` is the HTTP status for ``http_status``; ``retry_after`` is the
    server's Retry-After hint in seconds (429 and 503 answers), if it gave one.
    """

    def __init__(
        self,
        url: str,
        kind: str,
        detail: str,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        self.url = url
        self.kind = kind
        self.detail = detail
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{url}: {kind}: {detail}")


class BlockedAddressError(FetchError):
    """The target (or a redirect hop) resolves to a refused address."""

    def __init__(self, url: str, detail: str):
        super().__init__(url, "blocked", detail)


class ResponseTooLargeError(FetchError):
    """The response body went over the configured size cap."""

    def __init__(self, url: str, detail: str):
        super().__init__(url, "too_large", detail)


class ContentTypeError(FetchError):
    """The response's content type is not one this fetch accepts."""

    def __init__(self, url: str, detail: str):
        super().__init__(url, "content_type", detail)


class RobotsDisallowedError(FetchError):
    """The site's robots.txt forbids fetching the page.

    Unlike the other fetch errors this one is permanent: retrying changes
    nothing until the site changes its rules.
    """

    def __init__(self, url: str, detail: str):
        super().__init__(url, "robots", detail)


class HostPausedError(FetchError):
    """The host asked us to wait (Retry-After) for longer than we queue;
    ``retry_after`` is the time left."""

    def __init__(self, url: str, host: str, remaining: float):
        super().__init__(
            url,
            "host_paused",
            f"host {host!r} asked to wait; {remaining:.0f} s left",
            retry_after=remaining,
        )


class FeedParseError(IngestdError):
    """A feed document could not be parsed into any entry at all."""

    def __init__(self, url: str, detail: str):
        self.url = url
        self.detail = detail
        super().__init__(f"{url}: malformed feed: {detail}")


class ExtractionError(IngestdError):
    """No usable article text could be extracted from a page."""

    def __init__(self, url: str, detail: str):
        self.url = url
        self.detail = detail
        super().__init__(f"{url}: extraction failed: {detail}")


class WarcError(IngestdError):
    """The file is not a readable WARC (or ARC) archive."""


class QueryTooCostly(IngestdError):
    """A request's queries ran past their time budget and were stopped."""


class OperatorError(IngestdError):
    """An operator request that cannot be carried out (unknown story or outlet,
    unreadable OPML file); ``str(error)`` says what to do instead."""
