"""One outlet's own texts: follow-ups are new stories, updates and double posts are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.fingerprint.shingles import stable_hash
from ingestd.match.features import TextFeatures, build_features, choose_boilerplate
from ingestd.match.index import decode_features
from ingestd.match.linker import Linker, LinkResult
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.match.verify import verify
from ingestd.store import SqliteStore
from ingestd.text.normalize import normalize
from ingestd.types import ExtractedArticle

LEAD = (
    "Councillors voted 38 to 11 on Tuesday night to approve a plan for a second road bridge"
    " across the harbour, ending a decade of argument over the congested Quay Street crossing."
)
BACKGROUND = [
    "The existing swing bridge, opened in 1931, carries more than 40,000 vehicles a day, almost"
    " twice the number it was designed for, and queues reach the town centre every morning.",
    "Campaigners in the fishing quarter have fought the scheme since 2016, arguing that a high"
    " fixed span would cast their homes into shadow and damage the listed warehouses.",
    "The new bridge will run from the old ferry terminal on the north bank to the business park"
    " at Saltmarsh Lane, a span of about 640 metres with a bus lane and a cycle path.",
]
CLOSE = (
    "Work is expected to start next spring and take three years, with the government paying"
    " most of the cost and the port authority contributing the rest of the budget."
)
FOLLOW_UP_NEW = [
    "A consortium led by the engineering firm Castellan has been chosen to build the second"
    " harbour bridge, the council announced on Friday, as the estimated cost rose again.",
    "The increase, attributed to the price of steel and to deeper foundations on the north bank,"
    " will be met by borrowing; Castellan built the estuary footbridge and the lock gates.",
    "Residents will see the final designs at an exhibition in the town hall from March 16, and"
    " the campaigners said they were considering a legal challenge to the planning decision.",
]


def feats(paragraphs: list[str], outlet_id: int | None) -> TextFeatures:
    return build_features(
        paragraphs,
        boilerplate=(),
        credit_paragraphs=(),
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
        outlet_id=outlet_id,
    )


FIRST = [LEAD, *BACKGROUND, CLOSE]
FOLLOW_UP = [*FOLLOW_UP_NEW[:2], *BACKGROUND, FOLLOW_UP_NEW[2]]
UPDATE = [
    *FIRST,
    "Update: the port authority confirmed on Wednesday that it would contribute to the scheme,"
    " on condition that the new span leaves room for ships entering the inner harbour.",
]


def test_a_follow_up_of_the_same_outlet_is_another_story() -> None:
    verdict = verify(feats(FOLLOW_UP, 7), feats(FIRST, 7), DEFAULT_THRESHOLDS)
    assert not verdict.linked and verdict.rule == "same_outlet_follow_up"
    # The same overlap between two outlets is a cut-down copy, as before.
    assert verify(feats(FOLLOW_UP, 8), feats(FIRST, 7), DEFAULT_THRESHOLDS).linked


def test_an_update_under_a_new_url_and_a_double_post_are_the_same_story() -> None:
    update = verify(feats(UPDATE, 7), feats(FIRST, 7), DEFAULT_THRESHOLDS)
    assert update.linked and update.rule in ("near_duplicate", "same_outlet_update")
    longer = [*UPDATE, *FOLLOW_UP_NEW]  # the first version whole, and much more
    assert verify(feats(longer, 7), feats(FIRST, 7), DEFAULT_THRESHOLDS).rule == (
        "same_outlet_update"
    )
    double = verify(feats(FIRST, 7), feats(list(FIRST), 7), DEFAULT_THRESHOLDS)
    assert double.linked and double.rule == "exact"


def test_repeated_story_paragraphs_are_not_boilerplate() -> None:
    keys = [stable_hash(normalize(p)) for p in [*FIRST, "Newsletter: sign up."]]
    box = keys[-1]
    # A double post: every story paragraph is in one stored article of the
    # outlet, the newsletter box in forty.
    counts = {**dict.fromkeys(keys[:-1], 1), box: 40}
    assert choose_boilerplate(keys, counts, needed=1) == {box}
    # An update after a double post: the story paragraphs are in two articles.
    counts = {**dict.fromkeys(keys[:-1], 2), box: 40}
    assert choose_boilerplate(keys, counts, needed=1) == {box}
    # An ordinary article: only the box repeats, and is boilerplate from the
    # second time on.
    assert choose_boilerplate(keys, {box: 1}, needed=1) == {box}


UPDATE_MORE = [
    "The harbour master said the approach channel would be dredged before the piers were built,"
    " so that the larger cruise ships could still reach the inner basin at low tide.",
    "Local businesses on Quay Street welcomed the decision but asked for the works to be phased"
    " so that the street stays open to shoppers during the busy summer season.",
    "A public exhibition of the final design will open at the museum next month, and residents"
    " will be able to comment on the lighting and landscaping plans until the end of May.",
    "Opposition councillors said they would keep pressing for a full breakdown of the costs,"
    " which they fear could rise further once the ground surveys are complete.",
]


def link_in_order(texts: list[list[str]], tmp_path: Path) -> list[LinkResult]:
    """Each text as an article of one outlet, linked in this order through a real store."""
    store = SqliteStore(tmp_path / "order.db")
    store.migrate()
    now = datetime(2026, 3, 8, tzinfo=UTC)
    store.sync_outlets([{"name": "Tribune", "domain": "tribune.example", "feeds": []}], now)
    outlet = store.outlets()[0].id
    linker = Linker(
        store, params=DEFAULT_PARAMS, thresholds=DEFAULT_THRESHOLDS, window=timedelta(days=14)
    )
    results = []
    for number, paragraphs in enumerate(texts):
        url = f"https://tribune.example/{number}.html"
        entry = store.import_entry(
            store.import_feed(outlet, "order", now),
            outlet,
            guid=url,
            url=url,
            title=None,
            published_at=None,
            now=now,
        )
        article = ExtractedArticle(url, "\n".join(paragraphs), None, None, None, None, "en", None)
        results.append(linker.link(entry, article, now))
    store.close()
    return results


def test_an_update_linked_after_a_follow_up_still_takes_its_original(tmp_path: Path) -> None:
    # Newest first, as a feed's entries are fetched: the follow-up (which
    # reuses the background), then the update, then the first version. The
    # background seen once in the follow-up must not count as the outlet's
    # boilerplate when the update is linked, or the update keeps only part
    # of the first version's text and the two become two stories.
    # The update adds enough that the background is under half of it.
    update_text = [*UPDATE, *UPDATE_MORE]
    follow_up, update, first = link_in_order([FOLLOW_UP, update_text, FIRST], tmp_path)
    assert update.story_id != follow_up.story_id
    assert first.story_id == update.story_id != follow_up.story_id


def test_a_newsletter_box_is_boilerplate_from_the_outlets_third_article(tmp_path: Path) -> None:
    box = (
        "Want more news from Bristol and the West Country? Sign up to our free daily newsletter"
        " and get the biggest stories sent straight to your inbox every morning."
    )
    other = [
        "The city's main library will close for six months from April while its roof is replaced,"
        " the council said on Friday, with a temporary branch opening in the old post office.",
        "Readers will be able to return books at any branch, and the mobile library will add two"
        " stops in the centre, a spokesman said, adding that no staff would lose their jobs.",
    ]
    third = [
        "Bus fares across the region will be capped at two pounds for another year after the"
        " combined authority agreed to extend the scheme at a meeting on Thursday evening.",
        "The cap, first introduced in 2023, has been credited with a rise in passenger numbers,"
        " although operators say more routes are needed in the outlying villages and towns.",
    ]
    results = link_in_order([[*FIRST, box], [*other, box], [*third, box]], tmp_path)
    assert len({r.story_id for r in results}) == 3
    store = SqliteStore(tmp_path / "order.db")
    stored = decode_features(
        store.index_features([results[2].article_id])[results[2].article_id][0]
    )
    store.close()
    # The box is not among the shingled paragraphs of the third article.
    assert len(stored.paragraph_shingles) == len(third)
