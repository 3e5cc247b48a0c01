-- Articles, and the duplicates among them, per Beijing day and source (undated ones: undated_per_source).
-- :since date = 1970-01-01 | first Beijing day counted
-- :until date = 9999-12-31 | last Beijing day counted
-- :source str = | source slug; empty for every source
SELECT day, source, source_name, articles, duplicates
FROM v_daily_source_articles
WHERE day >= :since AND day <= :until AND (:source = '' OR source = :source)
ORDER BY day, source
