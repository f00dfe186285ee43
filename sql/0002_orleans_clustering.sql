-- Orleans cluster membership (Microsoft.Orleans.Clustering.AdoNet 10.x): silos register, heartbeat and vote
-- on each other here, and clients find gateways here.
--
-- The membership protocol is optimistic: every logical change of the table (a silo joining, a status change,
-- a suspicion vote) must be conditional on the table version the writer last read, and must increment it
-- atomically with the change. Heartbeats (IAmAliveTime) are deliberately outside that protocol: they touch
-- neither the version nor anything a vote depends on, so a heartbeat between a read and a conditional write
-- never makes that write fail.
--
-- Values the provider hands us through Npgsql: strings as text, Address as the textual IP address, ports,
-- generation, status and version as int4, timestamps as timestamptz (the provider only sends DateTime values
-- of Kind=Utc, and Npgsql refuses to send those as timestamp without time zone).
-- SiloStatus, as stored in `status`: 0 None, 1 Created, 2 Joining, 3 Active, 4 ShuttingDown, 5 Stopping, 6 Dead.

-- One row per cluster (Orleans' ClusterId arrives as @DeploymentId). Its version is the ETag of the whole
-- membership table of that cluster.
CREATE TABLE orleans_membership_version (
    deployment_id text        NOT NULL,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orleans_membership_version_pk PRIMARY KEY (deployment_id),
    CONSTRAINT orleans_membership_version_deployment_id_length CHECK (length(deployment_id) BETWEEN 1 AND 150),
    CONSTRAINT orleans_membership_version_not_negative CHECK (version >= 0)
);

-- One row per silo incarnation: a restarted silo on the same endpoint is a new row with a new generation.
CREATE TABLE orleans_membership (
    deployment_id   text        NOT NULL,
    -- inet rather than text: equality is on the address, not on one spelling of it. Results hand it back
    -- through host(), which .NET's IPAddress.Parse reads.
    address         inet        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,
    -- 0 means "not a gateway". The provider reads this column as a non-nullable int, so NULL is not allowed.
    proxy_port      integer     NOT NULL DEFAULT 0,
    -- Suspicion votes exactly as the provider serialises them ("<silo>,<utc time>|..."). Opaque to SQL.
    suspect_times   text        NULL,
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    CONSTRAINT orleans_membership_pk PRIMARY KEY (deployment_id, address, port, generation),
    -- Dropping a cluster's version row (DeleteMembershipTableEntriesKey) takes its silo rows with it.
    CONSTRAINT orleans_membership_version_fk FOREIGN KEY (deployment_id)
        REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
    CONSTRAINT orleans_membership_port_range CHECK (port BETWEEN 1 AND 65535),
    CONSTRAINT orleans_membership_proxy_port_range CHECK (proxy_port BETWEEN 0 AND 65535),
    CONSTRAINT orleans_membership_status_known CHECK (status BETWEEN 0 AND 6),
    CONSTRAINT orleans_membership_silo_name_not_blank CHECK (silo_name <> ''),
    CONSTRAINT orleans_membership_host_name_not_blank CHECK (host_name <> '')
);

-- Adds a silo row and bumps the table version, or does nothing at all and answers false.
-- It is a function because two statements must succeed or fail together: a version bump without the row
-- (or the row without the bump) would corrupt the protocol. Locking the version row first serialises all
-- membership writers of the cluster, so the version cannot move between the check and the bump and no
-- subtransaction is needed to undo anything.
CREATE FUNCTION orleans_membership_insert(
    p_deployment_id    text,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_silo_name        text,
    p_host_name        text,
    p_status           integer,
    p_proxy_port       integer,
    p_start_time       timestamptz,
    p_i_am_alive_time  timestamptz,
    p_expected_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM orleans_membership_version
    WHERE deployment_id = p_deployment_id
      AND version = p_expected_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false; -- someone changed the table since the caller read it (or the cluster row is missing)
    END IF;

    INSERT INTO orleans_membership (
        deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
        suspect_times, start_time, i_am_alive_time)
    VALUES (
        p_deployment_id, p_address::inet, p_port, p_generation, p_silo_name, p_host_name, p_status,
        coalesce(p_proxy_port, 0), NULL, p_start_time, p_i_am_alive_time)
    ON CONFLICT ON CONSTRAINT orleans_membership_pk DO NOTHING;
    IF NOT FOUND THEN
        RETURN false; -- this silo incarnation is already registered; the version stays as it was
    END IF;

    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = p_deployment_id;
    RETURN true;
END
$fn$;

-- Changes a silo row's status and votes and bumps the table version, or does nothing and answers false.
-- Same locking argument as orleans_membership_insert.
CREATE FUNCTION orleans_membership_update(
    p_deployment_id    text,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_status           integer,
    p_suspect_times    text,
    p_i_am_alive_time  timestamptz,
    p_expected_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM orleans_membership_version
    WHERE deployment_id = p_deployment_id
      AND version = p_expected_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership
    SET status = p_status,
        suspect_times = p_suspect_times,
        -- A silo that votes on another writes back the heartbeat it read, which may be older than one the
        -- suspect wrote meanwhile (heartbeats do not bump the version). Never move the heartbeat backwards.
        i_am_alive_time = greatest(i_am_alive_time, p_i_am_alive_time)
    WHERE deployment_id = p_deployment_id
      AND address = p_address::inet
      AND port = p_port
      AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership_version
    SET version = version + 1, changed_at = now()
    WHERE deployment_id = p_deployment_id;
    RETURN true;
END
$fn$;

-- The statements below use named notation for function calls so that the mapping from the provider's
-- parameter names to our arguments is visible and cannot silently shift with argument order.
INSERT INTO orleansquery (querykey, querytext) VALUES

-- Silo start: make sure the cluster's version row exists. Answers one boolean, true only if it was created.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id)
    VALUES (@DeploymentId)
    ON CONFLICT ON CONSTRAINT orleans_membership_version_pk DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM created)
$q$),

('InsertMembershipKey', $q$
SELECT orleans_membership_insert(
    p_deployment_id    => @DeploymentId,
    p_address          => @Address,
    p_port             => @Port,
    p_generation       => @Generation,
    p_silo_name        => @SiloName,
    p_host_name        => @HostName,
    p_status           => @Status,
    p_proxy_port       => @ProxyPort,
    p_start_time       => @StartTime,
    p_i_am_alive_time  => @IAmAliveTime,
    p_expected_version => @Version)
$q$),

('UpdateMembershipKey', $q$
SELECT orleans_membership_update(
    p_deployment_id    => @DeploymentId,
    p_address          => @Address,
    p_port             => @Port,
    p_generation       => @Generation,
    p_status           => @Status,
    p_suspect_times    => @SuspectTimes,
    p_i_am_alive_time  => @IAmAliveTime,
    p_expected_version => @Version)
$q$),

-- Heartbeat. Not versioned (see the top of this file); the provider ignores the outcome.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership
SET i_am_alive_time = greatest(i_am_alive_time, @IAmAliveTime)
WHERE deployment_id = @DeploymentId
  AND address = CAST(@Address AS inet)
  AND port = @Port
  AND generation = @Generation
$q$),

-- Reads start from the version row and outer-join the silo rows: the provider takes the table version
-- from the first row, and a cluster without (matching) silos must still yield exactly that one row, with
-- NULL silo columns, which the provider recognises by a NULL StartTime. Being one statement, the version
-- and the rows come from the same snapshot.
('MembershipReadRowKey', $q$
SELECT v.deployment_id     AS "DeploymentId",
       host(m.address)     AS "Address",
       m.port              AS "Port",
       m.generation        AS "Generation",
       m.silo_name         AS "SiloName",
       m.host_name         AS "HostName",
       m.status            AS "Status",
       m.proxy_port        AS "ProxyPort",
       m.suspect_times     AS "SuspectTimes",
       m.start_time        AS "StartTime",
       m.i_am_alive_time   AS "IAmAliveTime",
       v.version           AS "Version"
FROM orleans_membership_version AS v
LEFT JOIN orleans_membership AS m
       ON m.deployment_id = v.deployment_id
      AND m.address = CAST(@Address AS inet)
      AND m.port = @Port
      AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId
$q$),

('MembershipReadAllKey', $q$
SELECT v.deployment_id     AS "DeploymentId",
       host(m.address)     AS "Address",
       m.port              AS "Port",
       m.generation        AS "Generation",
       m.silo_name         AS "SiloName",
       m.host_name         AS "HostName",
       m.status            AS "Status",
       m.proxy_port        AS "ProxyPort",
       m.suspect_times     AS "SuspectTimes",
       m.start_time        AS "StartTime",
       m.i_am_alive_time   AS "IAmAliveTime",
       v.version           AS "Version"
FROM orleans_membership_version AS v
LEFT JOIN orleans_membership AS m
       ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId
$q$),

-- Clients (and silos) list gateways: active silos that opened a gateway port. @Status is always Active (3).
('GatewaysQueryKey', $q$
SELECT host(address) AS "Address",
       proxy_port    AS "ProxyPort",
       generation    AS "Generation"
FROM orleans_membership
WHERE deployment_id = @DeploymentId
  AND status = @Status
  AND proxy_port > 0
$q$),

-- Drops a whole cluster; its silo rows go with the version row (ON DELETE CASCADE).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans_membership_version
WHERE deployment_id = @DeploymentId
$q$),

-- Required by the provider, but 10.x only falls back to it when CleanupDefunctSiloEntryKey is absent.
-- Removes Dead rows whose start and last heartbeat are both older than the cut-off (@IAmAliveTime). Rows
-- carrying suspicion votes are kept: a vote may be recent (a silo declared dead a moment ago must stay
-- visible to the cluster), and vote times are only readable by parsing the provider's text in .NET.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId
  AND status = 6
  AND start_time < @IAmAliveTime
  AND i_am_alive_time < @IAmAliveTime
  AND coalesce(suspect_times, '') = ''
$q$),

-- Orleans 10.x: when this key exists the provider reads all rows, decides in .NET which Dead rows are old
-- enough (start, heartbeat and every vote before the cut-off) and deletes them one by one with the values
-- it read. Deleting only if the row is still exactly as read makes the cleanup safe against a concurrent
-- writer: a row that changed in between stays. NULL and '' both mean "no votes" to the provider.
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId
  AND address = CAST(@Address AS inet)
  AND port = @Port
  AND generation = @Generation
  AND status = 6
  AND start_time = @StartTime
  AND i_am_alive_time = @IAmAliveTime
  AND coalesce(suspect_times, '') = coalesce(@SuspectTimes, '')
$q$);
