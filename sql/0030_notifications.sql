-- Notifications (DESIGN §4: each follower gets each notification effectively once per session).
-- The stream queue delivers at least once, so every side effect of a delivery is keyed:
--   notifications   one row per (live_id, mentee_id, kind) - the mentee's inbox and the idempotency record
--   push_deliveries one row per (notification, device)    - a push is claimed before it is sent, once
-- push_devices is the push registry: a projection of the devices in each mentee grain's state plus the
-- provider's handle (an SNS platform endpoint ARN), so a delivery reads a mentee's devices in one query.
CREATE TABLE notifications (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    live_id    varchar(64)  NOT NULL,
    mentee_id  varchar(64)  NOT NULL,
    kind       varchar(32)  NOT NULL,
    mentor_id  varchar(64)  NOT NULL,
    title      varchar(300) NOT NULL,
    body       varchar(1000) NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT notifications_once UNIQUE (live_id, mentee_id, kind)
);

-- A mentee's inbox page: their rows after a cursor id, oldest first.
CREATE INDEX notifications_by_mentee ON notifications (mentee_id, id);

CREATE TABLE push_devices (
    mentee_id    varchar(64) NOT NULL,
    device_id    varchar(64) NOT NULL,
    platform     varchar(8)  NOT NULL,
    token        text        NOT NULL,
    endpoint_arn text        NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mentee_id, device_id)
);

-- status: 'sent' (done), 'pending' (claimed, provider call not confirmed yet - retried on redelivery),
-- 'dropped' (the provider reported the device dead; it was removed from push_devices).
CREATE TABLE push_deliveries (
    notification_id     bigint      NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    device_id           varchar(64) NOT NULL,
    provider            varchar(16) NOT NULL,
    status              varchar(16) NOT NULL,
    provider_message_id text        NULL,
    attempts            integer     NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz NULL,
    PRIMARY KEY (notification_id, device_id)
);
