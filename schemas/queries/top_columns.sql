-- Columns (栏目) with the most articles, per source.
-- :source str = | source slug; empty for every source
-- :limit int = 20 | most columns shown
SELECT column_name, source, articles, first_published_at, last_published_at
FROM v_column_articles
WHERE :source = '' OR source = :source
ORDER BY articles DESC, column_name, source
LIMIT :limit
