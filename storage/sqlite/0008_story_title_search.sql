-- ingestd schema, version 8 (SQLite): title search and per-outlet recency for
-- `ingestd serve`. No view or column changes.
--
-- store_story_titles is an FTS5 index over store_stories.title (external
-- content: the titles are not stored twice), kept in step by three
-- triggers; accents are folded (remove_diacritics 2), so "desaccords"
-- finds "désaccords". store_articles_outlet_seen answers "an outlet's
-- latest articles" from the index alone (the outlet page, stories by outlet).

CREATE VIRTUAL TABLE store_story_titles USING fts5 (
    title,
    content = 'store_stories',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO store_story_titles (store_story_titles) VALUES ('rebuild');

CREATE TRIGGER store_story_titles_insert AFTER INSERT ON store_stories BEGIN
    INSERT INTO store_story_titles (rowid, title) VALUES (new.id, new.title);
END;

CREATE TRIGGER store_story_titles_delete AFTER DELETE ON store_stories BEGIN
    INSERT INTO store_story_titles (store_story_titles, rowid, title)
        VALUES ('delete', old.id, old.title);
END;

CREATE TRIGGER store_story_titles_update AFTER UPDATE OF title ON store_stories
    WHEN old.title IS NOT new.title BEGIN
    INSERT INTO store_story_titles (store_story_titles, rowid, title)
        VALUES ('delete', old.id, old.title);
    INSERT INTO store_story_titles (rowid, title) VALUES (new.id, new.title);
END;

CREATE INDEX store_articles_outlet_seen
    ON store_articles (outlet_id, first_seen_at, member_role, story_id);
