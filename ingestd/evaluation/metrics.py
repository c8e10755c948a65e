"""Clustering and origin scores against labelled truth (pure functions).

``truth`` and ``predicted`` map each item (an article path) to a cluster
label; only items present in both are scored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scores:
    """Pairwise and B-cubed precision, recall and F1."""

    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _groups(labels: Mapping[str, Hashable]) -> dict[Hashable, set[str]]:
    groups: dict[Hashable, set[str]] = defaultdict(set)
    for item, label in labels.items():
        groups[label].add(item)
    return groups


def _pairs(labels: Mapping[str, Hashable]) -> set[tuple[str, str]]:
    pairs = set()
    for members in _groups(labels).values():
        ordered = sorted(members)
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                pairs.add((first, second))
    return pairs


def cluster_scores(truth: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> Scores:
    """Pairwise and B-cubed scores of a predicted clustering."""
    items = set(truth) & set(predicted)
    truth = {item: truth[item] for item in items}
    predicted = {item: predicted[item] for item in items}
    true_pairs, predicted_pairs = _pairs(truth), _pairs(predicted)
    hits = len(true_pairs & predicted_pairs)
    precision = hits / len(predicted_pairs) if predicted_pairs else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0

    true_groups, predicted_groups = _groups(truth), _groups(predicted)
    b_precision = b_recall = 0.0
    for item in items:
        mine = predicted_groups[predicted[item]]
        theirs = true_groups[truth[item]]
        overlap = len(mine & theirs)
        b_precision += overlap / len(mine)
        b_recall += overlap / len(theirs)
    b_precision /= max(len(items), 1)
    b_recall /= max(len(items), 1)
    return Scores(
        precision,
        recall,
        _f1(precision, recall),
        b_precision,
        b_recall,
        _f1(b_precision, b_recall),
        len(true_pairs),
        len(predicted_pairs),
    )


def origin_accuracy(
    truth: Mapping[str, Hashable],
    expected_origin: Mapping[Hashable, str],
    predicted: Mapping[str, Hashable],
    predicted_origin: Mapping[Hashable, str],
    stories: set[Hashable] | None = None,
) -> tuple[float, int, list[Hashable]]:
    """Share of true stories whose predicted story names the expected origin outlet.

    A true story's predicted story is the one holding most of its members.
    Returns (accuracy, stories scored, labels of the stories got wrong).
    """
    wrong = []
    scored = 0
    for story, members in _groups(truth).items():
        if stories is not None and story not in stories:
            continue
        votes = Counter(predicted[m] for m in members if m in predicted)
        if not votes:
            continue
        scored += 1
        cluster = votes.most_common(1)[0][0]
        if predicted_origin.get(cluster, "").casefold() != expected_origin[story].casefold():
            wrong.append(story)
    return ((scored - len(wrong)) / scored if scored else 1.0), scored, wrong
