-- ingestd schema, version 6 (SQLite): the candidate index lives in the store.
-- One row per windowed article in store_index_articles (what pre-filtering
-- and verification need: signature, shingle-set size, verification
-- features, the exact-text hash, its index keys) and one row per (key,
-- article) in store_index_keys: the MinHash band keys and the lead-sentence
-- keys, looked up in one query per new article. Both are written in the
-- same transaction as the article; articles older than [match]
-- dedup_window_days (by first_seen_at) leave both tables in small batches.
-- Articles already stored are queued in store_index_backlog and indexed
-- after start-up, in batches. No view changes.

CREATE TABLE store_index_articles (
    article_id     INTEGER PRIMARY KEY REFERENCES store_articles (id),
    first_seen_at  TEXT NOT NULL,
    params         INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    text_hash      INTEGER NOT NULL,
    signature      BLOB NOT NULL,
    keys           BLOB NOT NULL,
    features       BLOB NOT NULL
);
CREATE INDEX store_index_articles_seen ON store_index_articles (first_seen_at);
CREATE INDEX store_index_articles_hash ON store_index_articles (text_hash);

CREATE TABLE store_index_keys (
    key         INTEGER NOT NULL,
    article_id  INTEGER NOT NULL,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;

CREATE TABLE store_index_backlog (
    article_id  INTEGER PRIMARY KEY
);
INSERT INTO store_index_backlog (article_id)
    SELECT id FROM store_articles WHERE signature IS NOT NULL AND text IS NOT NULL;
