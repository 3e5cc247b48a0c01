#!/bin/bash
# The warehouse gets its own database, owned by its own role: not Airflow's metadata
# database, not the server's superuser. Runs once, when the PostgreSQL volume is first
# initialised (the image runs /docker-entrypoint-initdb.d/* as the superuser).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$NEWSETL_DB_USER" -v password="$NEWSETL_DB_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE newsetl OWNER :"role";
-- `newsetl query` runs as newsetl_reader (SELECT only, granted by the warehouse's migration
-- 0004) and refuses superuser logins such as airflow: analysts log in as `analyst`.
-- The password is for this local stack only.
CREATE ROLE newsetl_reader NOLOGIN;
CREATE ROLE analyst LOGIN PASSWORD 'analyst' IN ROLE newsetl_reader;
SQL
