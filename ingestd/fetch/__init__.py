"""fetch stage: HTTP with conditional GET, politeness, size caps and the
private-address guard.

    Fetcher(limits).fetch(url, kind=...) ─▶ FetchResult | FetchError
"""

from __future__ import annotations

from ingestd.fetch.client import Fetcher, FetchKind, accepts_content_type, parse_retry_after
from ingestd.fetch.guard import Resolver, is_refused_address, resolve_and_check, system_resolver
from ingestd.fetch.limits import FetchLimits, default_user_agent

__all__ = [
    "FetchKind",
    "FetchLimits",
    "Fetcher",
    "Resolver",
    "accepts_content_type",
    "default_user_agent",
    "is_refused_address",
    "parse_retry_after",
    "resolve_and_check",
    "system_resolver",
]
