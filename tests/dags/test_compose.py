"""docker-compose.yml and the Dockerfile name only things that exist.

There is no Docker engine here: the file is parsed and checked against the repository, the
Airflow CLI and configuration, and the newsetl CLI; Debian's ``docker-compose`` (v1) checks
it against the compose-file schema where it is installed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow.cli.cli_parser import get_parser
from airflow.configuration import conf
from airflow.sdk.module_loading import import_string
from redis.connection import parse_url
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from newsetl.cli import app

pytestmark = pytest.mark.airflow

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "crawler",
}
ONE_SHOT = {"airflow-init", "crawler"}  # run to completion: no health check
# read by the official image's entrypoint (dumb-init), not by Airflow's configuration
IMAGE_VARIABLES = {"DUMB_INIT_SETSID"}
SUBSTITUTION = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(:?-[^}]*)?\}")
PYTHON_PATH = re.compile(r"^[a-z_][\w.]*\.[A-Z]\w*$")
PROJECT_SOURCES = ("schemas", "etl", "spiders", "newsetl", "dags")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def command_words(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def shell_commands(service: dict[str, Any]) -> list[list[str]]:
    """The commands a service runs: ``bash -c "a && b"`` gives both ``a`` and ``b``."""
    words = command_words(service)
    if "entrypoint" in service:
        return [[*service["entrypoint"], *words]]
    if words[:2] == ["bash", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [["airflow", *words]]  # the official image's entrypoint runs `airflow <command>`


def with_defaults(value: str) -> str:
    """A value with each ``${NAME:-default}`` replaced by its default."""
    return SUBSTITUTION.sub(lambda match: (match[2] or "").removeprefix(":-"), value)


def project_code() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for folder in PROJECT_SOURCES
        for path in (REPO / folder).rglob("*.py")
    )


def test_the_stack_has_every_service(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == AIRFLOW_SERVICES | {"postgres", "redis"}
    assert services["airflow-apiserver"]["ports"] == ["8080:8080"]
    assert "CeleryExecutor" in services["airflow-worker"]["environment"].values()


def test_every_command_is_a_real_airflow_or_newsetl_command(
    services: dict[str, dict[str, Any]],
) -> None:
    parser = get_parser()
    runner = CliRunner()
    ran = []
    for name in AIRFLOW_SERVICES:
        for command in shell_commands(services[name]):
            program, *args = command
            if program == "airflow":
                parser.parse_args(args)  # exits on an unknown command or option
            else:
                assert program == "newsetl", f"{name} runs {program}"
                result = runner.invoke(app, [*args, "--help"])
                assert result.exit_code == 0, result.output
            ran.append(" ".join(command))
    assert "airflow db migrate" in ran
    assert "newsetl db upgrade" in ran
    for service in ("api-server", "scheduler", "dag-processor", "triggerer", "celery worker"):
        assert f"airflow {service}" in ran
    assert "newsetl crawl zaker" in ran


def test_crawlers_scale_and_share_the_frontier_apart_from_the_celery_broker(
    services: dict[str, dict[str, Any]],
) -> None:
    crawler = services["crawler"]
    assert "container_name" not in crawler and "ports" not in crawler  # --scale crawler=N
    assert crawler["restart"] == "no" and crawler["profiles"] == ["crawl"]  # not on `up -d`
    frontier_url = crawler["environment"]["NEWSETL_REDIS_URL"]
    frontier = parse_url(frontier_url)
    broker = parse_url(crawler["environment"]["AIRFLOW__CELERY__BROKER_URL"])
    assert frontier["host"] == broker["host"] == "redis"
    assert frontier["db"] != broker["db"]
    # the scheduled crawls (Celery workers) join the same frontier
    assert services["airflow-worker"]["environment"]["NEWSETL_REDIS_URL"] == frontier_url
    assert crawler["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}


def test_build_context_dockerfile_and_volumes_exist(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    named = set(compose["volumes"])
    for name, service in services.items():
        if "build" in service:
            context = REPO / service["build"]["context"]
            assert context.is_dir()
            assert (context / service["build"]["dockerfile"]).is_file()
        else:
            image, _, tag = service["image"].partition(":")
            assert image and tag and tag != "latest", f"{name}: pin the image's tag"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name}: {source} is not in the repository"
            else:
                assert source in named, f"{name}: volume {source} is not declared"


def test_the_dockerfile_builds_on_the_pinned_airflow_and_installs_the_lock() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    lock = (REPO / "requirements.lock").read_text(encoding="utf-8")
    airflow = re.search(r"^apache-airflow==(\S+)$", lock, re.MULTILINE)
    assert airflow is not None
    assert re.search(
        rf"^FROM apache/airflow:{re.escape(airflow[1])}-python3\.11$", dockerfile, re.M
    )
    assert "COPY --chown=airflow:root docker/requirements.lock /opt/newsetl/" in dockerfile
    assert "pip install --no-cache-dir -r /opt/newsetl/requirements.lock" in dockerfile
    assert "pip install --no-cache-dir --no-deps /opt/newsetl" in dockerfile
    for source in re.findall(r"^COPY (?:--\S+ )*(\S+) ", dockerfile, re.MULTILINE):
        assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def test_every_variable_is_one_airflow_or_newsetl_reads(
    services: dict[str, dict[str, Any]],
) -> None:
    code = project_code()
    options = conf.configuration_description
    for name in AIRFLOW_SERVICES:
        for variable, value in services[name]["environment"].items():
            if variable.startswith("AIRFLOW__"):
                section, key = variable.removeprefix("AIRFLOW__").lower().split("__")
                assert key in options[section]["options"], f"no Airflow option {variable}"
                if PYTHON_PATH.match(str(value)):
                    import_string(str(value))
            elif variable.startswith("AIRFLOW_CONN_"):
                conn_id = variable.removeprefix("AIRFLOW_CONN_").lower()
                assert f'"{conn_id}"' in code, f"no DAG reads the connection {conn_id}"
            elif variable in IMAGE_VARIABLES:
                continue
            else:
                assert variable.startswith("NEWSETL_") and f'"{variable}"' in code, variable


def test_every_substitution_has_a_default() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    substitutions = SUBSTITUTION.findall(text)
    assert substitutions
    for variable, default in substitutions:
        assert default.startswith(":-"), f"${{{variable}}} has no default"


def test_the_warehouse_has_its_own_database_and_role_on_the_metadata_server(
    services: dict[str, dict[str, Any]],
) -> None:
    environment = services["airflow-worker"]["environment"]
    warehouse = make_url(with_defaults(environment["NEWSETL_DATABASE_URL"]))
    connection = make_url(with_defaults(environment["AIRFLOW_CONN_NEWSETL_WAREHOUSE"]))
    metadata = make_url(with_defaults(environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
    server = services["postgres"]["environment"]
    assert warehouse == connection
    assert warehouse.host == metadata.host == "postgres"
    assert metadata.database == server["POSTGRES_DB"] != warehouse.database
    # the server's superuser (POSTGRES_USER) owns Airflow's database; not the warehouse
    assert warehouse.username == server["NEWSETL_DB_USER"] != server["POSTGRES_USER"]
    assert warehouse.password == with_defaults(server["NEWSETL_DB_PASSWORD"])
    (init,) = (REPO / "docker" / "postgres").glob("*")
    script = init.read_text(encoding="utf-8")
    assert 'role="$NEWSETL_DB_USER"' in script and 'password="$NEWSETL_DB_PASSWORD"' in script
    assert "CREATE ROLE :\"role\" LOGIN PASSWORD :'password';" in script
    assert f'CREATE DATABASE {warehouse.database} OWNER :"role";' in script
    assert os.access(init, os.X_OK)


def test_airflow_services_have_health_checks_with_a_start_period_as_the_reference_file(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in AIRFLOW_SERVICES - ONE_SHOT:
        check = services[name]["healthcheck"]
        assert check["start_period"] and check["interval"] and check["retries"], name
        test = " ".join(check["test"])
        assert test.startswith(("CMD ", "CMD-SHELL ")), name
    jobs = {"airflow-dag-processor": "DagProcessorJob", "airflow-triggerer": "TriggererJob"}
    for name, job in jobs.items():
        command = shlex.split(services[name]["healthcheck"]["test"][1])
        assert command[:3] == ["airflow", "jobs", "check"] and job in command, name
        get_parser().parse_args(command[1:])
    worker = services["airflow-worker"]
    ping = worker["healthcheck"]["test"][1]
    app = re.search(r"--app (\S+) inspect ping", ping)
    assert app is not None
    import_string(app[1])
    # warm shutdown: dumb-init signals the worker's main process only
    assert worker["environment"]["DUMB_INIT_SETSID"] == "0"


def test_the_image_installs_no_test_or_lint_tools() -> None:
    """docker/requirements.lock is the project's lock without the `dev` extra."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

    def pins(path: Path) -> dict[str, str]:
        text = path.read_text(encoding="utf-8")
        return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.MULTILINE))

    image, project = pins(REPO / "docker" / "requirements.lock"), pins(REPO / "requirements.lock")
    dev = {
        re.split(r"[=<>\[]", spec)[0]
        for spec in pyproject["project"]["optional-dependencies"]["dev"]
    }
    assert dev and not dev & set(image)
    assert {name: project[name] for name in image} == image
    assert "apache-airflow" in image and "newsetl" not in image


@pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="Debian's docker-compose is not installed (apt-get install docker-compose)",
)
def test_docker_compose_validates_the_file() -> None:
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
