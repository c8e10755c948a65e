"""Feeds and outlets as the operator manages them.

Reads go through the public ``feeds``, ``outlets`` and ``articles`` views;
writes through the store's feed methods (``FeedsAndEntries`` in
:mod:`ingestd.store.protocol`), so these functions run unchanged on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ingestd.errors import OperatorError
from ingestd.settings import OutletSettings
from ingestd.store import Store
from ingestd.store.values import py_time
from ingestd.urls import domain_of, is_http_url, normalize_url

_FEED_COLUMNS = (
    "feed_id, url, outlet, active, added_by, last_polled_at, last_success_at, last_error,"
    " last_error_kind, last_error_at, error_count, next_poll_at, entry_count, pending_count,"
    " article_count, created_at"
)
_TIME_COLUMNS = (
    "last_polled_at",
    "last_success_at",
    "last_error_at",
    "next_poll_at",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class Outlet:
    """A stored outlet."""

    id: int
    name: str
    domain: str


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What ``add_feed`` did: ``added``, ``exists`` or ``reactivated``."""

    status: Literal["added", "exists", "reactivated"]
    feed_id: int
    url: str
    outlet: str
    outlet_created: bool = False


def list_feeds(store: Store, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Feeds with their health, from the ``feeds`` view; times as aware datetimes."""
    where = "" if include_inactive else " WHERE active = 1"
    rows = store.query(f"SELECT {_FEED_COLUMNS} FROM feeds{where} ORDER BY outlet, url")
    feeds = []
    for row in rows:
        item = {key: row[key] for key in _FEED_COLUMNS.replace(" ", "").split(",")}
        for key in _TIME_COLUMNS:
            item[key] = py_time(item[key])
        item["active"] = bool(item["active"])
        feeds.append(item)
    return feeds


def find_outlet(store: Store, name_or_domain: str) -> Outlet | None:
    """The outlet with this name (any case) or domain."""
    text = name_or_domain.strip()
    row = store.query_one(
        "SELECT outlet_id, name, domain FROM outlets WHERE lower(name) = lower(?)"
        " OR domain = lower(?) ORDER BY outlet_id",
        (text, text),
    )
    return None if row is None else Outlet(int(row["outlet_id"]), row["name"], row["domain"])


def outlet_names(store: Store) -> list[str]:
    """All outlet names, sorted."""
    return [row["name"] for row in store.query("SELECT name FROM outlets ORDER BY name")]


def _outlet_by_domain(store: Store, domain: str) -> Outlet | None:
    row = store.query_one("SELECT outlet_id, name, domain FROM outlets WHERE domain = ?", (domain,))
    return None if row is None else Outlet(int(row["outlet_id"]), row["name"], row["domain"])


def create_outlet(
    store: Store,
    name: str,
    domain: str,
    now: datetime,
    *,
    role: str | None = None,
    aliases: Sequence[str] = (),
) -> Outlet:
    """Store a new outlet; refuses a domain another outlet already has."""
    clean = domain_of(domain)
    taken = _outlet_by_domain(store, clean)
    if taken is not None:
        raise OperatorError(
            f"domain {clean} already belongs to outlet {taken.name!r}; use --outlet {taken.name!r}"
        )
    outlet_id = store.add_outlet(name, clean, now, role=role, aliases=aliases)
    return Outlet(outlet_id, name, clean)


def resolve_outlet(
    store: Store,
    name: str,
    domain: str | None,
    now: datetime,
    configured: Iterable[OutletSettings] = (),
) -> tuple[Outlet, bool]:
    """The outlet called ``name``, created when unknown; returns (outlet, created).

    An outlet the configuration names but the store has not seen yet is
    created with its configured domain, role and aliases. Any other unknown
    outlet needs ``domain``.
    """
    found = find_outlet(store, name)
    if found is not None:
        if domain is not None and domain_of(domain) != found.domain:
            raise OperatorError(
                f"outlet {found.name!r} has domain {found.domain}, not {domain_of(domain)}"
            )
        return found, False
    for outlet in configured:
        if outlet.name.casefold() == name.strip().casefold():
            role = outlet.role.value if outlet.role else None
            return (
                create_outlet(
                    store, outlet.name, outlet.domain, now, role=role, aliases=outlet.aliases
                ),
                True,
            )
    if domain is None:
        known = ", ".join(outlet_names(store)) or "none yet"
        raise OperatorError(
            f"unknown outlet {name!r}: pass --domain DOMAIN to create it (known outlets: {known})"
        )
    return create_outlet(store, name.strip(), domain, now), True


def find_feed(store: Store, url: str) -> dict[str, Any] | None:
    """The stored feed with this URL, compared exactly and then normalised."""
    row = store.query_one(
        "SELECT feed_id, url, outlet, active, added_by FROM feeds WHERE url = ?", (url,)
    )
    if row is not None:
        return _feed_fields(row)
    try:
        key = normalize_url(url)
    except ValueError:
        return None
    for row in store.query("SELECT feed_id, url, outlet, active, added_by FROM feeds"):
        try:
            same = normalize_url(row["url"]) == key
        except ValueError:
            same = False
        if same:
            return _feed_fields(row)
    return None


def _feed_fields(row: Any) -> dict[str, Any]:
    # Rows index by column name on every dialect; iteration order does not.
    return {key: row[key] for key in ("feed_id", "url", "outlet", "active", "added_by")}


def check_feed_url(url: str) -> str:
    """The URL stripped, or ValueError naming what is wrong with it."""
    text = url.strip()
    if not is_http_url(text):
        raise ValueError(f"not an http(s) feed URL: {url!r}")
    return text


def add_feed(store: Store, url: str, outlet: Outlet, now: datetime) -> AddOutcome:
    """Store a feed added by the operator (``added_by = 'cli'``), never twice.

    A feed already present is reported as ``exists``; one that was removed
    (inactive) is switched on again and handed to the operator.
    """
    existing = find_feed(store, url)
    if existing is not None:
        if existing["active"]:
            return AddOutcome(
                "exists", int(existing["feed_id"]), existing["url"], existing["outlet"]
            )
        store.reactivate_feed(int(existing["feed_id"]), outlet.id)
        return AddOutcome("reactivated", int(existing["feed_id"]), existing["url"], outlet.name)
    feed_id = store.add_feed(outlet.id, url, now)
    return AddOutcome("added", feed_id, url, outlet.name)


def configured_feed(configured: Iterable[OutletSettings], url: str) -> str | None:
    """The configured outlet that lists this feed URL, if any."""
    for outlet in configured:
        if url in outlet.feeds:
            return outlet.name
    return None


def remove_feed(
    store: Store, url: str, configured: Iterable[OutletSettings], config_path: str
) -> tuple[str, str]:
    """Deactivate a feed; returns (status, url): ``removed`` or ``inactive`` (already).

    Entries and articles stay. A feed the configuration file lists is
    refused: the next reload would switch it on again. A feed the
    configuration added once but no longer lists is deactivated, as the
    next reload would do.
    """
    feed = find_feed(store, url)
    owner = configured_feed(configured, feed["url"] if feed else url)
    if owner is not None:
        raise OperatorError(
            f"feed {url} (outlet {owner}) comes from the configuration file {config_path}:"
            " remove it there, then reload or restart ingestd"
        )
    if feed is None:
        raise OperatorError(f"no feed {url} in the store (see `ingestd feeds list --all`)")
    if not feed["active"]:
        return "inactive", feed["url"]
    store.deactivate_feed(int(feed["feed_id"]))
    return "removed", feed["url"]


def export_outlets(store: Store) -> list[tuple[str, str, tuple[str, ...]]]:
    """Active feeds grouped by outlet: (name, domain, feed URLs), outlets by name."""
    rows = store.query(
        "SELECT o.name, o.domain, f.url FROM feeds f JOIN outlets o ON o.name = f.outlet"
        " WHERE f.active = 1 ORDER BY o.name, f.url"
    )
    grouped: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        grouped.setdefault((row["name"], row["domain"]), []).append(row["url"])
    return [(name, domain, tuple(urls)) for (name, domain), urls in grouped.items()]


def known_urls(store: Store, urls: Sequence[str]) -> dict[str, str]:
    """For each URL the store knows: ``story N`` (stored article) or the entry state."""
    found: dict[str, str] = {}
    unique = list(dict.fromkeys(urls))
    for start in range(0, len(unique), 200):
        chunk = unique[start : start + 200]
        marks = ",".join("?" * len(chunk))
        for row in store.query(f"SELECT url, story_id FROM articles WHERE url IN ({marks})", chunk):
            found[row["url"]] = f"stored in story {row['story_id']}"
    for url, state in store.entry_states(unique).items():
        found.setdefault(url, f"known entry, {state}")
    return found
