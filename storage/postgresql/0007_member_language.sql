-- ingestd schema, version 7 (PostgreSQL): the `story_members` view gains
-- `language` (the article's language, from the page or detected), as its
-- last column: a compatible change (contract version 1 still holds).
--
-- (Numbered 0006 on main when the store-held index takes 0005.)

CREATE OR REPLACE VIEW story_members AS
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
    a.first_seen_at,
    a.language
FROM store_articles a
JOIN store_outlets o ON o.id = a.outlet_id
LEFT JOIN store_articles d ON d.id = a.derived_from
LEFT JOIN store_outlets dout ON dout.id = d.outlet_id;
