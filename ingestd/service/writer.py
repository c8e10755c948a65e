"""The store's own thread: every store call of the daemon runs there, one at a time.

Usage::

    writer = WriterThread(lambda: open_store(settings))
    await writer.start()
    count = await writer.call(lambda store: store.counts())
    await writer.call(save_poll, batch=True)     # may share a transaction with its neighbours
    await writer.close()

The store is opened *inside* the thread and never leaves it, so a SQLite
connection is confined to the thread that created it and the event loop
never blocks on a query, a commit or a busy database. One thread also means
the calls are serialised: the match step can never interleave (invariant 4).

Group commit: calls marked ``batch=True`` that are queued back to back run
in ONE transaction (up to ``max_batch``), so a burst of 304s costs one
commit instead of hundreds, and articles extracted together are matched
and stored under one commit. Such calls must only touch the store, or
defer their in-memory effects to :meth:`Store.on_commit` (the linker's
feature cache does): if one of them raises, the shared transaction is
rolled back, its effects dropped, and each call is replayed in a
transaction of its own, so only the faulty call fails. A call cancelled
before it starts is dropped (its work stays pending in the store); a call
already running finishes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ingestd.store import Store

T = TypeVar("T")

__all__ = ["WriterThread"]

# Enough to absorb a burst of polls finishing together; small enough that
# one transaction never holds SQLite's write lock for long.
MAX_BATCH = 64


@dataclass(slots=True)
class _Job:
    fn: Callable[[Store], Any]
    future: concurrent.futures.Future[Any]
    batch: bool


class _Close:
    """Queue marker: close the store and end the thread."""


_CLOSE = _Close()


class WriterThread:
    """A single thread that owns the store."""

    def __init__(self, opener: Callable[[], Store], *, max_batch: int = MAX_BATCH):
        self._opener = opener
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | _Close] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="ingestd-store", daemon=True)
        self._store: Store | None = None
        self._opened: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.transactions = 0  # batches and single calls run (for tests and figures)

    async def start(self) -> None:
        """Open the store in the thread (errors such as StoreError propagate)."""
        self._thread.start()
        await asyncio.wrap_future(self._opened)

    async def call(self, fn: Callable[[Store], T], *, batch: bool = False) -> T:
        """Run ``fn(store)`` in the thread and return its result."""
        if not self._thread.is_alive():
            raise RuntimeError("WriterThread is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put(_Job(fn, future, batch))
        return await asyncio.wrap_future(future)

    async def close(self) -> None:
        """Finish queued calls, close the store, stop the thread."""
        if self._thread.is_alive():
            self._queue.put(_CLOSE)
            await asyncio.to_thread(self._thread.join)

    # -- in the thread ----------------------------------------------------------

    def _serve(self) -> None:
        # False when start() was cancelled meanwhile (a stop during start-up):
        # nobody waits for the answer, but close() still ends the thread.
        waited = self._opened.set_running_or_notify_cancel()
        try:
            self._store = self._opener()
        except BaseException as error:
            if waited:
                self._opened.set_exception(error)
            return
        if waited:
            self._opened.set_result(None)
        store = self._store
        carry: _Job | _Close | None = None
        while True:
            job = carry if carry is not None else self._queue.get()
            carry = None
            if isinstance(job, _Close):
                break
            batch = [job]
            if job.batch:
                while len(batch) < self.max_batch:
                    try:
                        following = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(following, _Close) or not following.batch:
                        carry = following
                        break
                    batch.append(following)
            self._run(store, batch)
        store.close()

    def _run(self, store: Store, batch: list[_Job]) -> None:
        live = [job for job in batch if job.future.set_running_or_notify_cancel()]
        if len(live) == 1:
            self._run_alone(store, live[0])
            return
        if not live:
            return
        self.transactions += 1
        try:
            with store.transaction():
                results = [job.fn(store) for job in live]
        except Exception:
            # Rolled back as a whole: replay each alone so only the bad one fails.
            for job in live:
                self._run_alone(store, job)
            return
        for job, result in zip(live, results, strict=True):
            job.future.set_result(result)

    def _run_alone(self, store: Store, job: _Job) -> None:
        self.transactions += 1
        try:
            job.future.set_result(job.fn(store))
        except BaseException as error:
            job.future.set_exception(error)
