"""Builders of store intents for the contract tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ingestd.store import Store
from ingestd.store.records import FeedRow, NewArticle
from ingestd.types import FeedEntry

T0 = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)

OUTLETS: list[dict[str, Any]] = [
    {
        "name": "Le Monde",
        "domain": "lemonde.fr",
        "role": "original",
        "aliases": ["LeMonde"],
        "feeds": ["https://www.lemonde.fr/rss/une.xml", "https://www.lemonde.fr/rss/monde.xml"],
    },
    {
        "name": "Meguetan Infos",
        "domain": "meguetaninfos.com",
        "role": "aggregator",
        "aliases": [],
        "feeds": ["https://meguetaninfos.com/feed"],
    },
]


def entry(n: int, *, updated: datetime | None = None, url: str | None = None) -> FeedEntry:
    """Feed entry number ``n``."""
    link = url or f"https://www.lemonde.fr/article-{n}.html"
    return FeedEntry(
        url=link,
        raw_url=link + "?utm_source=rss",
        guid=f"guid-{n}",
        title=f"Title {n}",
        published_at=T0 + timedelta(minutes=n),
        updated_at=updated,
        summary=None,
    )


def article(
    entry_id: int,
    outlet_id: int,
    url: str,
    *,
    text: str = "Premier paragraphe.\nSecond paragraphe, plus long.",
    content_hash: str = "v1:00000000000000aa",
    seen: datetime = T0,
    keys: tuple[int, ...] = (11, 22, 2**62 + 5),
    credits: list[dict[str, Any]] | None = None,
) -> NewArticle:
    """An article intent with every field set."""
    return NewArticle(
        entry_id=entry_id,
        outlet_id=outlet_id,
        url=url,
        guid=f"guid-of-{url}",
        title="La Russie et l'OTAN — « dialogue » 100%",
        author="Jean-Pierre Stroobants",
        published_at=seen - timedelta(hours=1),
        first_seen_at=seen,
        site_name="Le Monde",
        language="fr",
        canonical_url=url + "#canonical",
        description="Une description",
        text=text,
        word_count=len(text.split()),
        content_hash=content_hash,
        credits=credits if credits is not None else [{"kind": "line", "phrase": "lemonde.fr"}],
        signature=bytes(range(256)) * 2,
        signature_params="v1:128:5:1",
        paragraph_keys=keys,
    )


def synced(store: Store) -> tuple[dict[str, int], list[FeedRow]]:
    """Sync the two outlets; returns outlet ids by domain and the active feeds."""
    store.sync_outlets(OUTLETS, T0)
    return {o.domain: o.id for o in store.outlets()}, store.active_feeds()


def le_monde_origin(store: Store, story: int, origin: int, copy: int, similarity: float) -> None:
    """File ``copy`` as derived from ``origin``, Le Monde's article, in ``story``."""
    store.update_story(
        story,
        origin_article_id=origin,
        origin_outlet="Le Monde",
        origin_domain="lemonde.fr",
        attributed=False,
        reason="earliest",
        evidence=[{"kind": "earliest"}],
        canonical_url="https://a/1",
        title="T",
        members=[
            (origin, "origin", None, 1.0, {}),
            (copy, "copy", origin, similarity, {"via": "similarity"}),
        ],
        now=T0,
    )
