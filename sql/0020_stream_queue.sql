-- Durable queue behind the Orleans persistent streams (the embedded default; production uses SQS).
-- One row is one stream batch. queue_name is "<prefix>-<partition>": each Orleans queue id owns one
-- partition, so a pulling agent only ever scans its own rows.
--
-- A receiver leases rows with SELECT ... FOR UPDATE SKIP LOCKED: it stamps a fresh lease_token, bumps
-- attempts and pushes visible_at to the end of the lease. Acknowledging deletes the row (only while the
-- caller still holds that lease_token, so a receiver whose lease lapsed cannot delete a message someone
-- else now owns). A lapsed lease needs no clean-up: visible_at has passed, so the row is simply
-- eligible again. A released (failed) message gets visible_at = now() + back-off.
CREATE TABLE stream_queue_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_name  varchar(128) NOT NULL,
    payload     bytea        NOT NULL,
    enqueued_at timestamptz  NOT NULL DEFAULT now(),
    visible_at  timestamptz  NOT NULL DEFAULT now(),
    attempts    integer      NOT NULL DEFAULT 0,
    lease_token uuid         NULL
);

-- The receive scan: visible rows of one partition, oldest first.
CREATE INDEX stream_queue_messages_ready ON stream_queue_messages (queue_name, visible_at, id);

-- Messages that were leased max-attempts times without an acknowledgement. They keep their original id
-- so an operator can correlate them with logs, and are never delivered again unless moved back by hand.
CREATE TABLE stream_queue_dead_letters (
    id               bigint       PRIMARY KEY,
    queue_name       varchar(128) NOT NULL,
    payload          bytea        NOT NULL,
    enqueued_at      timestamptz  NOT NULL,
    attempts         integer      NOT NULL,
    dead_lettered_at timestamptz  NOT NULL DEFAULT now()
);

CREATE INDEX stream_queue_dead_letters_by_queue ON stream_queue_dead_letters (queue_name, dead_lettered_at);
