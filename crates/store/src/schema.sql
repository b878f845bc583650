-- trove catalog, schema version 2.
-- Plain SQL that PostgreSQL also accepts (bar the pragmas set in code), so that a server
-- catalog can follow this one.

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sources (
    id         INTEGER PRIMARY KEY,
    label      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,          -- running | finished | interrupted | failed
    command     TEXT NOT NULL,
    inputs      TEXT NOT NULL,          -- JSON array of input paths
    stats       TEXT                    -- JSON
);

-- Blob locations: pack + offset for small blobs, a file of its own for large ones; and the
-- item whose outcome is `stored` for these bytes (every other item with them is a duplicate).
CREATE TABLE IF NOT EXISTS blobs (
    sha256      BLOB PRIMARY KEY,
    size        INTEGER NOT NULL,
    codec       TEXT NOT NULL,
    pack        INTEGER,
    pack_offset INTEGER,
    stored_size INTEGER NOT NULL,
    item_id     INTEGER
) WITHOUT ROWID;

-- Every item met while reading the inputs, with the one outcome it ended in.
CREATE TABLE IF NOT EXISTS items (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL REFERENCES sources(id),
    parent_id    INTEGER REFERENCES items(id),
    locator      TEXT NOT NULL,         -- outermost path, then !/member, #offset, !/attachment[n]:name
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,         -- file | member | mbox-message | attachment
    format       TEXT NOT NULL,
    byte_offset  INTEGER,               -- inside the parent
    byte_length  INTEGER,
    size         INTEGER NOT NULL,
    sha256       BLOB,
    outcome      TEXT NOT NULL,         -- stored | duplicate | container | skipped | failed
    reason       TEXT,
    duplicate_of INTEGER REFERENCES items(id),
    message      INTEGER,               -- messages.id when the item is a message
    folder       TEXT,
    flags        TEXT,
    meta         TEXT,                  -- JSON
    mtime        INTEGER,
    complete     INTEGER NOT NULL,      -- 0 while a container's members are still being read
    resume_at    INTEGER,               -- containers: every member before this offset is recorded
    run_id       INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (source_id, locator)
);
CREATE INDEX IF NOT EXISTS items_parent ON items(parent_id) WHERE parent_id IS NOT NULL;
-- Documents are found by their bytes; messages through the messages table.
CREATE INDEX IF NOT EXISTS items_document_sha ON items(sha256) WHERE message IS NULL;
CREATE INDEX IF NOT EXISTS items_duplicate_of ON items(duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_message ON items(message) WHERE message IS NOT NULL;

-- One row per distinct message blob. Copies with other bytes share content_key.
CREATE TABLE IF NOT EXISTS messages (
    id          INTEGER PRIMARY KEY,
    sha256      BLOB NOT NULL UNIQUE,
    item_id     INTEGER NOT NULL REFERENCES items(id),   -- the canonical item holding these bytes
    content_key BLOB NOT NULL,
    message_id  TEXT,
    in_reply_to TEXT,                   -- JSON array
    refs        TEXT,                   -- JSON array
    subject     TEXT,
    date        INTEGER,                -- unix seconds, UTC
    date_raw    TEXT,
    date_source TEXT,
    from_name   TEXT,
    from_addr   TEXT,
    size        INTEGER NOT NULL,
    text_len    INTEGER NOT NULL,
    has_html    INTEGER NOT NULL,
    attachments INTEGER NOT NULL,
    problems    TEXT,                   -- comma-separated problem names
    base_subject TEXT,                  -- subject without Re:/RV:/Fwd: prefixes, normalised
    header_poor INTEGER NOT NULL DEFAULT 0, -- a reply by its subject, with no In-Reply-To/References
    lang        TEXT,                   -- language of subject and body (es, en, pt…)
    thread      TEXT,                   -- thread id: the smallest content key (hex) in the thread
    subject_parent BLOB,                -- header-poor replies: content key of the subject parent
    subject_parent_date INTEGER         -- and its date (see threads.rs)
);
CREATE INDEX IF NOT EXISTS messages_thread ON messages(thread);
CREATE INDEX IF NOT EXISTS messages_base_subject ON messages(base_subject, date);
-- Header-poor replies only: every new message looks for those that arrived before it.
CREATE INDEX IF NOT EXISTS messages_poor_subject ON messages(base_subject, date) WHERE header_poor = 1;

-- Message-ids each message refers to (In-Reply-To and References), for threading.
CREATE TABLE IF NOT EXISTS message_refs (
    ref     TEXT NOT NULL,
    message INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (ref, message)
) WITHOUT ROWID;

-- Keys of messages and documents whose index documents must be (re)built, in order. The
-- index records in each commit how far it got (see trove-index).
CREATE TABLE IF NOT EXISTS index_queue (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after the queue is emptied
    kind TEXT NOT NULL,                 -- message | document
    key  BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_content ON messages(content_key);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS addresses (
    message INTEGER NOT NULL REFERENCES messages(id),
    pos     INTEGER NOT NULL,
    role    TEXT NOT NULL,              -- from | sender | reply-to | to | cc | bcc
    name    TEXT,
    address TEXT,
    grp     TEXT,
    PRIMARY KEY (message, pos)
) WITHOUT ROWID;
-- No index by address: who wrote to whom is answered by the search index's fast fields.

CREATE TABLE IF NOT EXISTS attachments (
    message     INTEGER NOT NULL REFERENCES messages(id),
    part        INTEGER NOT NULL,
    name        TEXT,
    mime        TEXT NOT NULL,
    disposition TEXT,
    content_id  TEXT,
    size        INTEGER NOT NULL,
    sha256      BLOB NOT NULL,
    is_message  INTEGER NOT NULL,
    item_id     INTEGER REFERENCES items(id),
    PRIMARY KEY (message, part)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attachments_sha ON attachments(sha256);

-- Tags on messages, shared within the case (written by the web app; `tag:` in search).
CREATE TABLE IF NOT EXISTS tags (
    content_key BLOB NOT NULL,
    tag         TEXT NOT NULL,
    author      TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (content_key, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_tag ON tags(tag);

-- Notes on messages, shared within the case (written by the web app).
CREATE TABLE IF NOT EXISTS notes (
    id          INTEGER PRIMARY KEY,
    content_key BLOB NOT NULL,
    author      TEXT,
    created_at  TEXT NOT NULL,
    text        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_key ON notes(content_key);
-- Text, metadata and flags extracted from every distinct document (attachment or loose file),
-- keyed by the document's SHA-256: each distinct document is extracted once however many
-- messages carry it. Written by the extraction stage (trove-extract).
CREATE TABLE IF NOT EXISTS extractions (
    sha256      BLOB PRIMARY KEY,
    format      TEXT NOT NULL,          -- what the content is: pdf, docx, xls, jpeg, executable…
    status      TEXT NOT NULL,          -- extracted | ocr-pending | failed | skipped
    reason      TEXT,
    text_sha256 BLOB,                   -- blobs.sha256 of the UTF-8 text (pages split by form feeds)
    text_len    INTEGER NOT NULL,
    pages       INTEGER NOT NULL,
    ocr_pending TEXT,                   -- JSON array of 0-based pages waiting for OCR
    ocr_pages   INTEGER NOT NULL,       -- pages whose text came from OCR
    flags       TEXT,                   -- comma-separated: executable, macro, encrypted, mismatch, bomb…
    meta        TEXT,                   -- JSON: title, author, dates, producer, camera, gps, extra
    author      TEXT,
    title       TEXT,
    gps_lat     REAL,
    gps_lon     REAL,
    millis      INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS extractions_status ON extractions(status);
-- Which names and types each extraction was judged under: a fingerprint (SHA-256) of the
-- distinct (name, declared type) of every carrier of the document (files, members and
-- attachments with its bytes), in the order `extraction::document_hints` gives them. A later
-- carrier that changes the set has the document extracted again, so that its format and flags
-- do not depend on the order its carriers arrived in.
CREATE TABLE IF NOT EXISTS extraction_hints (
    sha256 BLOB PRIMARY KEY,            -- extractions.sha256
    hints  BLOB NOT NULL
) WITHOUT ROWID;
