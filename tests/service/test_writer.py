"""The store's writer thread: confinement, group commit, failures, cancellation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest

from ingestd.app import open_store
from ingestd.errors import StoreError
from ingestd.service.writer import WriterThread
from ingestd.settings import Settings
from ingestd.store import Store


class FakeStore:
    """Counts transactions and remembers which thread touched it."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.begun = 0
        self.rolled_back = 0
        self.rows: list[int] = []
        self.closed = False
        self._depth = 0
        self._pending: list[int] = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.threads.add(threading.get_ident())
        if self._depth:
            yield
            return
        self._depth, self.begun, self._pending = 1, self.begun + 1, []
        try:
            yield
        except BaseException:
            self.rolled_back += 1
            raise
        else:
            self.rows += self._pending
        finally:
            self._depth = 0

    def add(self, value: int) -> int:
        with self.transaction():
            if value < 0:
                raise ValueError("bad row")
            self._pending.append(value)
        return value

    def close(self) -> None:
        self.closed = True


def writer_for(store: FakeStore, max_batch: int = 64) -> WriterThread:
    return WriterThread(lambda: cast(Store, store), max_batch=max_batch)


def test_calls_run_on_one_thread_that_is_not_the_loop() -> None:
    store = FakeStore()

    async def main() -> None:
        writer = writer_for(store)
        await writer.start()
        await asyncio.gather(*(writer.call(lambda s, i=i: s.add(i)) for i in range(5)))
        await writer.close()

    asyncio.run(main())
    assert len(store.threads) == 1 and threading.get_ident() not in store.threads
    assert store.closed and sorted(store.rows) == [0, 1, 2, 3, 4]


def test_batchable_calls_share_transactions() -> None:
    store = FakeStore()

    async def main() -> list[int]:
        writer = writer_for(store, max_batch=16)
        await writer.start()
        results = await asyncio.gather(
            *(writer.call(lambda s, i=i: s.add(i), batch=True) for i in range(64))
        )
        await writer.close()
        return list(results)

    assert asyncio.run(main()) == list(range(64))
    assert sorted(store.rows) == list(range(64))
    assert 4 <= store.begun < 64  # batches of at most 16, fewer commits than calls


def test_a_failing_call_in_a_batch_fails_alone() -> None:
    store = FakeStore()

    async def main() -> list[Any]:
        writer = writer_for(store)
        await writer.start()
        results = await asyncio.gather(
            *(writer.call(lambda s, v=v: s.add(v), batch=True) for v in (1, 2, -1, 3)),
            return_exceptions=True,
        )
        await writer.close()
        return list(results)

    results = asyncio.run(main())
    assert results[:2] == [1, 2] and results[3] == 3
    assert isinstance(results[2], ValueError)
    assert sorted(store.rows) == [1, 2, 3]  # replayed alone after the shared rollback


def test_a_call_cancelled_before_it_runs_is_dropped() -> None:
    store = FakeStore()
    gate = threading.Event()

    async def main() -> None:
        writer = writer_for(store)
        await writer.start()
        blocker = asyncio.ensure_future(writer.call(lambda s: gate.wait(5)))
        dropped = asyncio.ensure_future(writer.call(lambda s: s.add(99)))
        await asyncio.sleep(0.05)
        dropped.cancel()
        await asyncio.sleep(0.05)  # cancellation reaches the thread's future on the next loop turn
        gate.set()
        await blocker
        with pytest.raises(asyncio.CancelledError):
            await dropped
        await writer.close()

    asyncio.run(main())
    assert 99 not in store.rows


def test_open_errors_reach_the_caller(tmp_path: Path) -> None:
    settings = Settings.model_validate({"storage": {"url": "sqlite:////proc/no-such-dir/x.db"}})

    async def main() -> None:
        writer = WriterThread(lambda: open_store(settings))
        with pytest.raises(StoreError):
            await writer.start()
        await writer.close()

    asyncio.run(main())


def test_a_real_sqlite_store_is_confined_to_the_thread(tmp_path: Path) -> None:
    settings = Settings.model_validate({"storage": {"url": f"sqlite:///{tmp_path / 'x.db'}"}})

    async def main() -> dict[str, int]:
        writer = WriterThread(lambda: open_store(settings))
        await writer.start()
        counts = await writer.call(lambda store: store.counts(), batch=True)
        await writer.close()
        return counts

    assert asyncio.run(main())["articles"] == 0


def test_a_start_cancelled_while_the_store_opens_still_closes_cleanly(tmp_path: Path) -> None:
    # A stop during start-up cancels start(); the thread must not die on
    # answering it, and close() must still end it and close the store.
    opening = threading.Event()
    release = threading.Event()
    opened: list[Store] = []

    def opener() -> Store:
        opening.set()
        release.wait(5)
        store = Store(tmp_path / "s.db")
        opened.append(store)
        return store

    errors: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:

        async def main() -> None:
            writer = WriterThread(opener)
            starting = asyncio.ensure_future(writer.start())
            await asyncio.to_thread(opening.wait, 5)
            starting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await starting
            release.set()
            await writer.close()
            assert not writer._thread.is_alive()

        asyncio.run(main())
    finally:
        threading.excepthook = previous
    assert errors == []
    assert len(opened) == 1
