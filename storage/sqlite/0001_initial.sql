-- ingestd schema, version 1 (SQLite).
-- Times are ISO 8601 text in UTC ("2026-01-12T09:30:00+00:00").
-- JSON columns hold JSON text. See storage/README.md for the contract.

CREATE TABLE outlets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    domain      TEXT NOT NULL UNIQUE,
    role        TEXT CHECK (role IN ('original', 'wire', 'aggregator')),
    aliases     TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL
);

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    outlet_id        INTEGER NOT NULL REFERENCES outlets (id),
    url              TEXT NOT NULL UNIQUE,
    active           INTEGER NOT NULL DEFAULT 1,
    etag             TEXT,
    last_modified    TEXT,
    content_hash     TEXT,
    last_polled_at   TEXT,
    last_success_at  TEXT,
    last_error       TEXT,
    last_error_kind  TEXT,
    last_error_at    TEXT,
    error_count      INTEGER NOT NULL DEFAULT 0,
    next_poll_at     TEXT,
    created_at       TEXT NOT NULL
);

CREATE TABLE stories (
    id                 INTEGER PRIMARY KEY,
    origin_article_id  INTEGER,
    origin_outlet      TEXT NOT NULL,
    origin_domain      TEXT,
    origin_attributed  INTEGER NOT NULL DEFAULT 0,
    origin_reason      TEXT NOT NULL,
    origin_evidence    TEXT NOT NULL DEFAULT '[]',
    canonical_url      TEXT NOT NULL,
    title              TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE articles (
    id                INTEGER PRIMARY KEY,
    outlet_id         INTEGER NOT NULL REFERENCES outlets (id),
    story_id          INTEGER NOT NULL REFERENCES stories (id),
    url               TEXT NOT NULL UNIQUE,
    guid              TEXT,
    title             TEXT,
    author            TEXT,
    published_at      TEXT,
    first_seen_at     TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    site_name         TEXT,
    language          TEXT,
    canonical_url     TEXT,
    description       TEXT,
    text              TEXT,
    word_count        INTEGER NOT NULL,
    content_hash      TEXT NOT NULL,
    credits           TEXT NOT NULL DEFAULT '[]',
    signature         BLOB,
    signature_params  TEXT NOT NULL,
    member_role       TEXT NOT NULL CHECK (member_role IN ('origin', 'copy')),
    similarity        REAL NOT NULL,
    derived_from      INTEGER REFERENCES articles (id),
    evidence          TEXT NOT NULL DEFAULT '{}',
    version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX articles_story ON articles (story_id);
CREATE INDEX articles_outlet_guid ON articles (outlet_id, guid);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_first_seen ON articles (first_seen_at);

CREATE TABLE article_versions (
    id            INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES articles (id),
    version       INTEGER NOT NULL,
    url           TEXT NOT NULL,
    title         TEXT,
    text          TEXT,
    content_hash  TEXT NOT NULL,
    seen_at       TEXT NOT NULL,
    UNIQUE (article_id, version)
);

CREATE TABLE entries (
    id             INTEGER PRIMARY KEY,
    feed_id        INTEGER NOT NULL REFERENCES feeds (id),
    guid           TEXT NOT NULL,
    url            TEXT NOT NULL,
    raw_url        TEXT NOT NULL,
    title          TEXT,
    published_at   TEXT,
    updated_at     TEXT,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    article_id     INTEGER REFERENCES articles (id),
    first_seen_at  TEXT NOT NULL,
    UNIQUE (feed_id, guid)
);
CREATE INDEX entries_pending ON entries (state) WHERE state = 'pending';
CREATE INDEX entries_url ON entries (url);

CREATE TABLE match_edges (
    article_a   INTEGER NOT NULL REFERENCES articles (id),
    article_b   INTEGER NOT NULL REFERENCES articles (id),
    shared      INTEGER NOT NULL,
    size_a      INTEGER NOT NULL,
    size_b      INTEGER NOT NULL,
    jaccard     REAL NOT NULL,
    rule        TEXT NOT NULL,
    linked      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (article_a, article_b),
    CHECK (article_a < article_b)
);
CREATE INDEX match_edges_b ON match_edges (article_b);

CREATE TABLE outlet_paragraphs (
    outlet_id      INTEGER NOT NULL REFERENCES outlets (id),
    paragraph_key  INTEGER NOT NULL,
    article_count  INTEGER NOT NULL,
    PRIMARY KEY (outlet_id, paragraph_key)
) WITHOUT ROWID;
