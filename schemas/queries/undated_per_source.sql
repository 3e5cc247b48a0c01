-- Articles whose publication date is unknown, per source: counted apart from every per-day query.
SELECT source, source_name, articles, duplicates
FROM v_daily_source_articles
WHERE day IS NULL
ORDER BY articles DESC, source
