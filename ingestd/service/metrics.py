"""Prometheus metrics of the daemon, and the endpoint that serves them.

Usage::

    metrics = Metrics()
    metrics.observe_poll(outcome)          # a PollOutcome
    server = metrics.serve("127.0.0.1", 9464)
    ...
    server.close()

Each daemon has its own registry (not the library's global one), so tests
and several daemons in one process never share counters. The ``ingestd_worker_*``
series carry a ``worker`` label (the id of its row in the store's worker table), so a
Prometheus scraping every worker of a fleet tells them apart and sums them.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import start_http_server

from ingestd.pipeline import EntryOutcome, PollOutcome
from ingestd.store.records import WorkerInfo

__all__ = ["Metrics", "MetricsServer"]


class MetricsServer:
    """A running metrics endpoint."""

    def __init__(self, server: WSGIServer, thread: threading.Thread):
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class Metrics:
    """The daemon's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter(
            "ingestd_feed_polls",
            "Feed polls by result (new, unchanged, error).",
            ["result"],
            registry=r,
        )
        self.not_modified = Counter(
            "ingestd_feed_not_modified", "Feed polls answered 304 Not Modified.", registry=r
        )
        self.errors = Counter(
            "ingestd_errors",
            "Failed feed polls and pages, by stage and kind.",
            ["stage", "kind"],
            registry=r,
        )
        self.entries_found = Counter(
            "ingestd_entries_found", "New feed entries recorded as pending.", registry=r
        )
        self.articles_stored = Counter(
            "ingestd_articles_stored", "New articles stored.", registry=r
        )
        self.duplicates_found = Counter(
            "ingestd_duplicates_found",
            "New articles filed as copies in an existing story (syndication found).",
            registry=r,
        )
        self.extraction_seconds = Histogram(
            "ingestd_extraction_seconds",
            "Time to extract one page in the worker pool.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=r,
        )
        self.pending = Gauge(
            "ingestd_pending_entries", "Entries waiting for their page (queue depth).", registry=r
        )
        self.loop_lag = Gauge(
            "ingestd_event_loop_lag_seconds",
            "Last measured event-loop lag (oversleep of a periodic timer).",
            registry=r,
        )
        self.loop_lag_max = Gauge(
            "ingestd_event_loop_lag_max_seconds", "Largest event-loop lag since start.", registry=r
        )
        self.worker_info = Gauge(
            "ingestd_worker_info",
            "This worker (always 1): its id in the store, host and pid.",
            ["worker", "host", "pid"],
            registry=r,
        )
        self.worker_leases = Gauge(
            "ingestd_worker_leases",
            "Leases this worker holds, by kind (feed, entry), at its last heartbeat.",
            ["worker", "kind"],
            registry=r,
        )
        self.worker_polls = Counter(
            "ingestd_worker_feed_polls", "Feed polls made by this worker.", ["worker"], registry=r
        )
        self.worker_pages = Counter(
            "ingestd_worker_pages",
            "Pages this worker fetched (stored, updated or failed).",
            ["worker"],
            registry=r,
        )
        self.max_lag = 0.0
        self.worker = ""

    def set_worker(self, info: WorkerInfo) -> None:
        """Label the per-worker series with this worker's id."""
        self.worker = info.id
        self.worker_info.labels(info.id, info.host, str(info.pid)).set(1)
        self.observe_leases(0, 0)
        self.worker_polls.labels(info.id)
        self.worker_pages.labels(info.id)

    def observe_leases(self, feeds: int, entries: int) -> None:
        """Record the leases held now."""
        self.worker_leases.labels(self.worker, "feed").set(feeds)
        self.worker_leases.labels(self.worker, "entry").set(entries)

    def observe_poll(self, outcome: PollOutcome) -> None:
        """Count one feed poll."""
        self.polls.labels(outcome.result).inc()
        self.worker_polls.labels(self.worker).inc()
        if outcome.status == 304:
            self.not_modified.inc()
        if outcome.result == "error":
            self.errors.labels("feed", outcome.error_kind or "unknown").inc()
        self.entries_found.inc(outcome.new_entries)

    def observe_entry(self, outcome: EntryOutcome) -> None:
        """Count one ingested (or failed) entry."""
        if outcome.result != "known":
            self.worker_pages.labels(self.worker).inc()
        if outcome.result == "failed":
            self.errors.labels("page", outcome.error_kind or "unknown").inc()
        elif outcome.result == "stored":
            self.articles_stored.inc()
            if outcome.copy:
                self.duplicates_found.inc()
        if outcome.extract_seconds is not None:
            self.extraction_seconds.observe(outcome.extract_seconds)

    def observe_lag(self, seconds: float) -> None:
        """Record one event-loop lag measurement."""
        self.loop_lag.set(seconds)
        if seconds > self.max_lag:
            self.max_lag = seconds
            self.loop_lag_max.set(seconds)

    def text(self) -> bytes:
        """The exposition text (what the endpoint serves)."""
        return generate_latest(self.registry)

    def serve(self, host: str, port: int) -> MetricsServer:
        """Serve ``/metrics`` from a background thread."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        return MetricsServer(server, thread)
