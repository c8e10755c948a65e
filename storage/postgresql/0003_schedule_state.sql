-- ingestd schema, version 3 (PostgreSQL): scheduling state of `ingestd run`.
-- store_feeds.next_poll_at (version 1) holds each feed's due time; these
-- columns say why, and keep the hints that outlive one answer.

-- The feed's current normal interval in seconds (adapted to how often it
-- publishes), NULL until its first successful poll.
ALTER TABLE store_feeds ADD COLUMN poll_interval DOUBLE PRECISION;
-- Why next_poll_at is what it is: adaptive, backoff, retry_after, max_age,
-- expires, ttl, new.
ALTER TABLE store_feeds ADD COLUMN schedule_reason TEXT;
-- The RSS <ttl> of the last full answer, in minutes: a 304 does not repeat it.
ALTER TABLE store_feeds ADD COLUMN ttl_minutes INTEGER;

-- A page that failed is retried no sooner than this (exponential backoff).
ALTER TABLE store_entries ADD COLUMN retry_at TIMESTAMPTZ;

CREATE INDEX store_feeds_due ON store_feeds (next_poll_at);
