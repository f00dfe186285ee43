-- Orleans ADO.NET providers (clustering, grain persistence, reminders) do not embed SQL. At start-up each
-- provider reads every row of this table and afterwards issues only those statements, looked up by key.
-- Scripts 0002-0004 create the tables and functions behind those statements and register the statement
-- texts here; changing how Orleans talks to PostgreSQL therefore means a new migration that updates rows
-- of this table, never a code change.
--
-- The providers query it literally as `SELECT QueryKey, QueryText FROM OrleansQuery` without quoting, which
-- PostgreSQL folds to lower case; the names below are lower case so that folding finds them. Npgsql matches
-- the provider's mixed-case column lookups ("QueryKey") case-insensitively.
--
-- A statement text is executed through Npgsql with named parameters (@DeploymentId, @GrainId, ...). Every
-- provider reads its result columns by name and type, so each registered statement aliases its columns to
-- the exact names the provider expects, regardless of how our own tables name them.
CREATE TABLE orleansquery (
    -- The providers' key names are ASCII identifiers such as 'UpdateIAmAlivetimeKey'.
    querykey  text NOT NULL,
    querytext text NOT NULL,
    CONSTRAINT orleansquery_pk PRIMARY KEY (querykey),
    CONSTRAINT orleansquery_key_shape CHECK (querykey ~ '^[A-Za-z][A-Za-z0-9]{0,63}$'),
    CONSTRAINT orleansquery_text_not_blank CHECK (btrim(querytext) <> '')
);

COMMENT ON TABLE orleansquery IS
    'Statements the Orleans ADO.NET providers execute, by key. Read once per provider at silo/client start.';
