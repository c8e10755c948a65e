"""One outlet's own texts: follow-ups are new stories, updates and double posts are not."""

from __future__ import annotations

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.fingerprint.shingles import stable_hash
from ingestd.match.features import TextFeatures, build_features, choose_boilerplate
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.match.verify import verify
from ingestd.text.normalize import normalize

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
