-- Quarantined records by stage and reason over a period, most frequent first.
-- :since date = 1970-01-01 | first Beijing day counted
-- :until date = 9999-12-31 | last Beijing day counted
SELECT stage, reason, CAST(SUM(records) AS BIGINT) AS records
FROM v_run_rejections
WHERE day >= :since AND day <= :until
GROUP BY stage, reason
ORDER BY records DESC, stage, reason
