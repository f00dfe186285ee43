-- Orleans grain state (Microsoft.Orleans.Persistence.AdoNet 10.x): one row per (service, state name, grain).
--
-- How the provider identifies a state:
--   * service_id            ClusterOptions.ServiceId; stable across deployments, unlike the cluster id.
--   * grain_type            the *state name* the grain declared (e.g. [PersistentState("profile")]), with
--                           generic arguments normalised; despite the provider's parameter name
--                           (@GrainTypeString) it is not the grain class. The grain's own type is not part
--                           of the identity at all, so two grain classes using the same state name and the
--                           same key share a row: give each class its own state name.
--   * grain_id_n0/n1        a Guid key as two int64 halves, an integer key in n1 (n0 = 0), or 0/0 for a
--                           string key, whose text is then in grain_id_extension.
--   * grain_id_extension    the key extension of compound keys, or the whole key of string-keyed grains;
--                           NULL when there is none.
--   * grain_id_hash, grain_type_hash
--                           32-bit hashes the provider computes (by default Orleans' stable hash of the key
--                           bytes and of the UTF-8 state name). They are not unique; they only narrow index
--                           look-ups to a handful of rows, so every statement still compares the full
--                           natural key. They also tie rows to the hasher that wrote them: switching the
--                           provider's HashPicker (e.g. to the Orleans 3 compatible one) makes older rows
--                           unreachable.
--
-- Versioning (the ETag): `version` starts at 1 on the first write and grows by one with every write or
-- clear. A write or clear names the version it last read (@GrainStateVersion, NULL for "I saw no row") and
-- succeeds only if the row is still at that version. The statement answers the new version; on a conflict
-- it answers NULL or no row, which the provider turns into an InconsistentStateException.
-- A cleared state keeps its row with a NULL payload and a new version, so a stale writer still conflicts;
-- the provider reads such a row as "no record, but this ETag". With DeleteStateOnClear=true the row goes
-- instead (DeleteStorageKey) and the next write starts again at version 1.

CREATE TABLE orleans_storage (
    grain_id_hash      integer     NOT NULL,
    grain_type_hash    integer     NOT NULL,
    grain_id_n0        bigint      NOT NULL,
    grain_id_n1        bigint      NOT NULL,
    service_id         text        NOT NULL,
    grain_type         text        NOT NULL,
    grain_id_extension text        NULL,
    payload_binary     bytea       NULL,
    version            integer     NOT NULL,
    modified_on        timestamptz NOT NULL DEFAULT now(),
    -- One row per state, also for grains without a key extension: NULLS NOT DISTINCT (PostgreSQL 15) makes
    -- two NULL extensions collide, which lets a concurrent first write lose cleanly via ON CONFLICT.
    -- The hashes lead so that the same index serves the look-ups.
    CONSTRAINT orleans_storage_state_key UNIQUE NULLS NOT DISTINCT
        (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1, service_id, grain_type, grain_id_extension),
    CONSTRAINT orleans_storage_version_positive CHECK (version >= 1),
    -- Byte limits keep a full key well inside the ~2.7 kB a b-tree entry may take.
    CONSTRAINT orleans_storage_service_id_size CHECK (octet_length(service_id) BETWEEN 1 AND 150),
    CONSTRAINT orleans_storage_grain_type_size CHECK (octet_length(grain_type) BETWEEN 1 AND 512),
    CONSTRAINT orleans_storage_grain_id_extension_size CHECK (octet_length(grain_id_extension) <= 1024)
);

-- A function because the statement differs by case (first write inserts, later writes update) and each
-- case has its own conflict rule; each branch is a single atomic statement, so no locking is added here:
--   * first write: the unique key decides between concurrent first writers; losers insert nothing.
--   * later write: the version predicate is re-checked on the latest row version when two writers race
--     (READ COMMITTED re-evaluates UPDATE conditions), so exactly one of them moves the version.
-- Returns the new version, or NULL on a conflict.
CREATE FUNCTION orleans_storage_write(
    p_grain_id_hash      integer,
    p_grain_type_hash    integer,
    p_grain_id_n0        bigint,
    p_grain_id_n1        bigint,
    p_service_id         text,
    p_grain_type         text,
    p_grain_id_extension text,
    p_expected_version   integer,
    p_payload            bytea)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new_version integer;
BEGIN
    IF p_expected_version IS NULL THEN
        INSERT INTO orleans_storage (
            grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1, service_id, grain_type,
            grain_id_extension, payload_binary, version)
        VALUES (
            p_grain_id_hash, p_grain_type_hash, p_grain_id_n0, p_grain_id_n1, p_service_id, p_grain_type,
            p_grain_id_extension, p_payload, 1)
        ON CONFLICT ON CONSTRAINT orleans_storage_state_key DO NOTHING
        RETURNING version INTO v_new_version;
    ELSE
        UPDATE orleans_storage
        SET payload_binary = p_payload,
            version = version + 1,
            modified_on = now()
        WHERE grain_id_hash = p_grain_id_hash
          AND grain_type_hash = p_grain_type_hash
          AND grain_id_n0 = p_grain_id_n0
          AND grain_id_n1 = p_grain_id_n1
          AND service_id = p_service_id
          AND grain_type = p_grain_type
          AND grain_id_extension IS NOT DISTINCT FROM p_grain_id_extension
          AND version = p_expected_version
        RETURNING version INTO v_new_version;
    END IF;

    RETURN v_new_version;
END
$fn$;

-- Every statement receives @GrainIdHash, @GrainTypeHash, @GrainIdN0, @GrainIdN1, @ServiceId,
-- @GrainTypeString and @GrainIdExtensionString; write, clear and delete also @GrainStateVersion, and write
-- @PayloadBinary (the serialized state).
INSERT INTO orleansquery (querykey, querytext) VALUES

-- No row: the provider creates a default state with no ETag. A NULL payload (cleared state) reads as
-- "no record" but still hands back the version as ETag.
('ReadFromStorageKey', $q$
SELECT payload_binary AS "PayloadBinary",
       version        AS "Version"
FROM orleans_storage
WHERE grain_id_hash = @GrainIdHash
  AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),

('WriteToStorageKey', $q$
SELECT orleans_storage_write(
    p_grain_id_hash      => @GrainIdHash,
    p_grain_type_hash    => @GrainTypeHash,
    p_grain_id_n0        => @GrainIdN0,
    p_grain_id_n1        => @GrainIdN1,
    p_service_id         => @ServiceId,
    p_grain_type         => @GrainTypeString,
    p_grain_id_extension => @GrainIdExtensionString,
    p_expected_version   => @GrainStateVersion,
    p_payload            => @PayloadBinary) AS "NewGrainStateVersion"
$q$),

-- Clear keeps the row (see the top of this file). No row back means a version conflict.
('ClearStorageKey', $q$
UPDATE orleans_storage
SET payload_binary = NULL,
    version = version + 1,
    modified_on = now()
WHERE grain_id_hash = @GrainIdHash
  AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
  AND version = @GrainStateVersion
RETURNING version AS "NewGrainStateVersion"
$q$),

-- Optional key, used only with AdoNetGrainStorageOptions.DeleteStateOnClear = true. The provider treats an
-- answer equal to the ETag it sent as a conflict, so the deleted row answers its version plus one.
('DeleteStorageKey', $q$
DELETE FROM orleans_storage
WHERE grain_id_hash = @GrainIdHash
  AND grain_type_hash = @GrainTypeHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND service_id = @ServiceId
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
  AND version = @GrainStateVersion
RETURNING version + 1 AS "NewGrainStateVersion"
$q$);
