"""The trigger that queues every landed document with an item for the ETL: an
``etl_document`` row, pending until a batch claims it and a run processes it.

A trigger rather than landing code, so no way of landing (crawl, file import, a bulk
insert) can leave a document out. On PostgreSQL it runs once per statement over the rows
inserted; on SQLite once per row.
"""

from __future__ import annotations

TRIGGER = "etl_document_queue"


def create_queue_statements(dialect_name: str) -> list[str]:
    """The statements creating the trigger (and its function, on PostgreSQL)."""
    if dialect_name == "sqlite":
        return [
            f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON raw_document "
            "WHEN NEW.item IS NOT NULL AND NEW.item != 'null'\n"
            "BEGIN INSERT INTO etl_document (raw_document_id) VALUES (NEW.id); END"
        ]
    return [
        f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  INSERT INTO etl_document (raw_document_id)\n"
        "  SELECT id FROM landed WHERE item IS NOT NULL AND item::text != 'null';\n"
        "  RETURN NULL;\n"
        "END $$",
        f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON raw_document REFERENCING NEW TABLE AS landed "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()",
    ]


def drop_queue_statements(dialect_name: str) -> list[str]:
    """The statements dropping what :func:`create_queue_statements` created."""
    if dialect_name == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {TRIGGER}"]
    return [
        f"DROP TRIGGER IF EXISTS {TRIGGER} ON raw_document",
        f"DROP FUNCTION IF EXISTS {TRIGGER}()",
    ]
