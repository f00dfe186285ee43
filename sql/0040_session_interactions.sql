-- Reactions and comments sent while a session is live. The session grain aggregates them in memory and
-- writes them here in group commits; these rows are the durable truth it rebuilds its counts from.

-- One row per accepted tap. request_key is the client's Idempotency-Key (or a server-made one), so a
-- retried request hits the primary key and is counted once.
CREATE TABLE session_reactions (
    live_id     varchar(64)  NOT NULL,
    user_id     varchar(64)  NOT NULL,
    request_key varchar(200) NOT NULL,
    kind        varchar(32)  NOT NULL,
    reacted_at  timestamptz  NOT NULL,
    PRIMARY KEY (live_id, user_id, request_key)
);

-- The per-second timeline of a recording is read back by time.
CREATE INDEX session_reactions_timeline ON session_reactions (live_id, reacted_at);

CREATE TABLE session_comments (
    comment_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    live_id     varchar(64)  NOT NULL,
    user_id     varchar(64)  NOT NULL,
    request_key varchar(200) NOT NULL,
    body        varchar(500) NOT NULL,
    posted_at   timestamptz  NOT NULL,
    -- Deleted by the mentor: kept for moderation history, never shown.
    deleted_at  timestamptz  NULL,
    CONSTRAINT session_comments_request UNIQUE (live_id, user_id, request_key)
);

-- Comment pages are keyset-paged by id within a session.
CREATE INDEX session_comments_page ON session_comments (live_id, comment_id);
