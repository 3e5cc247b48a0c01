-- Articles and duplicates (articles whose story an earlier one told) per Beijing day; undated articles are not counted.
-- :since date = 1970-01-01 | first Beijing day counted
-- :until date = 9999-12-31 | last Beijing day counted
SELECT day, CAST(SUM(articles) AS BIGINT) AS articles, CAST(SUM(duplicates) AS BIGINT) AS duplicates
FROM v_daily_source_articles
WHERE day >= :since AND day <= :until
GROUP BY day
ORDER BY day
