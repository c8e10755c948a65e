"""Invariant 4: the matching step is serialised per store, across connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from ingestd.store import Store, open_store
from tests.support.postgres import pg_database

HOLD_S = 0.4


def _contend(url: str, enter: Callable[[Store], AbstractContextManager[None]]) -> float:
    """Seconds the second connection waited while the first held ``enter``."""
    held, done = threading.Event(), threading.Event()
    waited: list[float] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with open_store(url, create=False) as store, enter(store):
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
                with enter(store):
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


def test_match_lock_serialises_two_connections(store: Store, store_url: str) -> None:
    waited = _contend(store_url, lambda s: s.match_lock())
    assert waited >= HOLD_S * 0.7


def test_match_lock_joins_an_open_transaction(store: Store) -> None:
    with store.transaction(), store.match_lock():
        store.execute("UPDATE store_outlets SET role = NULL")
    assert store.query("SELECT count(*) FROM outlets")[0][0] == 0


@pytest.mark.postgres
def test_plain_transactions_do_not_wait_on_postgresql() -> None:
    # The control: on PostgreSQL a transaction without match_lock does not
    # wait for another one, so the wait above is the advisory lock's doing.
    with pg_database() as url:
        with open_store(url) as store:
            store.migrate()
        waited = _contend(url, lambda s: s.transaction())
    assert waited < HOLD_S * 0.5
