"""Issue 11's "cases still missed", through polling, extraction, matching and the store."""

from __future__ import annotations

from tests.conftest import Harness
from tests.integration.seedsite import rss
from tests.integration.test_language import page
from tests.support.httpserver import LocalServer
from tests.unit.test_same_outlet import FIRST, FOLLOW_UP, UPDATE

TRIBUNE = {"name": "The Harbour Tribune", "domain": "harbourtribune.co.uk", "role": "original"}
DIGEST = {"name": "Daily News Digest", "domain": "dailynewsdigest.com", "role": "aggregator"}
ALPES = {"name": "La Dépêche des Alpes", "domain": "depechedesalpes.fr", "role": "original"}

ALPES_TEXT = [
    "Cent quarante skieurs ont dû être évacués samedi après-midi d’un télésiège de la station de"
    " Chamrousse, immobilisé pendant près de trois heures à la suite d’une panne électrique.",
    "L’appareil, qui dessert le secteur de la Croix, s’est arrêté peu avant 14 heures. Le moteur"
    " de secours n’a pas pu prendre le relais, et les passagers ont été descendus un par un.",
    "Une cinquantaine de pisteurs, renforcés par les gendarmes du peloton de haute montagne, ont"
    " participé à l’opération. Aucun blessé n’est à déplorer, ont indiqué les secours.",
]


def test_follow_up_update_double_post_404_origin_and_ad_link(
    harness: Harness, local_server: LocalServer
) -> None:
    base = local_server.url("").rstrip("/")
    pages = {
        "/tribune/bridge.html": page("Council approves harbour bridge", FIRST, "en"),
        "/tribune/bridge-again.html": page("Council approves harbour bridge", FIRST, "en"),
        "/tribune/bridge-next.html": page("Harbour bridge: what happens next", UPDATE, "en"),
        "/tribune/bridge-contractor.html": page("Bridge contractor named", FOLLOW_UP, "en"),
        "/digest/telesiege.html": page(
            "Panne de télésiège",
            [*ALPES_TEXT, "https://amzn.to/4bQx7Rk", "Source : La Dépêche des Alpes"],
            "fr",
        ),
    }
    for path, body in pages.items():
        local_server.route(path, body)
    # The Alpes page is listed in its feed but answers 404 (never routed).
    feeds = {
        "tribune": [
            ("Council approves harbour bridge", "/tribune/bridge.html", "03 Mar 2026 21:40"),
            ("Council approves harbour bridge", "/tribune/bridge-again.html", "03 Mar 2026 21:44"),
            ("Harbour bridge: what happens next", "/tribune/bridge-next.html", "04 Mar 2026 11:40"),
            ("Bridge contractor named", "/tribune/bridge-contractor.html", "06 Mar 2026 16:05"),
        ],
        "alpes": [("Panne de télésiège", "/alpes/telesiege.html", "07 Mar 2026 15:20")],
        "digest": [("Panne de télésiège", "/digest/telesiege.html", "07 Mar 2026 17:00")],
    }
    for key, items in feeds.items():
        local_server.route(
            f"/{key}/rss.xml",
            rss(base, key, [(t, p, f"Tue, {d}:00 GMT") for t, p, d in items]),
            content_type="application/rss+xml",
        )
    harness.outlets = [
        {**TRIBUNE, "feeds": [local_server.url("/tribune/rss.xml")]},
        {**ALPES, "feeds": [local_server.url("/alpes/rss.xml")]},
        {**DIGEST, "feeds": [local_server.url("/digest/rss.xml")]},
    ]
    stats = harness.poll()
    assert stats.pages_failed == 1  # the Alpes page: 404

    stories = harness.stories()
    groups = sorted(sorted(m["url"].removeprefix(base) for m in s["members"]) for s in stories)
    assert groups == [
        ["/digest/telesiege.html"],
        ["/tribune/bridge-again.html", "/tribune/bridge-next.html", "/tribune/bridge.html"],
        ["/tribune/bridge-contractor.html"],
    ]
    by_first = {s["members"][0]["url"].removeprefix(base): s for s in stories}
    bridge = next(s for s in stories if len(s["members"]) == 3)
    assert bridge["origin_outlet"] == "The Harbour Tribune"
    assert by_first["/tribune/bridge-contractor.html"]["origin_outlet"] == "The Harbour Tribune"
    # The 404 origin is named by its copies' credit, as an attributed origin;
    # the short link beside it is no credit.
    telesiege = next(s for s in stories if s["members"][0]["url"].endswith("telesiege.html"))
    assert telesiege["origin_outlet"] == "La Dépêche des Alpes"
    assert telesiege["origin_attributed"] is True
    credits = telesiege["members"][0]["credits"]
    assert [c["domain"] for c in credits] == ["depechedesalpes.fr"]
