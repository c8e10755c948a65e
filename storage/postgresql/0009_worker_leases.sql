-- ingestd schema, version 9 (postgresql): workers and their leases, so several
-- `ingestd run` processes share one store without doing the same work twice.
-- No view or column of the contract changes.

-- One row per running worker (an `ingestd run` or a `poll --once`), written
-- at start, refreshed by its heartbeat, deleted on a clean stop. A worker
-- killed without a stop leaves its row: it is dead once heartbeat_at +
-- lease_seconds has passed (`ingestd workers` shows live ones only).
CREATE TABLE store_workers (
    id             TEXT PRIMARY KEY,
    host           TEXT NOT NULL,
    pid            BIGINT NOT NULL,
    kind           TEXT NOT NULL DEFAULT 'run',
    config_owner   TEXT,
    lease_seconds  DOUBLE PRECISION NOT NULL,
    started_at     TIMESTAMPTZ NOT NULL,
    heartbeat_at   TIMESTAMPTZ NOT NULL,
    feeds_polled   BIGINT NOT NULL DEFAULT 0,
    pages_fetched  BIGINT NOT NULL DEFAULT 0,
    pages_per_s    DOUBLE PRECISION NOT NULL DEFAULT 0
);

-- A feed being polled, or an entry whose page is being fetched, is leased:
-- lease_owner (a store_workers id) holds it until lease_expires_at, renewed by
-- the owner's heartbeat and cleared when the work is done. Another worker
-- claims only a row with no owner or an expired lease, under
-- SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL. No foreign key: a dead
-- worker's row may be pruned while its expired leases still name it.
ALTER TABLE store_feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE store_feeds ADD COLUMN lease_expires_at TIMESTAMPTZ;
ALTER TABLE store_entries ADD COLUMN lease_owner TEXT;
ALTER TABLE store_entries ADD COLUMN lease_expires_at TIMESTAMPTZ;
CREATE INDEX store_feeds_lease_owner ON store_feeds (lease_owner);
CREATE INDEX store_entries_lease_owner ON store_entries (lease_owner);
