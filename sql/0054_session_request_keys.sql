-- One row per request key a session has accepted, reaction or comment. A key names one request, so it is taken once
-- across both tables: a write claims its key here (INSERT ... ON CONFLICT DO NOTHING) and is stored only when the
-- claim succeeds. This replaces a NOT EXISTS probe of the other table, which PostgreSQL planned from statistics that
-- never contain the session being written (a live session is newer than the last ANALYZE): it estimated the session
-- at a few rows and read all of it for every batch, so a comment batch took 10-30 ms once the session had 10,000
-- reactions, and more with every reaction. A conflict check on a unique index involves no plan.
-- fingerprint tells a retry (same request again) from a key reused for another body: 'r:' || kind for a reaction,
-- 'c:' || md5(body) for a comment.
CREATE TABLE session_request_keys (
    live_id     varchar(64)  NOT NULL,
    user_id     varchar(64)  NOT NULL,
    request_key varchar(200) NOT NULL,
    fingerprint varchar(64)  NOT NULL,
    PRIMARY KEY (live_id, user_id, request_key)
);

INSERT INTO session_request_keys (live_id, user_id, request_key, fingerprint)
SELECT live_id, user_id, request_key, 'r:' || kind FROM session_reactions
ON CONFLICT DO NOTHING;

INSERT INTO session_request_keys (live_id, user_id, request_key, fingerprint)
SELECT live_id, user_id, request_key, 'c:' || md5(body) FROM session_comments
ON CONFLICT DO NOTHING;

-- The replay timeline reads every reaction of one session, which the primary key's live_id prefix serves as well;
-- this index cost every reaction a second index insert.
DROP INDEX session_reactions_timeline;
