"""Airflow for the DAG tests: a throw-away AIRFLOW_HOME with a SQLite metadata database.

Airflow reads its configuration when it is first imported, so the environment is set when
this file is loaded, before any test module imports Airflow. The metadata database is
created once per test session (once per xdist worker); the home is removed when the process
exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"
# the ETL tests' item helpers (`etl_items`), for the tests that run both ETL drivers
sys.path.insert(0, str(REPO / "tests" / "etl"))

if "airflow" in sys.modules:
    raise RuntimeError("Airflow was imported before tests/dags/conftest.py set its environment")

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="newsetl-airflow-"))
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME / 'airflow.db'}",
}
os.environ.update(AIRFLOW_ENV)


atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The metadata database of this session's AIRFLOW_HOME, initialised once."""
    from airflow.utils.db import initdb

    initdb()
    return AIRFLOW_HOME / "airflow.db"
