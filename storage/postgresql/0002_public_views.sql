-- ingestd schema, version 2 (PostgreSQL): the read contract. Mirrors
-- storage/sqlite/0002_public_views.sql statement for statement.
--
-- The tables move behind a `store_` prefix and the plain names become
-- stable read views (stories, story_members, articles, outlets, feeds) for
-- other tools: psql, DuckDB, notebooks. The views' columns are
-- documented in storage/README.md and change only with a migration note;
-- the store_ tables may change freely.

ALTER TABLE outlets RENAME TO store_outlets;
ALTER TABLE feeds RENAME TO store_feeds;
ALTER TABLE stories RENAME TO store_stories;
ALTER TABLE articles RENAME TO store_articles;
ALTER TABLE article_versions RENAME TO store_article_versions;
ALTER TABLE entries RENAME TO store_entries;
ALTER TABLE match_edges RENAME TO store_match_edges;
ALTER TABLE outlet_paragraphs RENAME TO store_outlet_paragraphs;

-- Feeds come from the configuration ('config') or from `ingestd feeds add`
-- ('cli'); a configuration reload deactivates only the former.
ALTER TABLE store_feeds ADD COLUMN added_by TEXT NOT NULL DEFAULT 'config'
    CHECK (added_by IN ('config', 'cli'));

CREATE VIEW outlets AS
SELECT
    o.id AS outlet_id,
    o.name,
    o.domain,
    o.role,
    o.aliases,
    (SELECT count(*) FROM store_feeds f WHERE f.outlet_id = o.id AND f.active = 1)
        AS feed_count,
    (SELECT count(*) FROM store_articles a WHERE a.outlet_id = o.id) AS article_count,
    o.created_at
FROM store_outlets o;

CREATE VIEW feeds AS
SELECT
    f.id AS feed_id,
    f.url,
    o.name AS outlet,
    f.active,
    f.added_by,
    f.last_polled_at,
    f.last_success_at,
    f.last_error,
    f.last_error_kind,
    f.last_error_at,
    f.error_count,
    f.next_poll_at,
    (SELECT count(*) FROM store_entries e WHERE e.feed_id = f.id) AS entry_count,
    (SELECT count(*) FROM store_entries e WHERE e.feed_id = f.id AND e.state = 'pending')
        AS pending_count,
    (SELECT count(*) FROM store_entries e WHERE e.feed_id = f.id AND e.article_id IS NOT NULL)
        AS article_count,
    f.created_at
FROM store_feeds f
JOIN store_outlets o ON o.id = f.outlet_id;

CREATE VIEW articles AS
SELECT
    a.id AS article_id,
    a.story_id,
    o.name AS outlet,
    o.domain AS outlet_domain,
    a.url,
    a.guid,
    a.title,
    a.author,
    a.published_at,
    a.first_seen_at,
    a.updated_at,
    a.site_name,
    a.language,
    a.canonical_url,
    a.description,
    a.text,
    a.word_count,
    a.content_hash,
    a.member_role,
    a.version
FROM store_articles a
JOIN store_outlets o ON o.id = a.outlet_id;

CREATE VIEW story_members AS
SELECT
    a.story_id,
    a.id AS article_id,
    o.name AS outlet,
    o.domain AS outlet_domain,
    a.url,
    a.title,
    a.member_role,
    a.similarity,
    a.derived_from,
    d.url AS derived_from_url,
    dout.name AS derived_from_outlet,
    a.evidence,
    a.credits,
    a.published_at,
    a.first_seen_at
FROM store_articles a
JOIN store_outlets o ON o.id = a.outlet_id
LEFT JOIN store_articles d ON d.id = a.derived_from
LEFT JOIN store_outlets dout ON dout.id = d.outlet_id;

CREATE VIEW stories AS
SELECT
    s.id AS story_id,
    s.canonical_url,
    s.title,
    s.origin_outlet,
    s.origin_domain,
    s.origin_article_id,
    s.origin_attributed,
    s.origin_reason,
    s.origin_evidence,
    m.first_seen_at,
    m.last_seen_at,
    m.member_count,
    m.outlet_count,
    m.copy_count,
    s.created_at,
    s.updated_at
FROM store_stories s
JOIN (
    SELECT
        story_id,
        min(first_seen_at) AS first_seen_at,
        max(first_seen_at) AS last_seen_at,
        count(*) AS member_count,
        count(DISTINCT outlet_id) AS outlet_count,
        sum(CASE WHEN member_role = 'copy' THEN 1 ELSE 0 END) AS copy_count
    FROM store_articles
    GROUP BY story_id
) m ON m.story_id = s.id;
