"""The source registry is checked against its schema: a wrong key or value is an error that
names the file and the key, never a silent default."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from newsetl.cli import app
from schemas.sources import DEFAULT_SOURCES, SourceRegistryError, load_sources


def registry_with(tmp_path: Path, slug: str, **changes: object) -> Path:
    data = yaml.safe_load(DEFAULT_SOURCES.read_text("utf-8"))
    entry = data["sources"][slug]
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            entry.setdefault(outer, {})[inner] = value
        else:
            entry[key] = value
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


@pytest.mark.parametrize(
    ("slug", "changes", "expected"),
    [
        ("zaker", {"enabled": "false"}, "sources.zaker.enabled: input should be a valid boolean"),
        ("zaker", {"kind": "sitee"}, "sources.zaker.kind: input should be 'feed', 'site'"),
        ("zaker", {"shedule": "@daily"}, "sources.zaker.shedule: unknown key"),
        (
            "files",
            {"validation.min_body_chars": "fifty"},
            "sources.files.validation.min_body_chars: input should be a valid integer "
            "(got 'fifty')",
        ),
        (
            "zaker-feeds",
            {"feeds": [{"url": "/x", "enabled": "no"}]},
            "sources.zaker-feeds.feeds.0.enabled: input should be a valid boolean",
        ),
    ],
)
def test_a_wrong_entry_names_the_file_and_the_key(
    tmp_path: Path, slug: str, changes: dict[str, object], expected: str
) -> None:
    path = registry_with(tmp_path, slug, **changes)
    with pytest.raises(SourceRegistryError) as error:
        load_sources(path)
    assert str(error.value).startswith(f"{path.resolve()}: ")
    assert expected in str(error.value)


def test_the_bundled_registry_is_valid() -> None:
    sources = load_sources()
    assert sources["people-daily"].options["demo_args"] == {
        "date": "2024-11-29,2024-11-30,2024-12-01,2025-03-05,2026-05-01"
    }
    assert sources["files"].validation.require_url is False
    assert [feed["enabled"] for feed in sources["zaker-feeds"].options["feeds"]] == [
        True,
        True,
        False,
    ]


def test_commands_report_a_bad_registry_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_warehouse: str
) -> None:
    path = registry_with(tmp_path, "zaker", enabled="false")
    monkeypatch.setenv("NEWSETL_SOURCES", str(path))
    result = CliRunner().invoke(app, ["run"], env={"NEWSETL_DEBUG": None})
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {path.resolve()}: sources.zaker.enabled: input should be a valid boolean "
        "(got 'false')"
    ]
