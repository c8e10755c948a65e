-- ingestd schema, version 8 (PostgreSQL): title search and per-outlet
-- recency for `ingestd serve`. No view or column changes.
--
-- A GIN index over the story titles' text-search vectors ('simple'
-- configuration: no stemming, any language); queries must use the same
-- expression, to_tsvector('simple', coalesce(title, '')).
-- store_articles_outlet_seen answers "an outlet's latest articles" from the
-- index alone (the outlet page, stories by outlet).

CREATE INDEX store_stories_title_search
    ON store_stories USING gin (to_tsvector('simple', coalesce(title, '')));

CREATE INDEX store_articles_outlet_seen
    ON store_articles (outlet_id, first_seen_at, member_role, story_id);
