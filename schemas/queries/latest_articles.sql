-- The newest articles by publication time (articles of unknown date: undated_articles).
-- :source str = | source slug; empty for every source
-- :limit int = 20 | most articles shown
SELECT article_id, published_at, source, title, author, column_name, url
FROM v_article
WHERE article_id IN (
    SELECT a.id FROM article a
    WHERE a.published_at IS NOT NULL
      AND (:source = '' OR a.source_id IN (SELECT s.id FROM source s WHERE s.slug = :source))
    ORDER BY a.published_at DESC, a.id DESC
    LIMIT :limit
)
ORDER BY published_at DESC, article_id DESC
