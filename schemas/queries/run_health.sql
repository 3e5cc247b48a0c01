-- Crawl, import and ETL health per run, newest first: fetched, cleaned, rejected, duplicates, loaded;
-- status degraded (with the reason in message) when a crawl's parsers stopped finding title or body.
-- :kind str = | run kind (crawl, import, etl); empty for every kind
-- :limit int = 20 | most runs shown
SELECT run_id, kind, name, status, started_at, finished_at,
       fetched, cleaned, rejected, duplicates, loaded, blocked, errors, rejected_records, message
FROM v_run_health
WHERE :kind = '' OR kind = :kind
ORDER BY run_id DESC
LIMIT :limit
