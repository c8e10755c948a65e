"""The store's own thread: every store call of the daemon runs there, one at a time.

Usage::

    writer = WriterThread(lambda: open_store(settings))
    await writer.start()
    count = await writer.call(lambda store: store.counts())
    await writer.close()

The store is opened *inside* the thread and never leaves it, so a SQLite
connection is confined to the thread that created it and the event loop
never blocks on a query, a commit or a busy database. One thread also means
the calls are serialised: the match step can never interleave (invariant 4).
A call cancelled before it starts is dropped (its work stays pending in the
store); a call already running finishes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ingestd.store import Store

T = TypeVar("T")


class WriterThread:
    """A single thread that owns the store."""

    def __init__(self, opener: Callable[[], Store]):
        self._opener = opener
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingestd-store")
        self._store: Store | None = None

    async def start(self) -> None:
        """Open the store in the thread (errors such as StoreError propagate)."""
        loop = asyncio.get_running_loop()
        self._store = await loop.run_in_executor(self._executor, self._opener)

    async def call(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` in the thread and return its result."""
        store = self._store
        if store is None:
            raise RuntimeError("WriterThread.call before start")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, store)

    async def close(self) -> None:
        """Finish queued calls, close the store, stop the thread."""
        store, self._store = self._store, None
        loop = asyncio.get_running_loop()
        if store is not None:
            await loop.run_in_executor(self._executor, store.close)
        await loop.run_in_executor(None, self._executor.shutdown)
