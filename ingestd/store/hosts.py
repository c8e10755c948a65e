"""Fleet-wide politeness in the store: host turns, slots, pauses, robots.txt.

Every process sharing one store (several ``ingestd run`` workers, a
``poll --once`` beside the daemon) asks these rows before it sends a request,
so a host sees the configured rate from the whole fleet, not from each
process (migration 0010)::

    turn = store.take_host_turn(host, spacing, max_wait)   # one statement
    sleep(turn.wait) ... request ...

Each method is ONE statement outside any transaction (PostgreSQL in
autocommit: one round trip; SQLite: one implicit write transaction), and
each is atomic on its own: the turn is an upsert whose ``DO UPDATE`` reads
and moves ``next_at`` under the row's lock, so two workers asking at the
same moment get consecutive turns. Times are the database's clock
(``Driver.epoch_now``), so the workers' own clocks may disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingestd.store.drivers import POSTGRESQL, Driver
from ingestd.types import HostTurn, RobotsRecord, RobotsState

__all__ = ["HostGateStore"]

_GATE = "store_host_gates"


class HostGateStore:
    """Store methods of fleet-wide politeness (a mixin of :class:`~ingestd.store.Store`)."""

    _driver: Driver

    def relax_commits(self) -> None:
        """Let this connection's commits return before they reach the disk.

        For a connection that writes the politeness rows only: they describe
        the next few seconds, so losing the last of them in a database crash
        costs nothing, while waiting for the WAL flush on every request
        (PostgreSQL's ``synchronous_commit``) costs a millisecond or more
        each. SQLite's WAL at ``synchronous=NORMAL`` already commits without
        a flush; nothing to change there.
        """
        if self._driver.dialect == POSTGRESQL:
            self._driver.script("SET synchronous_commit TO OFF")

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        return self._driver.execute(sql, params).fetchone()

    # -- turns and pauses ---------------------------------------------------

    def take_host_turn(self, host: str, spacing: float, max_wait: float) -> HostTurn:
        """Reserve the next start for a request to ``host``; the turn comes back.

        The start is the latest of now, the host's ``next_at`` and its
        pause; ``next_at`` moves to start + ``spacing``. A host paused for
        more than ``max_wait`` seconds is left as it is and the turn comes
        back not granted. Mirrors :func:`ingestd.fetch.hosts.plan_turn`.
        """
        d = self._driver
        later = f"{d.greatest}(excluded.seen_at, {_GATE}.next_at, {_GATE}.paused_until)"
        refused = f"{_GATE}.paused_until - excluded.seen_at > ?"
        row = self._one(
            f"INSERT INTO {_GATE} (host, next_at, paused_until, last_turn, seen_at)"
            f" VALUES (?, {d.epoch_now} + ?, 0, {d.epoch_now}, {d.epoch_now})"
            " ON CONFLICT (host) DO UPDATE SET"
            f" last_turn = CASE WHEN {refused} THEN {_GATE}.last_turn ELSE {later} END,"
            f" next_at = CASE WHEN {refused} THEN {_GATE}.next_at ELSE {later} + ? END,"
            " seen_at = excluded.seen_at"
            " RETURNING last_turn, next_at, paused_until, seen_at",
            (host, spacing, max_wait, max_wait, spacing),
        )
        start, next_at, paused_until, now = (float(v) for v in row)
        if paused_until - now > max_wait:  # refused: no turn (start means nothing)
            return HostTurn(False, now, next_at, next_at, paused_until)
        return HostTurn(True, now, start, next_at, paused_until)

    def pause_host(self, host: str, seconds: float) -> None:
        """Let no request start to ``host`` for ``seconds`` (a Retry-After), fleet-wide."""
        d = self._driver
        d.execute(
            f"INSERT INTO {_GATE} (host, next_at, paused_until, last_turn, seen_at)"
            f" VALUES (?, 0, {d.epoch_now} + ?, 0, {d.epoch_now})"
            " ON CONFLICT (host) DO UPDATE SET"
            f" paused_until = {d.greatest}({_GATE}.paused_until, excluded.paused_until),"
            " seen_at = excluded.seen_at",
            (host, seconds),
        )

    def host_paused_for(self, host: str) -> float:
        """Seconds left in ``host``'s pause (0.0 when it is not paused)."""
        row = self._one(
            f"SELECT paused_until - {self._driver.epoch_now} FROM {_GATE} WHERE host = ?", (host,)
        )
        return max(0.0, float(row[0])) if row is not None else 0.0

    # -- concurrency slots --------------------------------------------------

    def take_host_slot(self, host: str, limit: int, holder: str, hold: float) -> int | None:
        """One of ``host``'s ``limit`` slots for ``holder``, for ``hold`` seconds at most.

        Returns the slot number, or None when every slot is held (and not
        expired). ``holder`` must be unique to this request: it is what
        :meth:`release_host_slot` checks.
        """
        d = self._driver
        taken = self._one(
            f"UPDATE store_host_slots SET holder = ?, expires_at = {d.epoch_now} + ?"
            " WHERE host = ? AND expires_at <= " + d.epoch_now + " AND slot = ("
            "SELECT slot FROM store_host_slots WHERE host = ? AND slot < ?"
            f" AND expires_at <= {d.epoch_now} ORDER BY slot LIMIT 1{d.skip_locked})"
            " RETURNING slot",
            (holder, hold, host, host, limit),
        )
        if taken is not None:
            return int(taken[0])
        # No free slot, or no slot rows yet for this host (or fewer than a
        # raised limit): create the missing ones, and try again if any was.
        values = ", ".join("(?, ?, '', 0)" for _ in range(limit))
        created = d.execute(
            f"INSERT INTO store_host_slots (host, slot, holder, expires_at) VALUES {values}"
            " ON CONFLICT (host, slot) DO NOTHING",
            [item for slot in range(limit) for item in (host, slot)],
        ).rowcount
        return self.take_host_slot(host, limit, holder, hold) if created > 0 else None

    def release_host_slot(self, host: str, slot: int, holder: str) -> None:
        """Give back a slot (a no-op when it expired and someone else took it)."""
        self._driver.execute(
            "UPDATE store_host_slots SET holder = '', expires_at = 0"
            " WHERE host = ? AND slot = ? AND holder = ?",
            (host, slot, holder),
        )

    # -- holders ------------------------------------------------------------

    def slot_and_claim_workers(self, machine: str) -> set[str]:
        """Workers named ``machine:…`` holding a slot or a robots.txt claim not yet expired.

        Holders are ``worker#n`` (see :mod:`ingestd.service.politeness`).
        """
        d = self._driver
        prefix = f"{machine}:"
        found: set[str] = set()
        for table, column, until in (
            ("store_host_slots", "holder", "expires_at"),
            ("store_robots", "claim_holder", "claim_until"),
        ):
            rows = d.execute(
                f"SELECT DISTINCT {column} FROM {table}"
                f" WHERE substr({column}, 1, ?) = ? AND {until} > {d.epoch_now}",
                (len(prefix), prefix),
            ).fetchall()
            found.update(str(row[0]).partition("#")[0] for row in rows)
        return found

    def free_worker(self, worker: str) -> int:
        """Release every slot and robots.txt claim of ``worker`` (a process
        known to be dead); returns how many were held."""
        d = self._driver
        prefix = f"{worker}#"
        freed = d.execute(
            "UPDATE store_host_slots SET holder = '', expires_at = 0"
            " WHERE substr(holder, 1, ?) = ?",
            (len(prefix), prefix),
        ).rowcount
        freed += d.execute(
            "UPDATE store_robots SET claim_holder = '', claim_until = 0"
            " WHERE substr(claim_holder, 1, ?) = ?",
            (len(prefix), prefix),
        ).rowcount
        return freed

    # -- robots.txt ---------------------------------------------------------

    def robots_state(self, url: str) -> RobotsState:
        """The shared robots.txt record of a site, with the store's clock."""
        row = self._one(
            f"SELECT {self._driver.epoch_now} AS now, r.outcome, r.body, r.detail, r.from_file,"
            " r.expires_at, r.unreachable_since, r.claim_until"
            " FROM (SELECT 1 AS one) AS one LEFT JOIN store_robots r ON r.url = ?",
            (url,),
        )
        now = float(row["now"])
        if row["outcome"] is None:
            return RobotsState(None, now, 0.0)
        record = None
        if row["outcome"]:  # '' while the first fetch is only claimed
            since = row["unreachable_since"]
            record = RobotsRecord(
                row["outcome"],
                row["body"],
                row["detail"],
                bool(row["from_file"]),
                float(row["expires_at"]),
                None if since is None else float(since),
            )
        return RobotsState(record, now, float(row["claim_until"]))

    def claim_robots(self, url: str, holder: str, hold: float) -> bool:
        """Claim the fetch of a site's robots.txt, unless its record is fresh
        or another holder's claim has not lapsed; True when claimed."""
        d = self._driver
        row = self._one(
            "INSERT INTO store_robots (url, outcome, body, detail, from_file, expires_at,"
            " unreachable_since, claim_holder, claim_until)"
            f" VALUES (?, '', '', '', 0, 0, NULL, ?, {d.epoch_now} + ?)"
            " ON CONFLICT (url) DO UPDATE SET"
            " claim_holder = excluded.claim_holder, claim_until = excluded.claim_until"
            " WHERE store_robots.expires_at <= excluded.claim_until - ?"
            " AND store_robots.claim_until <= excluded.claim_until - ?"
            " RETURNING claim_holder",
            (url, holder, hold, hold, hold),
        )
        return row is not None

    def save_robots(self, url: str, record: RobotsRecord) -> None:
        """Store a site's robots.txt decision and end any claim on it."""
        self._driver.execute(
            "INSERT INTO store_robots (url, outcome, body, detail, from_file, expires_at,"
            " unreachable_since, claim_holder, claim_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '', 0)"
            " ON CONFLICT (url) DO UPDATE SET outcome = excluded.outcome,"
            " body = excluded.body, detail = excluded.detail,"
            " from_file = excluded.from_file, expires_at = excluded.expires_at,"
            " unreachable_since = excluded.unreachable_since,"
            " claim_holder = '', claim_until = 0",
            (
                url,
                record.outcome,
                record.body,
                record.detail,
                record.from_file,
                record.expires_at,
                record.unreachable_since,
            ),
        )

    def release_robots(self, url: str, holder: str) -> None:
        """Drop a claim without a decision (the fetch told nothing about the file)."""
        self._driver.execute(
            "UPDATE store_robots SET claim_holder = '', claim_until = 0"
            " WHERE url = ? AND claim_holder = ?",
            (url, holder),
        )
