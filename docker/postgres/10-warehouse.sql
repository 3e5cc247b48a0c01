-- The warehouse lives next to Airflow's metadata database on the same server.
-- Runs once, when the PostgreSQL volume is first initialised.
CREATE DATABASE newsetl;
