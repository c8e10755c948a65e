"""``ingestd eval``: the labelled corpus through the real pipeline, scored.

The corpus (pre-rendered, see :mod:`ingestd.evaluation.rendered`; the one
shipped with the package unless another is given) is served by a local HTTP
server, polled with ``poll_once`` into a fresh SQLite store, and the stored
stories are scored against the labels.
Two baselines run in the same process on the same extracted texts:

* exact: articles whose normalised text hashes equal are one story;
* datasketch defaults: MinHash (128 permutations) of word 5-grams in a
  MinHashLSH at its default threshold (0.9); a query hit joins stories;
* whitespace words: every pair compared on 5-grams of whitespace-separated
  words (what a tokeniser that knows no script does), joined when they
  share 20 shingles and half of the shorter text; printed per language
  beside ingestd, since it fails exactly where words are not spaced.

Baselines have no origin logic; they name the earliest-published member.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from datasketch import MinHash, MinHashLSH

from ingestd.demo.server import SiteServer
from ingestd.evaluation.metrics import Scores, cluster_scores, origin_accuracy
from ingestd.evaluation.rendered import load_corpus, packaged_corpus_path
from ingestd.report.export import story_objects
from ingestd.settings import Settings
from ingestd.text.normalize import normalize, split_paragraphs


def default_corpus() -> Path:
    """The rendered corpus shipped with ingestd."""
    return packaged_corpus_path()


def run_eval(
    corpus_path: Path | None, workdir: Path, echo: Callable[[str], None]
) -> dict[str, Any]:
    """Run a rendered corpus (default: the packaged one) through ingestd and both baselines.

    Prints the figures with ``echo`` and returns them.
    """
    from ingestd.app import open_store, poll_once

    corpus = load_corpus(corpus_path)
    labels = corpus.labels()
    db = workdir / "eval.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    with SiteServer() as server:
        base = server.base_url
        server.routes = corpus.routes(base)
        feeds = corpus.feeds(base)
        settings = Settings.model_validate(
            {
                "storage": {"url": f"sqlite:///{db}"},
                # One local server plays every outlet: no per-host spacing.
                "fetch": {"allow_private_addresses": True, "per_host_delay": 0.0},
                "outlets": [
                    {"name": o.name, "domain": o.domain, "role": o.role, "feeds": feeds[o.name]}
                    for o in corpus.outlets
                ],
            }
        )
        store = open_store(settings)
        try:
            stats = asyncio.run(poll_once(settings, store))
            stories = list(story_objects(store))
        finally:
            store.close()
    seconds = time.monotonic() - started

    def path_of(url: str) -> str:
        return url.removeprefix(base)

    truth: dict[str, Hashable] = {path: label["story"] for path, label in labels.items()}
    expected_origin = {label["story"]: label["origin_outlet"] for label in labels.values()}
    outlet_of = {path: label["outlet"] for path, label in labels.items()}
    published = {path: label["published"] for path, label in labels.items()}
    syndicated = {
        story
        for story in set(truth.values())
        if sum(1 for s in truth.values() if s == story) > 1
        or expected_origin[story] not in {outlet_of[p] for p, s in truth.items() if s == story}
    }

    predicted: dict[str, Hashable] = {}
    predicted_origin: dict[Hashable, str] = {}
    texts: dict[str, str] = {}
    derived: dict[str, str | None] = {}
    for story in stories:
        predicted_origin[story["story_id"]] = story["origin_outlet"]
        for member in story["members"]:
            predicted[path_of(member["url"])] = story["story_id"]
            source = member.get("derived_from")
            derived[path_of(member["url"])] = path_of(source) if source else None
    with_text = _stored_texts(db)
    for url, text in with_text.items():
        texts[path_of(url)] = text

    rows: list[tuple[str, Scores, tuple[float, int, list[Hashable]]]] = []
    ours = cluster_scores(truth, predicted)
    ours_origin = origin_accuracy(truth, expected_origin, predicted, predicted_origin, syndicated)
    rows.append(("ingestd", ours, ours_origin))
    baselines = {
        "exact hash": _exact_baseline(texts),
        "datasketch defaults": _lsh_baseline(texts),
        "whitespace words": _whitespace_baseline(texts),
    }
    for name, clusters in baselines.items():
        origins = _earliest_origin(clusters, published, outlet_of)
        rows.append(
            (
                name,
                cluster_scores(truth, clusters),
                origin_accuracy(truth, expected_origin, clusters, origins, syndicated),
            )
        )

    copies = sum(1 for label in labels.values() if not label["is_origin"])
    echo(
        f"corpus: {len(labels)} articles, {len(set(truth.values()))} stories, {copies} copies; "
        f"ingested {len(predicted)} articles in {seconds:.1f}s "
        f"({stats.pages_failed} pages failed)"
    )
    echo("")
    echo(
        f"{'method':22} {'pair P':>8} {'pair R':>8} {'pair F1':>8} {'B3 F1':>8} {'origin acc':>11}"
    )
    for name, scores, (accuracy, _, _) in rows:
        echo(
            f"{name:22} {scores.pair_precision:8.4f} {scores.pair_recall:8.4f} "
            f"{scores.pair_f1:8.4f} {scores.bcubed_f1:8.4f} {accuracy:11.4f}"
        )
    echo(
        f"(origin accuracy over {ours_origin[1]} syndicated stories; {ours.true_pairs} true pairs)"
    )
    if ours_origin[2]:
        echo("origin wrong for: " + ", ".join(map(str, ours_origin[2])))
    chained = [p for p, label in labels.items() if label["derived_from"] and p in derived]
    chain_right = [p for p in chained if derived[p] == labels[p]["derived_from"]]
    chain_accuracy = len(chain_right) / len(chained) if chained else 1.0
    echo(
        f"source chain: {len(chain_right)} of {len(chained)} copies derive from the member"
        f" they were copied from ({chain_accuracy:.4f})"
    )
    for path in sorted(set(chained) - set(chain_right))[:10]:
        echo(f"  derived_from wrong: {path} -> {derived[path]} (copied from "
             f"{labels[path]['derived_from']})")  # fmt: skip
    languages = _per_language(
        labels, truth, predicted, predicted_origin, expected_origin, syndicated,
        baselines["whitespace words"],
    )  # fmt: skip
    echo("")
    echo(
        f"{'language':9} {'articles':>8} {'pairs':>6} {'pair P':>8} {'pair R':>8} "
        f"{'origin':>8} {'words P':>8} {'words R':>8}"
    )
    for lang, row in languages.items():
        echo(
            f"{lang:9} {row['articles']:8} {row['true_pairs']:6} {row['pair_precision']:8.4f} "
            f"{row['pair_recall']:8.4f} {row['origin_accuracy']:8.4f} "
            f"{row['whitespace_precision']:8.4f} {row['whitespace_recall']:8.4f}"
        )
    echo("(words P/R: the whitespace-word baseline on the same language)")
    _print_pair_errors(truth, predicted, echo)
    return {
        "articles": len(labels),
        "ingested": len(predicted),
        "seconds": seconds,
        "methods": {
            name: {
                "pair_precision": s.pair_precision,
                "pair_recall": s.pair_recall,
                "pair_f1": s.pair_f1,
                "bcubed_f1": s.bcubed_f1,
                "origin_accuracy": acc,
            }
            for name, s, (acc, _, _) in rows
        },
        "origin_wrong": [str(story) for story in ours_origin[2]],
        "languages": languages,
        "chain_accuracy": chain_accuracy,
    }


def _stored_texts(db: Path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(db) as connection:
        return dict(
            # The public ``articles`` view (storage/README.md), not the store's own table.
            connection.execute("SELECT url, text FROM articles ORDER BY article_id").fetchall()
        )


def _exact_baseline(texts: dict[str, str]) -> dict[str, Hashable]:
    return {
        path: hashlib.sha256("\n".join(map(normalize, split_paragraphs(text))).encode()).hexdigest()
        for path, text in texts.items()
    }


def _per_language(
    labels: dict[str, dict[str, Any]],
    truth: dict[str, Hashable],
    predicted: dict[str, Hashable],
    predicted_origin: dict[Hashable, str],
    expected_origin: dict[Hashable, str],
    syndicated: set[Hashable],
    words: dict[str, Hashable],
) -> dict[str, dict[str, Any]]:
    """ingestd's and the whitespace baseline's figures restricted to each language."""
    by_lang: dict[str, list[str]] = {}
    for path, label in labels.items():
        by_lang.setdefault(str(label.get("language") or "?"), []).append(path)
    result: dict[str, dict[str, Any]] = {}
    for lang in sorted(by_lang):
        paths = by_lang[lang]
        sub_truth = {p: truth[p] for p in paths}
        ours = cluster_scores(sub_truth, {p: predicted[p] for p in paths if p in predicted})
        baseline = cluster_scores(sub_truth, {p: words[p] for p in paths if p in words})
        stories = {sub_truth[p] for p in paths} & syndicated
        accuracy, scored, _ = origin_accuracy(
            sub_truth, expected_origin, predicted, predicted_origin, stories
        )
        result[lang] = {
            "articles": len(paths),
            "true_pairs": ours.true_pairs,
            "pair_precision": ours.pair_precision,
            "pair_recall": ours.pair_recall,
            "origin_accuracy": accuracy,
            "origin_stories": scored,
            "whitespace_precision": baseline.pair_precision,
            "whitespace_recall": baseline.pair_recall,
        }
    return result


def _whitespace_baseline(texts: dict[str, str]) -> dict[str, Hashable]:
    sets = {
        path: {" ".join(words[i : i + 5]) for i in range(max(len(words) - 4, 1))}
        for path, words in ((path, text.lower().split()) for path, text in texts.items())
    }
    parent = {path: path for path in texts}

    def find(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    paths = list(texts)
    for i, first in enumerate(paths):
        for second in paths[i + 1 :]:
            a, b = sets[first], sets[second]
            shared = len(a & b)
            if shared >= 20 and shared >= 0.5 * min(len(a), len(b)):
                parent[find(first)] = find(second)
    return {path: find(path) for path in texts}


def _lsh_baseline(texts: dict[str, str]) -> dict[str, Hashable]:
    lsh = MinHashLSH()  # datasketch defaults: threshold 0.9, 128 permutations
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for path, text in texts.items():
        words = text.lower().split()
        sketch = MinHash()
        sketch.update_batch(
            [" ".join(words[i : i + 5]).encode() for i in range(max(len(words) - 4, 1))]
        )
        parent[path] = path
        for hit in lsh.query(sketch):
            parent[find(hit)] = find(path)
        lsh.insert(path, sketch)
    return {path: find(path) for path in texts}


def _earliest_origin(
    clusters: dict[str, Hashable], published: dict[str, str], outlet_of: dict[str, str]
) -> dict[Hashable, str]:
    origins: dict[Hashable, tuple[str, str]] = {}
    for path, cluster in clusters.items():
        candidate = (published.get(path, ""), outlet_of.get(path, ""))
        if cluster not in origins or candidate < origins[cluster]:
            origins[cluster] = candidate
    return {cluster: outlet for cluster, (_, outlet) in origins.items()}


def _print_pair_errors(
    truth: dict[str, Hashable], predicted: dict[str, Hashable], echo: Callable[[str], None]
) -> None:
    """List missed and wrong links, so a regression can be read, not just counted."""
    items = sorted(set(truth) & set(predicted))
    missed, wrong = [], []
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            same_truth = truth[first] == truth[second]
            same_predicted = predicted[first] == predicted[second]
            if same_truth and not same_predicted:
                missed.append((first, second))
            elif same_predicted and not same_truth:
                wrong.append((first, second))
    for label, pairs in (("missed", missed), ("wrongly linked", wrong)):
        for first, second in pairs[:15]:
            echo(f"  {label}: {first} ~ {second}")
        if len(pairs) > 15:
            echo(f"  ... {len(pairs) - 15} more {label}")
