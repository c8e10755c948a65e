"""The serialised match step: features → candidates → verify → assign → story update.

This is the one place that reads and writes the store for matching; the
decisions themselves are the pure functions of :mod:`ingestd.match.verify`
and :mod:`ingestd.match.origin`. Each step holds the store's matching lock
(:meth:`ingestd.store.Store.match_lock`: one at a time per store, across
processes), so two articles can never split one story in two.

The candidate index is in the store (:mod:`ingestd.match.index`), written in
the step's transaction, so a Linker holds no state a decision depends on:
its only memory is a fixed-size cache of candidates' verification features
(``[match] cache_articles``), a copy of what the store holds.

The dedup window's clock is ``first_seen_at`` (when ingestd stored the
article; for ``ingestd import``, the article's publication time). An article
is compared with the indexed articles first seen within ``window`` before
``max(now, newest indexed first_seen_at)``; :meth:`Linker.trim` removes older
ones from the index in small batches. Measured from the newest indexed
article, the window never depends on how long a process has been up nor on
when the last trim ran: a trim only removes rows no later look-up can see.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from ingestd.fingerprint.params import SignatureParams
from ingestd.fingerprint.sketch import Signer
from ingestd.match.attribution import Attribution, KnownOutlet, find_attributions
from ingestd.match.features import (
    PreparedText,
    TextFeatures,
    build_features,
    choose_boilerplate,
    prepare_text,
)
from ingestd.match.index import CandidateIndex, Probe, decode_features
from ingestd.match.origin import (
    ChainLink,
    Credit,
    EdgeScore,
    MemberFacts,
    build_chain,
    choose_origin,
)
from ingestd.match.thresholds import Thresholds
from ingestd.match.verify import Verdict, verify
from ingestd.store.protocol import MatchStore
from ingestd.store.records import (
    EdgeRecord,
    IndexEntry,
    MemberRow,
    NewArticle,
    OutletRow,
    PendingEntry,
)
from ingestd.text.normalize import split_paragraphs
from ingestd.types import ExtractedArticle
from ingestd.urls import domain_of

log = logging.getLogger(__name__)

# Default cap of the verification-feature cache, in articles (about 10 KB
# each): copies mostly arrive within hours of their original, which is then
# still cached; a miss costs one indexed read of the stored features.
DEFAULT_CACHE_ARTICLES = 4096
# Articles per trim transaction: each batch deletes about 45 index rows per
# article, a few milliseconds, so the match lock is never held long.
TRIM_BATCH = 200


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An article's text work done before the match lock (:meth:`Linker.read_text`)."""

    prepared: PreparedText
    attributions: tuple[Attribution, ...]
    credits: list[dict[str, Any]]


# Features computed before the lock: the counts they assumed, and
# (record, features, probe) from them.
Early = tuple[Mapping[int, int], tuple[NewArticle, TextFeatures, Probe]]


@dataclass(frozen=True, slots=True)
class LinkResult:
    """What happened to one article."""

    article_id: int
    story_id: int
    new: bool
    linked_to: int | None
    rule: str | None


class Linker:
    """Matches each new article against the dedup window and files it in a story."""

    def __init__(
        self,
        store: MatchStore,
        *,
        params: SignatureParams,
        thresholds: Thresholds,
        window: timedelta,
        cache_articles: int = DEFAULT_CACHE_ARTICLES,
    ):
        self.store = store
        self.params = params
        self.thresholds = thresholds
        self.window = window
        self.signer = Signer(params)
        self.index = CandidateIndex(store, self.signer, thresholds)
        self.cache_articles = cache_articles
        self._features: OrderedDict[int, TextFeatures] = OrderedDict()
        self.refresh_outlets()

    def refresh_outlets(self) -> None:
        """Reload the outlet directory (after a config change)."""
        self.outlets: dict[int, OutletRow] = {o.id: o for o in self.store.outlets()}
        self.known = [KnownOutlet(o.name, o.domain, o.aliases) for o in self.outlets.values()]
        self._by_domain = {o.domain: o for o in self.outlets.values()}

    # -- the window ----------------------------------------------------------

    def window_start(self, now: datetime) -> datetime:
        """The earliest first-seen time an article seen at ``now`` is compared with."""
        return self._window_from(self.store.index_high_water(), now)

    def _window_from(self, newest: datetime | None, now: datetime) -> datetime:
        clock = max(now, newest) if newest is not None else now
        return clock - self.window

    def trim(self, now: datetime, *, batch: int = TRIM_BATCH, max_batches: int = 1) -> int:
        """Remove articles that left the window from the index; returns how many.

        At most ``max_batches`` transactions of ``batch`` articles each, every
        one short and under the matching lock, so a trim never stalls the
        match step. Articles and stories stay.
        """
        removed = 0
        for _ in range(max_batches):
            with self.store.match_lock():
                done = self.store.trim_index(self.window_start(now), batch)
            removed += done
            if done < batch:
                break
        return removed

    def index_backlog(self, now: datetime, *, batch: int = 50) -> int:
        """Index up to ``batch`` articles stored before the store-held index existed.

        Only after an upgrade (migration 0006 queues them); articles already
        outside the window are taken off the backlog without work. Returns
        how many were taken off (0: nothing left).
        """
        with self.store.match_lock():
            rows = self.store.index_backlog(batch)
            if not rows:
                return 0
            start = self.window_start(now)
            entries: list[tuple[int, IndexEntry | None]] = []
            for stored in rows:
                seen = stored.first_seen_at
                if seen is None or seen < start or not stored.text:
                    entries.append((stored.article_id, None))
                    continue
                paragraphs = split_paragraphs(stored.text)
                outlet = self.outlets.get(stored.outlet_id)
                own = outlet.domain if outlet else None
                attributions = find_attributions(paragraphs, self.known, own_domain=own)
                prepared = prepare_text(paragraphs)
                counts = self.store.paragraph_counts(stored.outlet_id, list(prepared.keys))
                features = self._features_for(
                    stored.outlet_id, prepared, attributions, counts, stored=True
                )
                signature = self.signer.sign(features.shingles)
                probe = self.index.probe(signature, features, features.full_text_hash)
                entries.append((stored.article_id, self.index.entry(probe, features, seen)))
            self.store.index_from_backlog(entries)
        return len(rows)

    # -- the step ----------------------------------------------------------

    def link(
        self,
        entry: PendingEntry,
        article: ExtractedArticle,
        now: datetime,
        *,
        text: PreparedArticle | None = None,
    ) -> LinkResult:
        """Store one extracted article and file it in a story.

        An entry that revisits a stored article (same URL, or same GUID at
        the same outlet) stores a new version of it, in the same story.
        The work that depends on the text alone (paragraphs, normalisation,
        credits) is done first, outside the lock, and so, unless a
        transaction is already open, are the features, signature and index
        keys, against the outlet's boilerplate counts read beforehand; the
        look-up → candidates → verify → insert → assign step then runs under
        the store's matching lock (invariant 4), in one transaction, which
        also writes the article's candidate-index rows. Under the lock the
        counts are read again, and the features are computed again only if
        they now choose other boilerplate paragraphs, so the decision is the
        one a fully locked step would make. The feature cache learns the
        article only once the step's transaction has committed (the caller's,
        when the step joined one: a group commit). ``text``: the article's
        :meth:`read_text`, when the caller did it ahead (before opening the
        transaction the step joins).
        """
        if text is None:
            text = self.read_text(entry.outlet_id, article)
        early: Early | None = None
        if entry.article_id is None and not self.store.in_transaction:
            counts = self.store.paragraph_counts(entry.outlet_id, text.prepared.keys)
            early = (counts, self._prepare(entry, article, text, counts, now, revisit=False))
        with self.store.match_lock():
            result, features = self._link_locked(entry, article, text, now, early)
            if result.new or result.rule == "updated":
                # Learnt when the step commits: with the transaction it
                # joined (a group commit), or at once when it had its own.
                self.store.on_commit(partial(self._remember, result.article_id, features))
        return result

    def read_text(self, outlet_id: int, article: ExtractedArticle) -> PreparedArticle:
        """What the match step needs of a text (of ``outlet_id``) that no stored state decides.

        Pure of the store (but for reloading the outlet directory when the
        outlet is new), so it runs before the match lock is taken.
        """
        if outlet_id not in self.outlets:
            # An outlet created since start-up (`ingestd feeds add` in another
            # process): its articles are credited and matched like the rest.
            self.refresh_outlets()
        outlet = self.outlets[outlet_id]
        paragraphs = split_paragraphs(article.text)
        attributions = find_attributions(paragraphs, self.known, own_domain=outlet.domain)
        credits: list[dict[str, Any]] = [
            {
                "kind": a.kind,
                "phrase": a.phrase,
                "domain": a.domain,
                "outlet": a.outlet_name,
                "named": a.named,
            }
            for a in attributions
        ]
        canonical_credit = self._canonical_credit(article.canonical_url, outlet)
        if canonical_credit:
            credits.insert(0, canonical_credit)
        prepared = article.prepared  # done by the extraction worker, when it could
        if prepared is None or prepared.paragraphs != tuple(paragraphs):
            prepared = prepare_text(paragraphs)  # each paragraph normalised once
        return PreparedArticle(prepared, tuple(attributions), credits)

    def _link_locked(
        self,
        entry: PendingEntry,
        article: ExtractedArticle,
        text: PreparedArticle,
        now: datetime,
        early: Early | None = None,
    ) -> tuple[LinkResult, TextFeatures]:
        # One round trip: the stored article of this URL, the paragraphs'
        # boilerplate counts and the index's clock.
        context = self.store.match_context(
            entry.url,
            entry.outlet_id,
            entry.guid,
            text.prepared.keys,
            look_up=entry.article_id is None,
        )
        existing = entry.article_id or context.existing
        if (
            early is not None
            and existing is None
            and self._boilerplate(text.prepared, early[0], stored=False)
            == self._boilerplate(text.prepared, context.counts, stored=False)
        ):
            record, features, probe = early[1]  # the same boilerplate: the same features
        else:
            record, features, probe = self._prepare(
                entry, article, text, context.counts, now, revisit=existing is not None
            )
        if existing is not None:
            changed = self.store.update_article(existing, record, now)
            story_id = self.store.story_of(existing)
            if changed:
                self.recompute_story(story_id, now)
            result = LinkResult(existing, story_id, False, None, "updated" if changed else None)
            return result, features

        verdicts: list[tuple[int, Verdict]] = []
        since = self._window_from(context.high_water, now)
        candidates, twins = self.index.candidates(probe, since)
        candidates.extend(twins)
        stored = self._stored_features(candidates)
        for candidate in candidates:
            other = stored.get(candidate)
            if other is None:
                continue
            verdicts.append((candidate, verify(features, other, self.thresholds)))
        linked = [(c, v) for c, v in verdicts if v.linked]
        best: tuple[int, Verdict] | None = None
        if linked:
            best = max(
                linked,
                key=lambda cv: (cv[1].score.containment_of(True), cv[1].score.jaccard, -cv[0]),
            )
        article_id, story_id = self.store.file_article(
            record, now, with_article=best[0] if best else None
        )
        self.store.add_edges(
            (
                self._edge(article_id, c, v)
                for c, v in verdicts
                if v.linked or v.score.containment >= self.thresholds.min_containment / 2
            ),
            now,
        )
        self.recompute_story(story_id, now)
        result = LinkResult(
            article_id, story_id, True, best[0] if best else None, best[1].rule if best else None
        )
        return result, features

    def prepare(
        self, entry: PendingEntry, article: ExtractedArticle, now: datetime, *, revisit: bool
    ) -> tuple[NewArticle, TextFeatures, Probe]:
        """Record, features and probe of an article against the store's counts now.

        What :meth:`link` computes on its way, for tests and benchmarks that
        need it alone (two reads: call under the match lock to match what
        :meth:`link` would see).
        """
        text = self.read_text(entry.outlet_id, article)
        counts = self.store.paragraph_counts(entry.outlet_id, text.prepared.keys)
        return self._prepare(entry, article, text, counts, now, revisit=revisit)

    def _prepare(
        self,
        entry: PendingEntry,
        article: ExtractedArticle,
        text: PreparedArticle,
        counts: Mapping[int, int],
        now: datetime,
        *,
        revisit: bool,
    ) -> tuple[NewArticle, TextFeatures, Probe]:
        """Features, signature and record of an article, given its outlet's paragraph counts.

        ``revisit``: the article is already stored, so its own paragraphs are
        already counted in the outlet's boilerplate statistics.
        """
        features = self._features_for(
            entry.outlet_id, text.prepared, text.attributions, counts, stored=revisit
        )
        full_text_key = features.full_text_hash
        signature = self.signer.sign(features.shingles)
        probe = self.index.probe(signature, features, full_text_key)
        record = NewArticle(
            entry_id=entry.id,
            outlet_id=entry.outlet_id,
            url=entry.url,
            guid=entry.guid,
            title=article.title or entry.title,
            author=article.author,
            published_at=article.published_at or entry.published_at,
            first_seen_at=now,
            site_name=article.site_name,
            language=article.language,
            canonical_url=article.canonical_url,
            description=article.description,
            text=article.text,
            word_count=features.word_count,
            content_hash=f"v{self.params.version}:{full_text_key:016x}",
            credits=text.credits,
            signature=self.signer.to_bytes(signature),
            signature_params=self.params.key(),
            paragraph_keys=features.paragraph_keys,
            index=self.index.entry(probe, features, now),
        )
        return record, features, probe

    # -- stories -------------------------------------------------------------

    def recompute_story(self, story_id: int, now: datetime) -> None:
        """Re-decide a story's origin and chain from all its members."""
        rows = self.store.story_members(story_id)
        facts = [self._facts(row) for row in rows]
        # Read by primary key with the members' ids (no read for a lone
        # article): a plan that stays right whatever the statistics say.
        edges = {
            (e.article_a, e.article_b): EdgeScore(
                e.jaccard,
                e.shared / e.size_a if e.size_a else 0.0,
                e.shared / e.size_b if e.size_b else 0.0,
            )
            for e in self.store.edges_among([r.article_id for r in rows])
        }
        decision = choose_origin(facts)
        chain: list[ChainLink] = build_chain(facts, decision, edges)
        by_id = {row.article_id: row for row in rows}
        lead = by_id.get(decision.origin_article_id or -1) or min(
            rows, key=lambda r: (r.published_at or r.first_seen_at, r.article_id)
        )
        self.store.update_story(
            story_id,
            origin_article_id=decision.origin_article_id,
            origin_outlet=decision.origin_outlet,
            origin_domain=decision.origin_domain,
            attributed=decision.attributed,
            reason=decision.reason,
            evidence=list(decision.evidence),
            canonical_url=lead.canonical_url or lead.url,
            title=lead.title,
            members=[
                (link.article_id, link.role, link.derived_from, link.similarity, link.evidence)
                for link in chain
            ],
            now=now,
        )

    # -- helpers -------------------------------------------------------------

    def _canonical_credit(self, canonical: str | None, outlet: OutletRow) -> dict[str, Any] | None:
        """A canonical link to another configured outlet is origin evidence."""
        if not canonical:
            return None
        try:
            domain = domain_of(canonical)
        except ValueError:
            return None
        target = self._by_domain.get(domain)
        if target is None or target.id == outlet.id:
            return None
        return {
            "kind": "canonical",
            "phrase": canonical,
            "domain": domain,
            "outlet": target.name,
            "named": domain,
        }

    def _features_for(
        self,
        outlet_id: int,
        prepared: PreparedText,
        attributions: Sequence[Attribution],
        counts: Mapping[int, int],
        *,
        stored: bool = False,
    ) -> TextFeatures:
        """Features with the outlet's boilerplate and credit-only paragraphs removed.

        A paragraph is boilerplate once it appears in ``boilerplate_min_articles``
        articles of the outlet (``counts``: the store's counts of the text's
        paragraph keys); a stored article counts itself, a new one not yet.
        """
        return build_features(
            prepared,
            boilerplate=self._boilerplate(prepared, counts, stored=stored),
            credit_paragraphs={a.paragraph_index for a in attributions if a.whole_paragraph},
            params=self.params,
            thresholds=self.thresholds,
            outlet_id=outlet_id,
        )

    def _boilerplate(
        self, prepared: PreparedText, counts: Mapping[int, int], *, stored: bool
    ) -> set[int]:
        needed = self.thresholds.boilerplate_min_articles - (0 if stored else 1)
        return choose_boilerplate(prepared.keys, counts, needed)

    def _stored_features(self, article_ids: Sequence[int]) -> dict[int, TextFeatures]:
        """Verification features of indexed articles: from the cache, else from the store.

        The store keeps the features computed when each article was linked,
        so a cached and a stored copy are the same and no decision depends on
        what a process happens to have cached.
        """
        found: dict[int, TextFeatures] = {}
        missing = []
        for article_id in article_ids:
            cached = self._features.get(article_id)
            if cached is not None:
                self._features.move_to_end(article_id)
                found[article_id] = cached
            else:
                missing.append(article_id)
        for article_id, (blob, outlet_id) in self.store.index_features(missing).items():
            # The outlet decides same-outlet rules (an update, not a follow-up).
            features = replace(decode_features(blob), outlet_id=outlet_id)
            found[article_id] = features
            self._remember(article_id, features)
        return found

    def _remember(self, article_id: int, features: TextFeatures) -> None:
        self._features[article_id] = features
        self._features.move_to_end(article_id)
        while len(self._features) > self.cache_articles:
            self._features.popitem(last=False)

    @staticmethod
    def _edge(article_id: int, other: int, verdict: Verdict) -> EdgeRecord:
        score = verdict.score
        # score.size_a is the NEW article's size; edges are stored smaller id first.
        if other < article_id:
            return EdgeRecord(
                other,
                article_id,
                score.shared,
                score.size_b,
                score.size_a,
                score.jaccard,
                verdict.rule,
                verdict.linked,
            )
        return EdgeRecord(
            article_id,
            other,
            score.shared,
            score.size_a,
            score.size_b,
            score.jaccard,
            verdict.rule,
            verdict.linked,
        )

    def _facts(self, row: MemberRow) -> MemberFacts:
        outlet = self._by_domain.get(row.outlet_domain)
        return MemberFacts(
            article_id=row.article_id,
            url=row.url,
            outlet_name=row.outlet_name,
            outlet_domain=row.outlet_domain,
            outlet_role=outlet.role if outlet else row.outlet_role,
            published_at=row.published_at,
            first_seen_at=row.first_seen_at,
            word_count=row.word_count,
            credits=tuple(
                Credit(
                    c["kind"],
                    c["phrase"],
                    c.get("domain"),
                    c.get("outlet"),
                    c.get("named") or c.get("outlet") or c.get("domain") or "",
                )
                for c in row.credits
            ),
        )


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)
