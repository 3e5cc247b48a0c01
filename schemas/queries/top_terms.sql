-- Most frequent terms over a period (canonical articles only, stop words dropped).
-- :since date = 1970-01-01 | first Beijing day counted
-- :until date = 9999-12-31 | last Beijing day counted
-- :limit int = 20 | most terms shown
SELECT term, CAST(SUM(occurrences) AS BIGINT) AS occurrences, CAST(SUM(articles) AS BIGINT) AS articles
FROM v_daily_terms
WHERE day >= :since AND day <= :until
GROUP BY term
ORDER BY occurrences DESC, articles DESC, term
LIMIT :limit
