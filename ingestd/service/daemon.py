"""``ingestd run``: the daemon's lifecycle.

    start:   open store (writer thread) → metrics endpoint → extraction pool → HTTP client
             → matcher warm-up → register as a worker (store_workers) → plan every
             feed at its stored due time → READY=1
    running: a feed's job fires → claim it (a lease; skipped if another worker holds
             it or already polled it for this due time) → poll it → save entries,
             validators and next due time (one transaction) → release → plan it again;
             pending entries are claimed, then ingested as they appear (and those
             left by a crash are found at start, once their leases expire); a
             heartbeat renews every lease held, ``[service] lease_seconds`` / 3 apart
    SIGHUP:  reload the configuration: feeds added and removed without restart; a bad
             file is logged and the running configuration kept
    SIGTERM/SIGINT: STOPPING=1, no new work, in-flight work gets ``grace_period``
             seconds, the rest is abandoned (it stays pending in the store) → every
             lease released, the worker's row dropped → exit 0
    a second SIGTERM/SIGINT: exit at once (status 1); the store is crash-safe

Exactly one ``stopped`` log line is written on the way out. An unexpected
exception (a bug) stops the daemon with status 1, for systemd to restart it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import random
import signal
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ingestd.app import config_owner, fetch_limits, open_store
from ingestd.errors import ConfigError, IngestdError, StoreUnavailableError
from ingestd.extract.pool import ExtractionPool
from ingestd.fetch.client import Fetcher
from ingestd.lease.keeper import LeaseKeeper, new_worker
from ingestd.lease.policy import replan_at
from ingestd.match.linker import utcnow
from ingestd.pipeline import (
    CycleStats,
    EntryOutcome,
    Ingestor,
    PipelineHooks,
    PollOutcome,
    outlet_table,
)
from ingestd.schedule import state
from ingestd.schedule.hints import parse_hints
from ingestd.schedule.policy import PolicyConfig, Uniform, next_poll, retry_delay, start_times
from ingestd.service import early_signals
from ingestd.service.logs import LIFECYCLE_LOGGER
from ingestd.service.metrics import Metrics, MetricsServer
from ingestd.service.notify import Notifier
from ingestd.service.politeness import StoreFleet
from ingestd.service.scheduler import FeedScheduler
from ingestd.service.writer import WriterThread
from ingestd.settings import Settings, load_settings, split_listen
from ingestd.store import Store
from ingestd.store import open_store as open_store_url
from ingestd.store.records import FeedRow, PendingEntry

log = logging.getLogger(__name__)
# "started" and "stopped" are logged whatever the verbosity (service/logs.py
# keeps this logger at INFO): one line each, so a quiet daemon still says
# when it came and went.
lifecycle = logging.getLogger(LIFECYCLE_LOGGER)

# The event-loop lag probe: a timer this long that wakes late by X seconds
# means the loop was blocked (or starved) for X seconds.
LAG_PROBE_SECONDS = 0.25
# How often the queue depth and systemd STATUS are refreshed.
STATUS_SECONDS = 5.0
# How often articles that left the dedup window leave the candidate index.
INDEX_TRIM_SECONDS = 60.0
# Pending entries whose retry time passes are noticed within this long,
# even when nothing else wakes the ingestion loop.
IDLE_RECHECK_SECONDS = 2.0
# After the grace period, cancelled tasks get this long to unwind.
CANCEL_SECONDS = 2.0
# Exit status of a forced (second signal) exit.
FORCED_EXIT = 1
# Pending entries read per free ingestion slot, so that slots can still be
# filled when the first candidates belong to hosts already at their limit.
CANDIDATES_PER_SLOT = 4


class RunState(enum.Enum):
    """Where the daemon is in its life."""

    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


def policy_config(settings: Settings) -> PolicyConfig:
    """The scheduling policy's bounds from ``[schedule]``."""
    s = settings.schedule
    return PolicyConfig(
        min_interval=s.min_interval,
        max_interval=s.max_interval,
        jitter=s.jitter,
        backoff_base=s.backoff_base,
        backoff_max=s.backoff_max,
        max_retry_after=settings.fetch.max_retry_after,
    )


class ScheduleHooks(PipelineHooks):
    """Saves each feed's next due time in the transaction of its poll."""

    def __init__(self, policy: PolicyConfig, rng: Uniform):
        self.policy = policy
        self.rng = rng

    def feed_polled(
        self, store: Store, feed: FeedRow, outcome: PollOutcome, now: datetime
    ) -> PollOutcome:
        """Decide and save the next poll (the history includes this poll)."""
        history = state.feed_history(store, feed.id)
        ttl = outcome.ttl_minutes if outcome.parsed else state.stored_ttl(store, feed.id)
        hints = parse_hints(outcome.headers, now, ttl_minutes=ttl, retry_after=outcome.retry_after)
        decision = next_poll(self.policy, history, hints, now, self.rng)
        state.record_decision(store, feed.id, decision, ttl_minutes=ttl, update_ttl=outcome.parsed)
        return replace(outcome, next_poll_at=decision.at)

    def entry_failed(
        self,
        store: Store,
        entry: PendingEntry,
        give_up: bool,
        now: datetime,
        retry_after: float | None = None,
    ) -> None:
        """A failed page waits before its next try: as the server asked, or backing off."""
        if not give_up:
            delay = retry_delay(self.policy, entry.attempts + 1, retry_after)
            state.delay_entry(store, entry.id, now + timedelta(seconds=delay))


class Daemon:
    """The long-running service behind ``ingestd run``.

    Usage::

        exit_code = asyncio.run(Daemon(config_path, settings).run())
    """

    def __init__(
        self,
        config_path: Path | None,
        settings: Settings,
        *,
        notifier: Notifier | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: Uniform | None = None,
    ):
        self.config_path = config_path
        self.settings = settings
        self.notifier = notifier or Notifier.from_env()
        self.clock = clock
        self.hooks = ScheduleHooks(policy_config(settings), rng or random.Random())
        self.metrics = Metrics()
        self._leases: LeaseKeeper | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self.totals = CycleStats()
        self.state = RunState.STARTING
        self.exit_code = 0
        self.writer = WriterThread(lambda: open_store(self.settings))
        # Per-host politeness shared with every process on the store, on a
        # connection of its own (never queued behind the writer's work).
        self.fleet = StoreFleet(lambda: open_store_url(self.settings.storage.url, create=False))
        self.scheduler = FeedScheduler(self._feed_due)
        self._ingestor: Ingestor | None = None
        self._pool: ExtractionPool | None = None
        self._fetcher: Fetcher | None = None
        self._metrics_server: MetricsServer | None = None
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._work: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._polling: set[int] = set()
        self._ingesting: set[int] = set()
        # Pages in hand per host: at most [fetch] per_host_concurrency, so a
        # host with a long backlog never takes every ingestion slot.
        self._host_busy: Counter[str] = Counter()
        self.owner = config_owner(config_path)

    @property
    def ingestor(self) -> Ingestor:
        """The pipeline (available once started)."""
        if self._ingestor is None:
            raise RuntimeError("daemon not started")
        return self._ingestor

    @property
    def leases(self) -> LeaseKeeper:
        """This worker's leases (available once started)."""
        if self._leases is None:
            raise RuntimeError("daemon not started")
        return self._leases

    # -- lifecycle ------------------------------------------------------------

    async def run(self) -> int:
        """Start, serve until asked to stop, stop; returns the exit status."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig.name)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)
        # Signals received before these handlers existed (while ingestd was
        # importing) get the same answer now; a stop then skips the start.
        reload_early = self._replay_early_signals()
        if not self._stop.is_set():
            try:
                await self._start()
            except BaseException:
                await self._release()
                log.error("stopped: start-up failed", extra={"event": "stopped", "exit_code": 1})
                raise
            feeds = len(self.scheduler.planned())
            self.notifier.notify(READY=1, STATUS=f"polling {feeds} feeds")
            lifecycle.info(
                "started", extra={"event": "started", "feeds": feeds, "pid": os.getpid()}
            )
            if reload_early:
                self._on_reload_signal()
            await self._stop.wait()
        abandoned = await self._shutdown()
        self.state = RunState.STOPPED
        lifecycle.info(
            "stopped",
            extra={"event": "stopped", "exit_code": self.exit_code, "abandoned": abandoned},
        )
        return self.exit_code

    def request_stop(self, exit_code: int = 0) -> None:
        """Ask the daemon to stop (returns at once; ``run`` does the stopping)."""
        self.exit_code = max(self.exit_code, exit_code)
        self._stop.set()

    async def _start(self) -> None:
        await self.writer.start()
        await self.fleet.start()
        listen = self.settings.metrics.listen
        if listen is not None:
            host, port = split_listen(listen)
            try:
                self._metrics_server = self.metrics.serve(host, port)
            except OSError as error:
                raise IngestdError(f"metrics endpoint {listen}: {error}") from None
            log.info("metrics served", extra={"event": "metrics_listen", "listen": listen})
        self._pool = ExtractionPool(self.settings.extract.workers)
        self._pool.__enter__()
        self._fetcher = Fetcher(fetch_limits(self.settings), fleet=self.fleet)
        await self._fetcher.__aenter__()
        fetcher, pool = self._fetcher, self._pool
        self._ingestor = await self.writer.call(
            lambda store: Ingestor(
                self.settings,
                store,
                fetcher,
                pool,
                clock=self.clock,
                db=self.writer,
                hooks=self.hooks,
                owner=self.owner,
            )
        )
        worker = new_worker("run", self.owner, self.settings.service.lease_seconds, self.clock())
        self._leases = LeaseKeeper(self.writer, worker, self.clock)
        await self._leases.register()
        self.metrics.set_worker(worker)
        self.scheduler.start()
        self.state = RunState.RUNNING
        await self._sync_jobs()
        self._spawn_background(self._ingest_loop())
        self._heartbeat_task = self._spawn_background(self._heartbeat())
        self._spawn_background(self._measure_lag())
        self._spawn_background(self._report_status())
        self._spawn_background(self._follow_store())
        self._spawn_background(self._maintain_index())
        interval = self.notifier.watchdog_interval()
        if interval is not None:
            self._spawn_background(self._watchdog(interval))

    async def _shutdown(self) -> int:
        """Stop taking work, give in-flight work the grace period; returns how many abandoned."""
        grace = self.settings.service.grace_period
        self.state = RunState.STOPPING
        self.notifier.notify(STOPPING=1, STATUS="stopping")
        log.info(
            "stopping",
            extra={"event": "stopping", "in_flight": len(self._work), "grace_s": grace},
        )
        self.scheduler.shutdown()
        self._wake.set()
        busy = {task for task in self._work if not task.done()}
        left: set[asyncio.Task[None]] = set()
        if busy:
            _done, left = await asyncio.wait(busy, timeout=grace)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=CANCEL_SECONDS)
            log.warning(
                "abandoned in-flight work after the grace period; it stays pending",
                extra={"event": "abandoned", "tasks": len(left), "grace_s": grace},
            )
        await self._retire()
        await self._release()
        return len(left)

    async def _retire(self) -> None:
        """Give back every lease at once (other workers need not wait for expiry)."""
        if self._leases is None:
            return
        if self._heartbeat_task is not None:
            # Stopped first: a heartbeat after the retirement would write the
            # worker's row back.
            self._heartbeat_task.cancel()
            await asyncio.gather(self._heartbeat_task, return_exceptions=True)
        try:
            await self._leases.retire()
        except IngestdError as error:
            # The store is unusable: the leases expire by themselves.
            log.warning("leases not released: %s", error, extra={"event": "retire_failed"})

    async def _release(self) -> None:
        """Close everything that was opened (safe after a partial start)."""
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self.scheduler.shutdown()
        if self._fetcher is not None:
            await self._fetcher.aclose()
        if self._pool is not None:
            # Shutting the pool down waits for a page already in a worker.
            await asyncio.get_running_loop().run_in_executor(None, self._pool.close)
        await self.fleet.close()
        await self.writer.close()
        if self._metrics_server is not None:
            self._metrics_server.close()
        self.notifier.close()

    def _replay_early_signals(self) -> bool:
        """Act on the signals recorded before the loop's handlers; True if one asked to reload."""
        reload = False
        for sig in early_signals.take():
            log.info(
                "%s received during start-up",
                sig.name,
                extra={"event": "early_signal", "signal": sig.name},
            )
            if sig == signal.SIGHUP:
                reload = True  # the configuration is re-read once running
            else:
                self._on_stop_signal(sig.name)
        return reload

    def _on_stop_signal(self, name: str) -> None:
        if self._stop.is_set():
            log.warning("second %s: forcing exit", name, extra={"event": "forced_exit"})
            self.notifier.notify(STATUS="forced exit")
            logging.shutdown()
            os._exit(FORCED_EXIT)
        log.info("%s: stopping", name, extra={"event": "signal", "signal": name})
        self.request_stop()

    def _on_reload_signal(self) -> None:
        self._spawn_background(self._reload_quietly())

    async def _reload_quietly(self) -> None:
        await self.reload()

    def _spawn_background(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._crash(task.exception())

    def _crash(self, error: BaseException | None) -> None:
        # Per-item errors never get here (the pipeline records them on their
        # feed or entry): this is the process itself failing, so stop and let
        # systemd restart the service (RestartSec, StartLimitBurst).
        if isinstance(error, StoreUnavailableError):
            log.error(
                "stopping: the store is unusable: %s",
                error,
                extra={"event": "crash", "kind": "store"},
            )
        else:
            log.error(
                "stopping: unexpected error: %r",
                error,
                exc_info=error,
                extra={"event": "crash", "kind": "bug"},
            )
        self.request_stop(exit_code=1)

    # -- configuration ----------------------------------------------------------

    async def reload(self) -> bool:
        """Reload the configuration file; False (old one kept) if it is bad."""
        if self.state is not RunState.RUNNING:
            return False
        if self.config_path is None:
            log.warning("no configuration file to reload", extra={"event": "reload_failed"})
            return False
        try:
            new = await asyncio.to_thread(load_settings, self.config_path)
        except ConfigError as error:
            log.error(
                "reload failed, keeping the running configuration: %s",
                error,
                extra={"event": "reload_failed", "error": str(error)},
            )
            self.notifier.notify(STATUS=f"reload failed: {error}")
            return False
        old, now = self.settings, self.clock()
        ingestor = self.ingestor

        def apply(store: Store) -> None:
            store.sync_outlets(outlet_table(new), now, owner=self.owner)
            ingestor.linker.refresh_outlets()

        await self.writer.call(apply)
        self.settings = new
        ingestor.settings = new
        self.hooks.policy = policy_config(new)
        before = set(self.scheduler.planned()) | self._polling
        await self._sync_jobs()
        after = set(self.scheduler.planned()) | self._polling
        restart = [
            name
            for name in ("storage", "fetch", "extract", "match", "metrics", "log")
            if getattr(old, name) != getattr(new, name)
        ]
        if restart:
            log.warning(
                "changes to [%s] take effect at the next restart",
                "], [".join(restart),
                extra={"event": "reload_needs_restart", "sections": restart},
            )
        log.info(
            "configuration reloaded",
            extra={
                "event": "reloaded",
                "feeds": len(after),
                "added": len(after - before),
                "removed": len(before - after),
            },
        )
        self.notifier.notify(STATUS=f"reloaded: polling {len(after)} feeds")
        return True

    async def _sync_jobs(self) -> None:
        """Plan every active feed at its stored due time; drop feeds no longer active."""
        due = await self.writer.call(state.due_times)
        planned = self.scheduler.planned()
        unplanned = {
            feed_id: at
            for feed_id, at in due.items()
            if feed_id not in planned and feed_id not in self._polling
        }
        starts = start_times(self.hooks.policy, unplanned, self.clock(), self.hooks.rng)
        for feed_id, at in starts.items():
            self.scheduler.plan(feed_id, at)
        for feed_id in planned:
            if feed_id not in due:
                self.scheduler.forget(feed_id)

    # -- feeds ----------------------------------------------------------------------

    async def _feed_due(self, feed_id: int) -> None:
        """APScheduler's job: hand the poll to a task the daemon owns."""
        if self.state is not RunState.RUNNING or feed_id in self._polling:
            return
        self._polling.add(feed_id)
        self._track(self._poll(feed_id), lambda: self._polling.discard(feed_id))

    async def _poll(self, feed_id: int) -> None:
        claim = await self.leases.claim_feed(feed_id, due=True)
        if claim.feed is None:
            # Gone from the configuration, polled by another worker for this
            # due time, or being polled by one now: look again when it says.
            again = replan_at(self.leases.policy, claim, self.clock())
            log.debug(
                "feed not claimed: %s",
                claim.result,
                extra={"event": "feed_not_claimed", "feed_id": feed_id, "result": claim.result},
            )
            if again is not None and self.state is RunState.RUNNING:
                self.scheduler.plan(feed_id, again)
            return
        outcome = await self.ingestor.poll_feed(claim.feed)
        await self.leases.release_feed(feed_id)
        self.metrics.observe_poll(outcome)
        self.totals.add_poll(outcome)
        if self.state is RunState.RUNNING:
            if outcome.next_poll_at is not None:
                self.scheduler.plan(feed_id, outcome.next_poll_at)
            else:
                # The poll did not schedule the feed again (it was merged into
                # the feed at its new address): take the plans from the store.
                await self._sync_jobs()
        if outcome.new_entries:
            self._wake.set()

    def _track(self, coro: Coroutine[Any, Any, None], done: Callable[[], None]) -> None:
        task = asyncio.create_task(coro)
        self._work.add(task)

        def finished(task: asyncio.Task[None]) -> None:
            self._work.discard(task)
            done()
            self._wake.set()
            if not task.cancelled() and task.exception() is not None:
                self._crash(task.exception())

        task.add_done_callback(finished)

    # -- pending entries --------------------------------------------------------------

    async def _ingest_loop(self) -> None:
        """Ingest pending entries as they appear, a bounded number at a time.

        Entries come in turns across feeds (:meth:`Store.pending_entries`),
        and a host already at ``per_host_concurrency`` pages in hand gets no
        more: its pages would only queue at the host's gate, holding slots
        that other hosts' pages could use.
        """
        limit = max(2, self.settings.fetch.concurrency)
        while self.state is RunState.RUNNING:
            self._wake.clear()
            room = limit - len(self._ingesting)
            if room > 0:
                per_host = self.settings.fetch.per_host_concurrency
                # Over-fetch: some candidates may belong to hosts already busy.
                candidates = await self.writer.call(
                    partial(
                        state.ready_entries,
                        now=self.clock(),
                        limit=room * CANDIDATES_PER_SLOT,
                        exclude=frozenset(self._ingesting),
                    )
                )
                if self.state is not RunState.RUNNING:
                    break
                picked = pick_entries(candidates, room, self._host_busy, per_host)
                # Another worker may have claimed some since they were read.
                taken = await self.leases.claim_entries(picked)
                for entry in taken:
                    host = _host(entry.raw_url)
                    self._ingesting.add(entry.id)
                    self._host_busy[host] += 1
                    self._track(self._ingest(entry), partial(self._ingest_done, entry.id, host))
                if len(taken) == room or len(taken) < len(picked):
                    continue  # full, or lost some to another worker: read again
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_RECHECK_SECONDS)

    def _ingest_done(self, entry_id: int, host: str) -> None:
        self._ingesting.discard(entry_id)
        self._host_busy[host] -= 1
        if self._host_busy[host] <= 0:
            del self._host_busy[host]

    async def _ingest(self, entry: PendingEntry) -> None:
        outcome: EntryOutcome = await self.ingestor.ingest_entry(entry)
        await self.leases.release_entry(entry.id, fetched=outcome.result != "known")
        self.metrics.observe_entry(outcome)
        self.totals.add_entry(outcome)

    async def _heartbeat(self) -> None:
        # Renew every lease held while working; a worker that stops beating
        # (killed, frozen) loses them at expiry, and the others take over.
        leases = self.leases
        while True:
            await asyncio.sleep(leases.policy.renew_every)
            await leases.heartbeat()
            self.metrics.observe_leases(len(leases.feeds), len(leases.entries))

    # -- health -----------------------------------------------------------------------

    async def _measure_lag(self) -> None:
        """Event-loop lag: how late a short timer fires."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            self.metrics.observe_lag(max(0.0, loop.time() - started - LAG_PROBE_SECONDS))

    async def _report_status(self) -> None:
        while True:
            pending = await self.writer.call(state.pending_count)
            self.metrics.pending.set(pending)
            self.notifier.notify(
                STATUS=f"{len(self.scheduler.planned()) + len(self._polling)} feeds, "
                f"{pending} pending entries, {self.totals.articles_stored} articles stored"
            )
            await asyncio.sleep(STATUS_SECONDS)

    async def _follow_store(self) -> None:
        # Feeds added or removed with `ingestd feeds add|remove` (another
        # process) live only in the store: pick them up without a reload.
        while True:
            await asyncio.sleep(self.settings.service.store_resync_interval)
            if self.state is RunState.RUNNING:
                await self._sync_jobs()

    async def _maintain_index(self) -> None:
        # The dedup window moves on: articles leave the store's candidate
        # index in small batches, each its own short writer call (issue 10).
        while True:
            await self.ingestor.maintain_index()
            await asyncio.sleep(INDEX_TRIM_SECONDS)

    async def _watchdog(self, interval: float) -> None:
        # Pinging from the event loop itself: a blocked loop stops the pings
        # and systemd restarts the service, which is the point.
        while True:
            self.notifier.notify(WATCHDOG=1)
            await asyncio.sleep(interval)


def _host(url: str) -> str:
    """The host a page is fetched from (its per-host politeness key)."""
    return (urlsplit(url).hostname or "").lower()


def pick_entries(
    candidates: Sequence[PendingEntry], room: int, busy: Mapping[str, int], per_host: int
) -> list[PendingEntry]:
    """Which candidates to start now: up to ``room``, in order, none for a host at its limit.

    ``busy`` counts the pages already in hand per host; a host's page beyond
    ``per_host`` would only wait at the host's gate while holding a slot.
    """
    taken: list[PendingEntry] = []
    counts = Counter(busy)
    for entry in candidates:
        if len(taken) == room:
            break
        host = _host(entry.raw_url)
        if counts[host] >= per_host:
            continue
        counts[host] += 1
        taken.append(entry)
    return taken


def run_daemon(config_path: Path | None, settings: Settings) -> int:
    """Run the daemon in a new event loop; returns the exit status."""
    return asyncio.run(Daemon(config_path, settings).run())
