-- The index of a mentor's sessions, one row per session. It used to live in the mentor grain's state, which was
-- rewritten whole on every schedule and state change, so a write cost grew with the mentor's history. A row per
-- session makes each write one upsert and each list page one index range scan, whatever the history.
CREATE TABLE mentor_sessions (
    mentor_id       varchar(64)  NOT NULL,
    -- "C" collation: the paging order breaks ties by live id ordinally, as the API has always done.
    live_id         varchar(64)  COLLATE "C" NOT NULL,
    course_id       varchar(64)  NOT NULL,
    title           varchar(500) NOT NULL,
    state           smallint     NOT NULL, -- SessionState's value
    scheduled_start timestamptz  NOT NULL,
    created_at      timestamptz  NOT NULL,
    PRIMARY KEY (mentor_id, live_id)
);

-- GET /mentor/{id}/live/ pages newest scheduled first, keyset on (scheduled_start, live_id).
CREATE INDEX mentor_sessions_page ON mentor_sessions (mentor_id, scheduled_start DESC, live_id DESC);
