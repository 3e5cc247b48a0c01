"""The hostile corpus script (benchmarks/hostile.py), one variant of every case kind, on
each backend: no crash, no silent loss, no mis-attributed rejection, nothing unsafe stored,
and the export → import round trip changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ZERO = (
    "crashes", "silent_losses", "misattributed_rejections", "unexpected_outcomes",
    "unsafe_values_stored", "round_trip_rejections",
)  # fmt: skip


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_hostile_corpus_passes_every_count(backend: str, tmp_path: Path) -> None:
    if backend == "postgresql" and not os.environ.get("NEWSETL_TEST_POSTGRES_URL"):
        pytest.skip("NEWSETL_TEST_POSTGRES_URL is not set: PostgreSQL tests need a server")
    out = tmp_path / "hostile.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.hostile", "--variants", "1", "--backends", backend,
         "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))[backend]
    assert result["files"] >= result["kinds"] == 30
    for count in ZERO:
        assert result[count] == [], (count, result[count])
    assert result["round_trip_changed_rows"] == 0
