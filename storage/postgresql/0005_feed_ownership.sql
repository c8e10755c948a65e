-- ingestd schema, version 5 (postgresql): which configuration owns a feed, and
-- where configured feeds moved to. No view or column of the contract changes.

-- The configuration file (its absolute path) that lists this feed, for feeds
-- added_by = 'config'. A process syncing its configuration deactivates only
-- the feeds its own file owns, so a one-off `poll --once -c other.toml`
-- never switches off the daemon's feeds. NULL: listed before version 5.
ALTER TABLE store_feeds ADD COLUMN config_owner TEXT;

-- A feed that answered a permanent redirect (301/308) has moved: its old URL
-- maps to the feed that now carries it (the same feed, or the one it was
-- merged into). A configuration still listing the old URL is synced onto
-- that feed instead of adding the old address back on every reload.
CREATE TABLE store_feed_moves (
    old_url   TEXT PRIMARY KEY,
    feed_id   BIGINT NOT NULL REFERENCES store_feeds (id),
    moved_at  TIMESTAMPTZ NOT NULL
);
