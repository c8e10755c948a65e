"""Named limits for one fetcher: timeouts, size caps, politeness, guard.

Usage::

    limits = FetchLimits(read_timeout=10.0, contact_url="https://example.org/bot")
    async with Fetcher(limits) as fetcher: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingestd import __version__

__all__ = ["FetchLimits", "default_user_agent"]

_PROJECT_URL = "https://github.com/ingestd/ingestd"

# 5 MiB: the largest news article pages weigh about 2 MiB of HTML and feeds
# far less; anything bigger is a misconfigured server or a hostile one.
_DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def default_user_agent(contact_url: str | None = None) -> str:
    """The User-Agent ingestd sends, naming the project and an operator.

    Site owners who see unexpected traffic can follow the URLs in it.
    """
    contact = f"; {contact_url}" if contact_url else ""
    return f"ingestd/{__version__} (+{_PROJECT_URL}{contact})"


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How long, how much and how often one fetcher may talk to servers.

    All times are seconds. ``max_bytes`` caps the decompressed body,
    ``max_compressed_bytes`` the bytes received on the wire; either stops the
    read at once. ``total_timeout`` bounds one whole fetch (redirects and
    body included) against servers that trickle a byte at a time under the
    read timeout; time spent queueing for a host slot does not count.
    ``concurrency`` is the number of requests in flight to all hosts
    together and ``per_host_concurrency`` the number to one host;
    ``per_host_delay`` is the least time between the starts of two requests
    to one host (feeds and pages alike; a robots.txt Crawl-delay raises it
    for that host, up to ``max_crawl_delay``). A 429 or 503 answer with
    Retry-After pauses its host for that long (at most ``max_pause``);
    fetches meeting a pause longer than ``max_pause_wait`` fail at once with
    ``host_paused`` instead of waiting. ``robots`` turns on robots.txt
    checks for article pages, cached ``robots_ttl`` seconds
    (``robots_error_ttl`` when it could not be read).
    ``allow_private_addresses`` turns off the guard that refuses loopback,
    private and other non-public targets; only tests and local deployments
    want it. An empty ``user_agent`` means the default built from
    the version and ``contact_url``.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = _DEFAULT_MAX_BYTES
    max_compressed_bytes: int = _DEFAULT_MAX_BYTES
    max_redirects: int = 5
    concurrency: int = 32
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    max_crawl_delay: float = 30.0
    max_pause: float = 6 * 3600.0
    max_pause_wait: float = 30.0
    robots: bool = True
    robots_ttl: float = 3600.0
    robots_error_ttl: float = 300.0
    allow_private_addresses: bool = False
    contact_url: str | None = None
    user_agent: str = field(default="")

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"FetchLimits.{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("max_bytes", "max_compressed_bytes", "concurrency", "per_host_concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"FetchLimits.{name} must be >= 1, got {getattr(self, name)!r}")
        for name in (
            "per_host_delay",
            "max_crawl_delay",
            "max_pause",
            "max_pause_wait",
            "robots_ttl",
            "robots_error_ttl",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"FetchLimits.{name} must be >= 0, got {getattr(self, name)!r}")
        if self.max_redirects < 0:
            raise ValueError(f"FetchLimits.max_redirects must be >= 0, got {self.max_redirects!r}")
        if not self.user_agent:
            # Frozen: the default depends on another field, so set it here.
            object.__setattr__(self, "user_agent", default_user_agent(self.contact_url))
