-- Authors with the most articles.
-- :limit int = 20 | most authors shown
SELECT author, articles, sources, first_published_at, last_published_at
FROM v_author_articles
ORDER BY articles DESC, author
LIMIT :limit
