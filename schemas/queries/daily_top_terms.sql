-- The top terms of each Beijing day.
-- :since date = 1970-01-01 | first Beijing day shown
-- :until date = 9999-12-31 | last Beijing day shown
-- :per_day int = 5 | terms shown per day
SELECT day, day_rank, term, occurrences, articles
FROM v_daily_terms
WHERE day >= :since AND day <= :until AND day_rank <= :per_day
ORDER BY day, day_rank
