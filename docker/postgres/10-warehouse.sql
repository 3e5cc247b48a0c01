-- The warehouse lives next to Airflow's metadata database on the same server.
-- Runs once, when the PostgreSQL volume is first initialised.
CREATE DATABASE newsetl;
-- `newsetl query` runs as newsetl_reader (SELECT only, granted by the warehouse's migration
-- 0004) and refuses superuser logins such as airflow: analysts log in as `analyst`.
-- The password is for this local stack only.
CREATE ROLE newsetl_reader NOLOGIN;
CREATE ROLE analyst LOGIN PASSWORD 'analyst' IN ROLE newsetl_reader;
