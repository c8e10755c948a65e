-- ingestd schema, version 4 (PostgreSQL): a covering index for the `stories`
-- view's per-story figures (first/last seen, member, outlet and copy
-- counts), so they are read from the index instead of scanning every
-- article row with its text. No view or column changes.

CREATE INDEX store_articles_story_stats
    ON store_articles (story_id, first_seen_at, outlet_id, member_role);
