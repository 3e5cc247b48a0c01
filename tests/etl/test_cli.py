"""``newsetl etl``: progress, closing table, exit code."""

from __future__ import annotations

from etl_items import news_item
from sqlalchemy import Engine
from typer.testing import CliRunner

from newsetl.cli import app


def test_etl_command_prints_the_summary_and_succeeds(
    engine: Engine, use_warehouse: str, land_in
) -> None:
    land_in([news_item(1), news_item(2), news_item(1, author="本报记者 ")])
    result = CliRunner().invoke(app, ["etl", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    for line in (
        "read",
        "cleaned",
        "rejected",
        "exact duplicates",
        "near duplicates",
        "loaded (new)",
    ):
        assert line in result.output
    assert "success" in result.output
    rows = {
        cells[1].strip(): cells[2].strip()
        for line in result.output.splitlines()
        if len(cells := line.split("│")) == 4
    }
    assert rows["read"] == "3" and rows["loaded (new)"] == "2" and rows["exact duplicates"] == "1"


def test_etl_command_fails_when_a_batch_passes_the_threshold(
    engine: Engine, use_warehouse: str, land_in
) -> None:
    land_in([news_item(1), news_item(2, title=None), news_item(3, published="无法识别")])
    result = CliRunner().invoke(app, ["etl"])
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "expect_column_values_to_not_be_null (title)" in result.output
    assert "published_at parsable" in result.output


def test_etl_summary_lists_reasons_under_rejected_and_labels_the_totals(
    engine: Engine, use_warehouse: str, land_in
) -> None:
    land_in([news_item(1), news_item(2, title=None)])
    first = CliRunner().invoke(app, ["etl", "--no-terms"])
    names = [
        cells[1].strip() for line in first.output.splitlines() if len(cells := line.split("│")) == 4
    ]
    rejected = names.index("rejected")
    assert names[rejected + 1].startswith("validate: expect_column_values_to_not_be_null")
    assert names[rejected + 2] == "superseded (older version)"
    assert names[rejected + 3] == "exact duplicates"
    assert "warehouse total: 1 articles, 1 records in quarantine (all runs)" in first.output
    second = CliRunner().invoke(app, ["etl", "--no-terms"])  # nothing new: this run did nothing
    rows = {
        cells[1].strip(): cells[2].strip()
        for line in second.output.splitlines()
        if len(cells := line.split("│")) == 4
    }
    assert rows["read"] == "0" and rows["loaded (new)"] == "0"
    assert "warehouse total: 1 articles, 1 records in quarantine (all runs)" in second.output
