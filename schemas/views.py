"""The analytics views: their SQL, written once, emitted for SQLite or PostgreSQL.

Migrations create them (``0002_analytics``); ``docs/analytics.md`` describes them. The few
things the two dialects spell differently are the methods of :class:`Dialect`; every view
means the same on both.

Days are Beijing dates (fixed UTC+8, the zone the papers print their dates in; China has
kept no daylight saving time since 1991). An article's day is that of ``published_at``,
or of ``first_seen_at`` when the publication time is unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BEIJING_OFFSET_HOURS = 8


@dataclass(frozen=True)
class Dialect:
    """SQL fragments that differ between SQLite and PostgreSQL."""

    name: str

    def day(self, timestamp: str) -> str:
        """The Beijing date of a UTC timestamp column."""
        if self.name == "sqlite":
            return f"date({timestamp}, '+{BEIJING_OFFSET_HOURS} hours')"
        return (
            f"CAST(({timestamp} AT TIME ZONE 'UTC') "
            f"+ INTERVAL '{BEIJING_OFFSET_HOURS} hours' AS DATE)"
        )

    def iso(self, timestamp: str) -> str:
        """A UTC timestamp column as ISO 8601 text to the second: ``2021-08-06T00:07:04Z``."""
        if self.name == "sqlite":
            return f"strftime('%Y-%m-%dT%H:%M:%SZ', {timestamp})"
        return f"""to_char({timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""

    def json_int(self, column: str, key: str) -> str:
        """A numeric member of a JSON object column as an integer; NULL when it is absent
        or not a number (an object of details, a list of problems)."""
        if self.name == "sqlite":
            path = f"'$.\"{key}\"'"
            return (
                f"CASE WHEN json_type({column}, {path}) IN ('integer', 'real') "
                f"THEN CAST(json_extract({column}, {path}) AS INTEGER) END"
            )
        return (
            f"CASE WHEN json_typeof({column} -> '{key}') = 'number' "
            f"THEN CAST(TRUNC(CAST({column} ->> '{key}' AS NUMERIC)) AS BIGINT) END"
        )

    def list_agg(self, expression: str) -> str:
        """Comma-joined text aggregate (used as a window function, ordered by its window)."""
        function = "group_concat" if self.name == "sqlite" else "string_agg"
        return f"{function}({expression}, ',')"

    @property
    def binary(self) -> str:
        """Collation that orders text by code point, as SQLite does by default."""
        return "COLLATE BINARY" if self.name == "sqlite" else 'COLLATE "C"'


def articles(d: Dialect) -> str:
    """Articles with their source slug, Beijing day and timestamps as ISO text."""
    return f"""
SELECT a.id AS article_id, s.slug AS source, s.name AS source_name,
       {d.day("COALESCE(a.published_at, a.first_seen_at)")} AS day,
       {d.iso("a.published_at")} AS published_at, {d.iso("a.first_seen_at")} AS first_seen_at,
       a.title, a.author, a."column" AS column_name, a.page, a.url, a.duplicate_of,
       a.char_count
FROM article a JOIN source s ON s.id = a.source_id"""


def daily_source_articles(d: Dialect) -> str:
    """Articles per Beijing day and source, with how many of them are duplicates."""
    return """
SELECT a.day, a.source, a.source_name, COUNT(*) AS articles,
       SUM(CASE WHEN a.duplicate_of IS NULL THEN 0 ELSE 1 END) AS duplicates
FROM v_article a
GROUP BY a.day, a.source, a.source_name"""


def daily_category_articles(d: Dialect) -> str:
    """Articles per Beijing day and category node (an article counts for every node of its path)."""
    return """
SELECT a.day, c.path AS category, c.name AS category_name, c.depth,
       COUNT(DISTINCT a.article_id) AS articles
FROM v_article a
JOIN article_category ac ON ac.article_id = a.article_id
JOIN category c ON c.id = ac.category_id
GROUP BY a.day, c.path, c.name, c.depth"""


def duplicate_members(d: Dialect) -> str:
    """Every article of a near-duplicate cluster, keyed by the cluster's canonical article."""
    return """
SELECT COALESCE(a.duplicate_of, a.article_id) AS cluster_id, a.article_id, a.source, a.title,
       a.published_at, a.first_seen_at,
       CASE WHEN a.duplicate_of IS NULL THEN 1 ELSE 0 END AS is_canonical
FROM v_article a
WHERE a.duplicate_of IS NOT NULL
   OR EXISTS (SELECT 1 FROM article m WHERE m.duplicate_of = a.article_id)"""


def duplicate_clusters(d: Dialect) -> str:
    """One row per cluster: size, member ids, sources involved, first and last seen."""
    whole = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    return f"""
WITH ids AS (
    SELECT DISTINCT cluster_id,
           {d.list_agg("CAST(article_id AS TEXT)")} OVER (
               PARTITION BY cluster_id ORDER BY article_id {whole}) AS member_ids
    FROM v_duplicate_member
), sources AS (
    SELECT DISTINCT cluster_id,
           {d.list_agg("source")} OVER (
               PARTITION BY cluster_id ORDER BY source {d.binary} {whole}) AS sources
    FROM (SELECT DISTINCT cluster_id, source FROM v_duplicate_member) AS cs
)
SELECT m.cluster_id, c.title AS canonical_title, COUNT(*) AS size, ids.member_ids,
       COUNT(DISTINCT m.source) AS source_count, sources.sources,
       MIN(m.first_seen_at) AS first_seen_at, MAX(m.first_seen_at) AS last_seen_at
FROM v_duplicate_member m
JOIN article c ON c.id = m.cluster_id
JOIN ids ON ids.cluster_id = m.cluster_id
JOIN sources ON sources.cluster_id = m.cluster_id
GROUP BY m.cluster_id, c.title, ids.member_ids, sources.sources"""


def author_articles(d: Dialect) -> str:
    """Authors by article count, with the sources they appear in and their time span."""
    return """
SELECT a.author, COUNT(*) AS articles, COUNT(DISTINCT a.source) AS sources,
       MIN(a.published_at) AS first_published_at, MAX(a.published_at) AS last_published_at
FROM v_article a
WHERE a.author IS NOT NULL AND a.author <> ''
GROUP BY a.author"""


def column_articles(d: Dialect) -> str:
    """Columns (栏目) per source by article count, with their time span."""
    return """
SELECT a.column_name, a.source, COUNT(*) AS articles,
       MIN(a.published_at) AS first_published_at, MAX(a.published_at) AS last_published_at
FROM v_article a
WHERE a.column_name IS NOT NULL AND a.column_name <> ''
GROUP BY a.column_name, a.source"""


RUN_COUNTS: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "fetched": ("fetched", "responses", "read", "files"),
    "cleaned": ("cleaned",),
    "rejected": ("rejected",),
    "duplicates": ("duplicates", ("exact_duplicates", "near_duplicates")),
    "loaded": ("loaded", "landed (new)", "landed"),
    "blocked": ("blocked",),
    "errors": ("errors",),
}
"""Health columns and the ``pipeline_run.counts`` keys they read, the first present wins (a
tuple of keys is their sum): crawls count ``responses`` and ``landed (new)``, the ETL
``read``, ``exact_duplicates`` + ``near_duplicates`` and ``loaded``, imports ``files`` and
``landed``."""


def run_health(d: Dialect) -> str:
    """Each pipeline run with its stage counts and how many records it quarantined."""

    def read(key: str | tuple[str, ...]) -> str:
        keys = (key,) if isinstance(key, str) else key
        return " + ".join(d.json_int("r.counts", k) for k in keys)

    def first(keys: tuple[str | tuple[str, ...], ...]) -> str:
        return f"COALESCE({', '.join(map(read, keys))})" if len(keys) > 1 else read(keys[0])

    columns = ",\n       ".join(f"{first(keys)} AS {name}" for name, keys in RUN_COUNTS.items())
    return f"""
SELECT r.id AS run_id, r.kind, r.name, r.status, r.message,
       {d.iso("r.started_at")} AS started_at, {d.iso("r.finished_at")} AS finished_at,
       {columns},
       (SELECT COUNT(*) FROM rejected_record rr WHERE rr.run_id = r.id) AS rejected_records
FROM pipeline_run r"""


def run_rejections(d: Dialect) -> str:
    """Quarantined records per run, Beijing day (of quarantine), stage and reason."""
    return f"""
SELECT x.run_id, x.day, x.stage, x.reason, COUNT(*) AS records
FROM (
    SELECT rr.run_id, {d.day("rr.created_at")} AS day, rr.stage, rr.reason
    FROM rejected_record rr
) AS x
GROUP BY x.run_id, x.day, x.stage, x.reason"""


def daily_terms(d: Dialect) -> str:
    """Terms per Beijing day over canonical articles, ranked (1 = most frequent that day)."""
    return f"""
SELECT t.day, t.term, t.occurrences, t.articles,
       ROW_NUMBER() OVER (
           PARTITION BY t.day
           ORDER BY t.occurrences DESC, t.articles DESC, t.term {d.binary}) AS day_rank
FROM (
    SELECT a.day, w.term, SUM(w.count) AS occurrences, COUNT(*) AS articles
    FROM article_term w JOIN v_article a ON a.article_id = w.article_id
    WHERE a.duplicate_of IS NULL
    GROUP BY a.day, w.term
) AS t"""


VIEWS: dict[str, Callable[[Dialect], str]] = {
    "v_article": articles,
    "v_daily_source_articles": daily_source_articles,
    "v_daily_category_articles": daily_category_articles,
    "v_duplicate_member": duplicate_members,
    "v_duplicate_cluster": duplicate_clusters,
    "v_author_articles": author_articles,
    "v_column_articles": column_articles,
    "v_run_health": run_health,
    "v_run_rejections": run_rejections,
    "v_daily_terms": daily_terms,
}
"""Every view in creation order (a view comes after the views it reads)."""


def create_view_statements(dialect_name: str) -> list[str]:
    """``CREATE VIEW`` statements for ``sqlite`` or ``postgresql``, in creation order."""
    if dialect_name not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported warehouse dialect {dialect_name!r}")
    dialect = Dialect(dialect_name)
    return [f"CREATE VIEW {name} AS{build(dialect)}" for name, build in VIEWS.items()]


def drop_view_statements() -> list[str]:
    """``DROP VIEW`` statements, dependants first."""
    return [f"DROP VIEW IF EXISTS {name}" for name in reversed(VIEWS)]
