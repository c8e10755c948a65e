-- ingestd schema, version 10 (SQLite): fleet-wide politeness. Every
-- process sharing the store (several `ingestd run` workers, a `poll --once`
-- beside the daemon) spaces, limits and pauses its requests to one host
-- through these rows, and reads robots.txt through them once per site.
--
-- Times are seconds since the epoch on the database's clock (REAL), so
-- workers whose own clocks disagree still agree on the spacing.

-- One row per host: the earliest start of its next request and the end of
-- a Retry-After pause. A turn is taken by one atomic upsert (see
-- ingestd/store/hosts.py); last_turn is the start it handed out, seen_at
-- the database time of the latest call.
CREATE TABLE store_host_gates (
    host TEXT PRIMARY KEY,
    next_at REAL NOT NULL,
    paused_until REAL NOT NULL,
    last_turn REAL NOT NULL,
    seen_at REAL NOT NULL
);

-- per_host_concurrency slots per host, across the fleet: a slot is held
-- by one request (holder) until it is released or expires_at passes, so a
-- worker that dies mid-request frees its slots by itself.
CREATE TABLE store_host_slots (
    host TEXT NOT NULL,
    slot INTEGER NOT NULL,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (host, slot)
);

-- robots.txt per site (its URL): the decision (outcome 'rules' with the
-- file's text in body, 'none', 'unreachable'), when to read it again, and
-- since when it has been unreachable (RFC 9309's 30 days, kept across
-- restarts). One worker at a time claims a stale row and fetches the file.
CREATE TABLE store_robots (
    url TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    body TEXT NOT NULL,
    detail TEXT NOT NULL,
    from_file INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    unreachable_since REAL,
    claim_holder TEXT NOT NULL,
    claim_until REAL NOT NULL
);
