-- Near-duplicate clusters, largest first: canonical article, members, sources, first and last seen.
-- :min_size int = 2 | smallest cluster size shown
-- :limit int = 50 | most clusters shown
SELECT cluster_id, canonical_title, size, source_count, sources, member_ids,
       first_seen_at, last_seen_at
FROM v_duplicate_cluster
WHERE size >= :min_size
ORDER BY size DESC, last_seen_at DESC, cluster_id
LIMIT :limit
