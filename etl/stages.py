"""The ETL's stage names and batch limits: the one definition the pipeline, the CLI and
the Airflow DAG share (light to import: DAG files read it on every parse)."""

from __future__ import annotations

import os

STAGES = ("clean", "validate", "dedupe", "load")
# What one task (Airflow) runs on a batch: clean and validate need nothing but the batch,
# so batches go through them in parallel; dedupe and load take batches in order.
PHASES = {"clean_validate": STAGES[:2], "dedupe_load": STAGES[2:]}

DEFAULT_BATCH_SIZE = 2000
MAX_BATCHES_ENV = "NEWSETL_ETL_MAX_BATCHES"
# Batches one run plans at most (Airflow maps at most 1,024 tasks); the next run takes the rest.
DEFAULT_MAX_BATCHES = 256


def default_max_batches() -> int:
    """Batches one run plans at most (``$NEWSETL_ETL_MAX_BATCHES``)."""
    return int(os.environ.get(MAX_BATCHES_ENV, DEFAULT_MAX_BATCHES))
