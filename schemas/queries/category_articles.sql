-- Articles per category over a period; an article counts for every node of its category path (undated ones are in no period).
-- :since date = 1970-01-01 | first Beijing day counted
-- :until date = 9999-12-31 | last Beijing day counted
SELECT category, category_name, depth, CAST(SUM(articles) AS BIGINT) AS articles
FROM v_daily_category_articles
WHERE day >= :since AND day <= :until
GROUP BY category, category_name, depth
ORDER BY articles DESC, category
