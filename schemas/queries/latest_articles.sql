-- The newest articles (by publication time, else first seen).
-- :source str = | source slug; empty for every source
-- :limit int = 20 | most articles shown
SELECT article_id, COALESCE(published_at, first_seen_at) AS published_at, source,
       title, author, column_name, url
FROM v_article
WHERE :source = '' OR source = :source
ORDER BY COALESCE(published_at, first_seen_at) DESC, article_id DESC
LIMIT :limit
