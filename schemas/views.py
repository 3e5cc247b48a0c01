"""The analytics views: their SQL, written once, emitted for SQLite or PostgreSQL.

Migrations create them (the newest that changed them, ``0005_index_layout``);
``docs/analytics.md`` describes them. The few things the two dialects spell differently are
the methods of :class:`Dialect`; every view means the same on both.

Days are Beijing dates (fixed UTC+8, the zone the papers print their dates in; China has
kept no daylight saving time since 1991). An article's day is that of ``published_at``;
an article whose publication time is unknown has no day (NULL) and is counted apart.

Daily counts read ``daily_article_count``, which triggers on ``article`` keep up to date
(:func:`create_trigger_statements`), so they never scan the article table.
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
    """Articles with their source slug, Beijing day (NULL when the publication time is
    unknown) and timestamps as ISO text."""
    return f"""
SELECT a.id AS article_id, s.slug AS source, s.name AS source_name,
       {d.day("a.published_at")} AS day,
       {d.iso("a.published_at")} AS published_at, {d.iso("a.first_seen_at")} AS first_seen_at,
       a.title, a.author, a."column" AS column_name, a.page, a.url, a.duplicate_of,
       a.char_count
FROM article a JOIN source s ON s.id = a.source_id"""


def daily_source_articles(d: Dialect) -> str:
    """Articles per Beijing day and source, with how many of them are duplicates; the row
    whose day is NULL counts the source's articles of unknown publication date."""
    return """
SELECT c.day, s.slug AS source, s.name AS source_name, c.articles, c.duplicates
FROM daily_article_count c JOIN source s ON s.id = c.source_id
WHERE c.articles > 0"""


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


COUNTED = "daily_article_count"
TRIGGERS = {"insert": ("NEW",), "delete": ("OLD",), "update": ("OLD", "NEW")}
"""The triggers keeping :data:`COUNTED` and the rows each one takes back (OLD) and adds (NEW)."""


def _counted_rows(d: Dialect, rows: str, sign: int) -> str:
    """``source_id, day, sign, duplicate`` of every article in ``rows``."""
    return (
        f"SELECT source_id, {d.day('published_at')} AS day, {sign} AS sign, "
        f"CASE WHEN duplicate_of IS NULL THEN 0 ELSE {sign} END AS duplicate FROM {rows}"
    )


def fill_counts_statement(dialect_name: str) -> str:
    """Count every article into an empty :data:`COUNTED` (once, when it is created)."""
    counted = _counted_rows(Dialect(dialect_name), "article", 1)
    return f"""
INSERT INTO {COUNTED} (source_id, day, articles, duplicates)
SELECT source_id, day, COUNT(*), SUM(duplicate) FROM ({counted}) AS a GROUP BY source_id, day"""


def _sqlite_change(d: Dialect, row: str, sign: int) -> str:
    """Add ``sign`` (±1) to the counts of the article ``row`` (NEW or OLD) of a row trigger."""
    day = d.day(f"{row}.published_at")
    duplicate = f"CASE WHEN {row}.duplicate_of IS NULL THEN 0 ELSE {sign} END"
    key = f"source_id = {row}.source_id AND day IS {day}"
    return f"""
    UPDATE {COUNTED} SET articles = articles + {sign}, duplicates = duplicates + {duplicate}
    WHERE {key};
    INSERT INTO {COUNTED} (source_id, day, articles, duplicates)
    SELECT {row}.source_id, {day}, {sign}, {duplicate}
    WHERE NOT EXISTS (SELECT 1 FROM {COUNTED} WHERE {key});"""


def _postgresql_change(d: Dialect, rows: tuple[str, ...]) -> str:
    """Add the statement's new rows and take back its old ones, one upsert per key (in key
    order, so concurrent loads lock the same rows in the same order)."""
    counted = "\n    UNION ALL ".join(
        _counted_rows(d, f"{row.lower()}_rows", 1 if row == "NEW" else -1) for row in rows
    )
    return f"""
    INSERT INTO {COUNTED} AS c (source_id, day, articles, duplicates)
    SELECT source_id, day, SUM(sign), SUM(duplicate) FROM ({counted}) AS a
    GROUP BY source_id, day HAVING SUM(sign) <> 0 OR SUM(duplicate) <> 0
    ORDER BY source_id, day
    ON CONFLICT (source_id, day) DO UPDATE
    SET articles = c.articles + EXCLUDED.articles,
        duplicates = c.duplicates + EXCLUDED.duplicates;"""


def create_trigger_statements(dialect_name: str) -> list[str]:
    """The triggers that keep :data:`COUNTED` equal to counting the article table: on
    SQLite a row trigger per change, on PostgreSQL a statement trigger reading the
    statement's transition tables (one upsert per day and source a statement)."""
    d = Dialect(dialect_name)
    statements = []
    for event, rows in TRIGGERS.items():
        name = f"{COUNTED}_{event}"
        if d.name == "sqlite":
            when = ""
            if event == "update":
                when = (
                    "\nWHEN OLD.source_id IS NOT NEW.source_id"
                    " OR OLD.published_at IS NOT NEW.published_at"
                    " OR (OLD.duplicate_of IS NULL) <> (NEW.duplicate_of IS NULL)"
                )
            changes = "".join(_sqlite_change(d, row, 1 if row == "NEW" else -1) for row in rows)
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON article{when}\nBEGIN{changes}\nEND"
            )
            continue
        tables = " ".join(f"{row} TABLE AS {row.lower()}_rows" for row in rows)
        statements += [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN"
            f"{_postgresql_change(d, rows)}\n    RETURN NULL;\nEND\n$$",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON article REFERENCING {tables}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def drop_trigger_statements(dialect_name: str) -> list[str]:
    """Drop what :func:`create_trigger_statements` created."""
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {COUNTED}_{event}" for event in TRIGGERS]
    return [
        statement
        for event in TRIGGERS
        for statement in (
            f"DROP TRIGGER IF EXISTS {COUNTED}_{event} ON article",
            f"DROP FUNCTION IF EXISTS {COUNTED}_{event}()",
        )
    ]
