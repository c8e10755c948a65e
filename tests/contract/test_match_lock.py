"""Invariant 4: the matching step is serialised per store, across connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime

import pytest

from ingestd.store import Store, open_store
from tests.support.postgres import pg_database

HOLD_S = 0.4

Enter = Callable[[Store], AbstractContextManager[None]]


def _contend(url: str, hold: Enter, enter: Enter | None = None) -> float:
    """Seconds a second connection waited in ``enter`` while the first was in ``hold``.

    ``enter`` defaults to ``hold``: the same step contended by two connections.
    """
    wait_in = enter or hold
    held, done = threading.Event(), threading.Event()
    waited: list[float] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with open_store(url, create=False) as store, hold(store):
                held.set()
                time.sleep(HOLD_S)
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)
            held.set()
        finally:
            done.set()

    def second() -> None:
        try:
            with open_store(url, create=False) as store:
                held.wait(5)
                started = time.monotonic()
                with wait_in(store):
                    waited.append(time.monotonic() - started)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors, errors
    assert done.is_set()
    return waited[0]


def _outlet(name: str) -> dict[str, object]:
    return {"name": name, "domain": f"{name}.example", "role": None, "feeds": []}


def test_match_lock_serialises_two_connections(store: Store, store_url: str) -> None:
    waited = _contend(store_url, lambda s: s.match_lock())
    assert waited >= HOLD_S * 0.7


def test_match_lock_joined_to_a_transaction_is_held_until_it_ends(
    store: Store, store_url: str
) -> None:
    # Joining an open transaction, the lock outlives the ``with match_lock()``
    # block: another connection's match step waits for the whole transaction
    # (the story assignment that follows the match must not interleave).
    @contextmanager
    def match_then_keep_transaction(s: Store) -> Iterator[None]:
        with s.transaction():
            with s.match_lock():
                s.execute("UPDATE store_outlets SET role = 'wire'")
            yield  # still inside the transaction, after the match block

    waited = _contend(store_url, match_then_keep_transaction, lambda s: s.match_lock())
    assert waited >= HOLD_S * 0.7


def test_match_lock_inside_a_transaction_commits_and_rolls_back_with_it(store: Store) -> None:
    store.sync_outlets([_outlet("kept")], datetime(2026, 1, 1, tzinfo=UTC))

    class Abort(Exception):
        pass

    with pytest.raises(Abort), store.transaction():
        with store.match_lock():
            store.execute("UPDATE store_outlets SET role = 'wire'")
        raise Abort
    # The write under the lock was part of the outer transaction: undone with it.
    assert [tuple(r) for r in store.query("SELECT name, role FROM outlets")] == [("kept", None)]

    with store.transaction(), store.match_lock():
        store.execute("UPDATE store_outlets SET role = 'wire'")
    assert [tuple(r) for r in store.query("SELECT name, role FROM outlets")] == [("kept", "wire")]


@pytest.mark.postgres
def test_plain_transactions_do_not_wait_on_postgresql() -> None:
    # The control: on PostgreSQL a transaction without match_lock does not
    # wait for another one, so the wait above is the advisory lock's doing.
    with pg_database() as url:
        with open_store(url) as store:
            store.migrate()
        waited = _contend(url, lambda s: s.transaction())
    assert waited < HOLD_S * 0.5
