-- The app's own database role: it reads and writes the clinic's data, and can only append to the audit trail.
--
-- Two roles (README, "Deploying on PostgreSQL"): an owner that owns the tables and runs `manage.py migrate`,
-- and the app role the web servers and cron jobs connect as. Not owning the tables, the app role cannot
-- ALTER, DROP or disable the trigger of any table; here it is also given no TRUNCATE anywhere, and on the
-- audit trail only SELECT and INSERT (the trigger refuses UPDATE and DELETE even to the owner).
--
-- Run as the owner (or a superuser) after every `migrate`, and after a restore; it is safe to run again:
--   psql -v app=clinic_app -v owner=clinic_owner -d clinic -f deploy/postgres-roles.sql

\set ON_ERROR_STOP on

GRANT CONNECT ON DATABASE :"DBNAME" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM :"app";

-- The audit trail: read and append, nothing else.
REVOKE UPDATE, DELETE ON auditlog_logentry FROM :"app";
-- The migration history: read (`migrate --check`), written by the owner only.
REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM :"app";

-- Tables and sequences the owner creates in later migrations: the same rights.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
