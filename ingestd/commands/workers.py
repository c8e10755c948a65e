"""``ingestd workers``: the live workers sharing the store, and what each holds.

Read-only (the store is opened read-only): it reads ``store_workers`` and
the leases on feeds and entries (migration 0009). A worker is live while its
last heartbeat is younger than its lease (``[service] lease_seconds``); the
rows of killed workers stay until they are pruned, and ``--all`` shows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from ingestd.commands._common import FORMAT_OPTION, echo_json, echo_table, now, opened_store
from ingestd.lease.policy import is_live
from ingestd.store.records import WorkerRow

__all__ = ["workers"]


def _as_dict(row: WorkerRow, at: datetime) -> dict[str, Any]:
    info = row.info
    return {
        "id": info.id,
        "host": info.host,
        "pid": info.pid,
        "kind": info.kind,
        "config": info.config_owner,
        "started_at": info.started_at,
        "heartbeat_at": row.heartbeat_at,
        "heartbeat_age_s": round((at - row.heartbeat_at).total_seconds(), 1),
        "lease_seconds": info.lease_seconds,
        "live": is_live(row, at),
        "feeds_held": row.feeds_held,
        "entries_held": row.entries_held,
        "feeds_polled": row.counters.feeds_polled,
        "pages_fetched": row.counters.pages_fetched,
        "pages_per_s": round(row.counters.pages_per_s, 2),
    }


@click.command()
@FORMAT_OPTION
@click.option("--all", "show_all", is_flag=True, help="Also the rows of dead workers.")
@click.pass_context
def workers(ctx: click.Context, fmt: str, show_all: bool) -> None:
    """Live workers: leases held, last heartbeat, feeds and entries in hand, pages/s."""
    at = now()
    with opened_store(ctx) as store:
        rows = [_as_dict(row, at) for row in store.workers(at)]
    if not show_all:
        rows = [row for row in rows if row["live"]]
    if fmt == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo("no live workers")
        return
    echo_table(
        ["worker", "kind", "heartbeat", "feeds", "entries", "polled", "pages", "pages/s"],
        [
            [
                row["id"] + ("" if row["live"] else " (dead)"),
                row["kind"],
                f"{row['heartbeat_age_s']:.0f}s ago",
                str(row["feeds_held"]),
                str(row["entries_held"]),
                str(row["feeds_polled"]),
                str(row["pages_fetched"]),
                f"{row['pages_per_s']:.2f}",
            ]
            for row in rows
        ],
    )
