"""fetch stage: HTTP with conditional GET, politeness, size caps and the
private-address guard.

    Fetcher(limits).fetch(url, kind=...) ─▶ FetchResult | FetchError

client.py fetches; hosts.py spaces and pauses requests per host; robots.py
obeys robots.txt for pages; fleet.py is the seam through which both are
shared with other processes on one store; guard.py refuses private targets;
transport.py connects only to the addresses the guard checked.
"""

from __future__ import annotations

from ingestd.fetch.client import Fetcher, FetchKind, accepts_content_type, parse_retry_after
from ingestd.fetch.fleet import Fleet
from ingestd.fetch.guard import Resolver, is_refused_address, resolve_and_check, system_resolver
from ingestd.fetch.hosts import HostGate
from ingestd.fetch.limits import FetchLimits, default_user_agent
from ingestd.fetch.robots import (
    ROBOTS_AGENT,
    RobotsCache,
    RobotsRules,
    robots_url,
    rules_from_answer,
)

__all__ = [
    "ROBOTS_AGENT",
    "FetchKind",
    "FetchLimits",
    "Fetcher",
    "Fleet",
    "HostGate",
    "Resolver",
    "RobotsCache",
    "RobotsRules",
    "accepts_content_type",
    "default_user_agent",
    "is_refused_address",
    "parse_retry_after",
    "resolve_and_check",
    "robots_url",
    "rules_from_answer",
    "system_resolver",
]
