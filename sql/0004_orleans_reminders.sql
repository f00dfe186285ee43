-- Orleans reminders (Microsoft.Orleans.Reminders.AdoNet 10.x): durable, periodic wake-ups of grains.
--
-- Each silo's reminder service owns a slice of a 32-bit hash ring and loads the reminders whose grain hash
-- falls into it, so reads by hash range must be cheap. The provider sends the ring position
-- (GrainId.GetUniformHashCode(), an unsigned 32-bit value) reinterpreted as a signed int4; range bounds
-- arrive the same way, and the provider already picks the statement that fits the signed order (see
-- ReadRangeRows1Key / ReadRangeRows2Key).
--
-- Versioning: every upsert moves `version`, which the provider hands out as the reminder's ETag; removing a
-- reminder names that ETag and succeeds only if nobody re-registered the reminder in between.

CREATE TABLE orleans_reminders (
    service_id    text        NOT NULL,
    -- GrainId in its canonical text form ("type/key"), as the provider sends and parses it.
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    -- The provider converts unspecified-kind times to UTC before sending, so timestamptz is exact here.
    start_time    timestamptz NOT NULL,
    -- Milliseconds. The provider sends int4 while the period fits, int8 beyond ~24.8 days; bigint takes both.
    period        bigint      NOT NULL,
    grain_hash    integer     NOT NULL,
    version       integer     NOT NULL,
    CONSTRAINT orleans_reminders_pk PRIMARY KEY (service_id, grain_id, reminder_name),
    CONSTRAINT orleans_reminders_period_not_negative CHECK (period >= 0),
    CONSTRAINT orleans_reminders_version_positive CHECK (version >= 1),
    -- Byte limits keep the primary key well inside the ~2.7 kB a b-tree entry may take.
    CONSTRAINT orleans_reminders_service_id_size CHECK (octet_length(service_id) BETWEEN 1 AND 150),
    CONSTRAINT orleans_reminders_grain_id_size CHECK (octet_length(grain_id) BETWEEN 1 AND 1024),
    CONSTRAINT orleans_reminders_reminder_name_size CHECK (octet_length(reminder_name) BETWEEN 1 AND 512)
);

-- Ring-range loads: WHERE service_id = ? AND grain_hash in (begin, end].
CREATE INDEX orleans_reminders_by_ring ON orleans_reminders (service_id, grain_hash);

INSERT INTO orleansquery (querykey, querytext) VALUES

-- Register or re-register. One atomic statement; answers the new version as "Version".
('UpsertReminderRowKey', $q$
INSERT INTO orleans_reminders AS r (
    service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (
    @ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 1)
ON CONFLICT ON CONSTRAINT orleans_reminders_pk DO UPDATE
SET start_time = excluded.start_time,
    period = excluded.period,
    grain_hash = excluded.grain_hash,
    version = r.version + 1
RETURNING r.version AS "Version"
$q$),

-- All reminders of one grain.
('ReadReminderRowsKey', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND grain_id = @GrainId
$q$),

-- One reminder; no row when it does not exist.
('ReadReminderRowKey', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND grain_id = @GrainId
  AND reminder_name = @ReminderName
$q$),

-- Ring range (begin, end] that does not wrap in signed order (begin < end).
('ReadRangeRows1Key', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND grain_hash > @BeginHash
  AND grain_hash <= @EndHash
$q$),

-- Ring range (begin, end] that wraps past the end of the signed range (begin >= end; equal = whole ring).
('ReadRangeRows2Key', $q$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId
  AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$q$),

-- Unregister, conditional on the ETag (@Version). Answers one boolean: did a row go?
('DeleteReminderRowKey', $q$
WITH removed AS (
    DELETE FROM orleans_reminders
    WHERE service_id = @ServiceId
      AND grain_id = @GrainId
      AND reminder_name = @ReminderName
      AND version = @Version
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM removed)
$q$),

-- Test/maintenance helper of the provider: forget every reminder of the service.
('DeleteReminderRowsKey', $q$
DELETE FROM orleans_reminders
WHERE service_id = @ServiceId
$q$);
