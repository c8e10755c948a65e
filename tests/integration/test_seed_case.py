"""The seed case end to end: Le Monde's article and Meguetan Infos' repost become one story."""

from __future__ import annotations

import pytest

from tests.conftest import Harness
from tests.integration.seedsite import lemonde_page, meguetan_page, rss
from tests.support.httpserver import LocalServer

LEMONDE = {"name": "Le Monde", "domain": "lemonde.fr", "role": "original"}
MEGUETAN = {"name": "Meguetan Infos", "domain": "meguetaninfos.com", "role": "aggregator"}


def serve_seed(server: LocalServer, *, lying_clock: bool = False) -> None:
    """The seed pair; with ``lying_clock`` the repost claims to be 35 minutes older."""
    base = server.url("").rstrip("/")
    server.route("/lemonde/article.html", lemonde_page(base))
    repost = meguetan_page(base)
    repost_date = "Thu, 13 Jan 2022 08:10:00 GMT"
    if lying_clock:
        repost = repost.replace(b"2022-01-13T08:10:00+00:00", b"2022-01-12T18:10:00+00:00")
        repost_date = "Wed, 12 Jan 2022 18:10:00 GMT"
    server.route("/meguetan/repost.html", repost)
    server.route(
        "/lemonde/rss.xml",
        rss(
            base,
            "Le Monde",
            [("La Russie et l'OTAN", "/lemonde/article.html", "Wed, 12 Jan 2022 18:45:00 GMT")],
        ),
        content_type="application/rss+xml",
    )
    server.route(
        "/meguetan/feed.xml",
        rss(
            base,
            "Meguetan Infos",
            [("La Russie et l'OTAN", "/meguetan/repost.html", repost_date)],
        ),
        content_type="application/rss+xml",
    )


def check_one_story(harness: Harness) -> dict[str, object]:
    stories = harness.stories()
    assert len(stories) == 1, stories
    story = stories[0]
    assert story["origin_outlet"] == "Le Monde"
    roles = {m["outlet"]: m["role"] for m in story["members"]}
    assert roles == {"Le Monde": "origin", "Meguetan Infos": "copy"}
    copy = next(m for m in story["members"] if m["outlet"] == "Meguetan Infos")
    origin = next(m for m in story["members"] if m["outlet"] == "Le Monde")
    assert copy["derived_from"] == origin["url"]
    assert copy["similarity"] > 0.9
    assert any(c["phrase"] == "lemonde.fr" and c["outlet"] == "Le Monde" for c in copy["credits"])
    return story


@pytest.mark.parametrize("first", ["lemonde", "meguetan"])
def test_seed_case_is_one_story_whichever_comes_first(
    harness: Harness, local_server: LocalServer, first: str
) -> None:
    serve_seed(local_server)
    lemonde = {**LEMONDE, "feeds": [local_server.url("/lemonde/rss.xml")]}
    meguetan = {**MEGUETAN, "feeds": [local_server.url("/meguetan/feed.xml")]}
    harness.outlets = [lemonde, meguetan] if first == "lemonde" else [meguetan, lemonde]
    # Only the first outlet's feed exists at the first poll.
    only_first = dict(harness.outlets[0])
    second = dict(harness.outlets[1])
    harness.outlets = [only_first, {**second, "feeds": []}]
    stats = harness.poll()
    assert stats.articles_stored == 1

    if first == "meguetan":
        # Before Le Monde's own page arrives, the attribution alone names it origin.
        [story] = harness.stories()
        assert story["origin_outlet"] == "Le Monde"
        assert story["origin_attributed"] is True
        assert story["origin_url"] is None
        [member] = story["members"]
        assert member["role"] == "copy"
        assert member["outlet"] == "Meguetan Infos"

    harness.outlets = [only_first, second]
    stats = harness.poll()
    assert stats.articles_stored == 1
    assert stats.copies_linked == 1
    story = check_one_story(harness)
    assert story["origin_attributed"] is False


def test_polling_twice_stores_nothing_twice(harness: Harness, local_server: LocalServer) -> None:
    serve_seed(local_server)
    harness.outlets = [
        {**LEMONDE, "feeds": [local_server.url("/lemonde/rss.xml")]},
        {**MEGUETAN, "feeds": [local_server.url("/meguetan/feed.xml")]},
    ]
    harness.poll()
    before = harness.counts()
    page_requests = [p for p in local_server.paths() if p.endswith(".html")]
    stats = harness.poll()
    assert stats.entries_new == 0
    assert stats.articles_stored == 0
    assert harness.counts() == before
    # No page was fetched again.
    assert [p for p in local_server.paths() if p.endswith(".html")] == page_requests
    check_one_story(harness)


def test_origin_is_le_monde_by_its_credit_when_the_clock_lies(
    harness: Harness, local_server: LocalServer
) -> None:
    # The repost claims a time before Le Monde's original: its bare `lemonde.fr`
    # credit still names the origin, whatever the clocks say.
    serve_seed(local_server, lying_clock=True)
    harness.outlets = [
        {**MEGUETAN, "feeds": [local_server.url("/meguetan/feed.xml")]},
        {**LEMONDE, "feeds": [local_server.url("/lemonde/rss.xml")]},
    ]
    harness.poll()
    story = check_one_story(harness)
    assert story["origin_reason"] == "attribution"
    copy = next(m for m in story["members"] if m["outlet"] == "Meguetan Infos")
    origin = next(m for m in story["members"] if m["outlet"] == "Le Monde")
    assert copy["published_at"] < origin["published_at"]
