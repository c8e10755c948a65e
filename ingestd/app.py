"""The application layer: what every entry point (CLI, daemon, demo, eval) shares.

    settings  = load_settings(path)                     (ingestd.settings)
    store     = open_store(settings)                    writers: create, migrate
    store     = open_read_store(settings.storage.url)   readers: read-only, never migrate
    limits    = fetch_limits(settings)
    stats     = await poll_once(settings, store, owner=config_owner(path))

Only ``run``, ``poll``, ``import``, ``db migrate`` and the commands that edit
feeds open a store for writing (and migrate it); every other command opens
it read-only, so reading a production database never upgrades or changes it.
Nothing here imports :mod:`ingestd.cli`: dependencies flow from the command
line down to this module, never back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ingestd.errors import StoreError
from ingestd.fetch.limits import FetchLimits
from ingestd.settings import Settings
from ingestd.store import Store
from ingestd.store import open_store as open_store_url

if TYPE_CHECKING:
    from ingestd.pipeline import CycleStats

__all__ = [
    "config_owner",
    "fetch_limits",
    "open_read_store",
    "open_store",
    "poll_once",
]


def open_store(settings: Settings, *, create: bool = True) -> Store:
    """Open the configured store for writing and migrate it.

    Refuses (SchemaVersionError) a database whose schema is newer than this
    ingestd; the store is closed again on any error.
    """
    store = open_store_url(settings.storage.url, create=create)
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def open_read_store(url: str) -> Store:
    """Open a store read-only and check that its schema is the one this ingestd reads.

    Never creates, migrates or writes: a missing database, or one whose
    schema is older (``run `ingestd db migrate```) or newer (upgrade ingestd),
    is a StoreError with one line saying so.
    """
    store = open_store_url(url, read_only=True)
    try:
        store.check_schema()
    except BaseException:
        store.close()
        raise
    return store


def config_owner(path: Path | None) -> str:
    """The name under which a configuration file owns the feeds it lists.

    A process syncing its configuration only ever deactivates feeds owned by
    its own file, so a one-off ``poll --once -c other.toml`` never switches
    off the daemon's feeds. The owner is the file's absolute path; workers
    sharing one store with one configuration use the same path.
    """
    if path is None:
        return ""
    try:
        return str(path.resolve())
    except OSError as error:  # pragma: no cover - resolve() rarely fails
        raise StoreError(f"cannot resolve configuration path {path}: {error}") from None


def fetch_limits(settings: Settings) -> FetchLimits:
    """HTTP limits from the ``[fetch]`` settings."""
    fetch = settings.fetch
    return FetchLimits(
        connect_timeout=fetch.connect_timeout,
        read_timeout=fetch.read_timeout,
        total_timeout=fetch.total_timeout,
        max_bytes=fetch.max_bytes,
        max_compressed_bytes=fetch.max_bytes,
        max_redirects=fetch.max_redirects,
        concurrency=fetch.concurrency,
        per_host_concurrency=fetch.per_host_concurrency,
        per_host_delay=fetch.per_host_delay,
        robots=fetch.robots_txt,
        allow_private_addresses=fetch.allow_private_addresses,
        contact_url=fetch.contact_url,
    )


async def poll_once(settings: Settings, store: Store, *, owner: str = "") -> CycleStats:
    """One full polling cycle with a fresh HTTP client and extraction pool.

    ``owner``: see :func:`config_owner`. The cycle runs as a worker of its
    own (``kind`` ``poll`` in ``store_workers``): it claims every feed and
    entry before working on it, so beside running ``ingestd run`` workers it
    skips what they hold, and they skip what it holds; its leases are renewed
    while it works and released when it ends.
    """
    # Imported here: the pipeline pulls in datasketch, numpy and the matcher,
    # which read-only commands (report, stories, feeds list) never need.
    import asyncio

    from ingestd.extract.pool import ExtractionPool
    from ingestd.fetch.client import Fetcher
    from ingestd.lease.keeper import LeaseKeeper, new_worker
    from ingestd.match.linker import utcnow
    from ingestd.pipeline import Ingestor, InlineStore
    from ingestd.service.politeness import StoreFleet

    # Politeness is kept in the store, with every other process on it (a
    # daemon, other workers): per-host spacing, slots, pauses, robots.txt.
    fleet = StoreFleet(store.another_connection)
    await fleet.start()
    try:
        with ExtractionPool(settings.extract.workers) as pool:
            async with Fetcher(fetch_limits(settings), fleet=fleet) as fetcher:
                ingestor = Ingestor(settings, store, fetcher, pool, owner=owner)
                # A one-off is a worker too: it claims what it polls and
                # fetches, so it never doubles a daemon's work beside it.
                worker = new_worker("poll", owner, settings.service.lease_seconds, utcnow())
                leases = LeaseKeeper(InlineStore(store), worker, utcnow)
                await leases.register()
                heartbeat = asyncio.create_task(leases.run_heartbeats())
                try:
                    return await ingestor.poll_once(leases)
                finally:
                    heartbeat.cancel()
                    await asyncio.gather(heartbeat, return_exceptions=True)
                    await leases.retire()
    finally:
        await fleet.close()
