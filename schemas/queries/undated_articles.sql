-- Articles whose publication date is unknown, newest first seen first (no per-day query counts them).
-- :source str = | source slug; empty for every source
-- :limit int = 20 | most articles shown
SELECT article_id, first_seen_at, source, title, author, column_name, url
FROM v_article
WHERE article_id IN (
    SELECT a.id FROM article a
    WHERE a.published_at IS NULL
      AND (:source = '' OR a.source_id IN (SELECT s.id FROM source s WHERE s.slug = :source))
    ORDER BY a.first_seen_at DESC, a.id DESC
    LIMIT :limit
)
ORDER BY first_seen_at DESC, article_id DESC
