"""The deployment files: the Compose file, the Dockerfile, .dockerignore and the Ansible vault, checked statically.

No Docker engine is needed: `docker compose config` (or docker-compose) validates the Compose file offline.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pepy.infrastructure.api.limits import client_address
from pepy.infrastructure.api.security_headers import DATA
from pepy.infrastructure.api.server import COMMAND
from pepy.infrastructure.settings import parse_networks

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments left out."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1]) for line in lines]


@functools.cache
def compose_command() -> tuple[str, ...]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return (docker, "compose")
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    pytest.fail(
        "Neither `docker compose` (the Compose plugin) nor `docker-compose` is installed, so docker-compose.yml "
        "cannot be validated; on Debian: apt-get install docker-compose"
    )


def test_compose_has_postgres_api_and_scheduler(compose):
    assert set(compose["services"]) == {"postgres", "api", "scheduler"}


def test_postgres_is_the_official_image_with_a_named_volume_and_a_health_check(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_the_api_migrates_then_serves_once_postgres_is_healthy(compose):
    api = compose["services"]["api"]
    command = " ".join(api["command"])
    assert command.index("pepy db upgrade") < command.index("pepy serve --host 0.0.0.0 --port 8080")
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/health-check" in " ".join(api["healthcheck"]["test"])
    assert api["environment"]["PEPY_ENV"] == "production"


def test_the_scheduler_runs_the_daily_import_at_17_utc_after_the_migrations(compose):
    scheduler = compose["services"]["scheduler"]
    assert "pepy import daily" in scheduler["command"][-1]
    assert scheduler["environment"]["PEPY_DAILY_AT"] == "17:00"
    assert scheduler["environment"]["PEPY_ENV"] == "production"
    assert scheduler["depends_on"]["api"]["condition"] == "service_healthy"


def test_bigquery_credentials_are_a_secret_mounted_at_run_time(compose):
    scheduler = compose["services"]["scheduler"]
    assert scheduler["secrets"] == ["bigquery_credentials"]
    assert scheduler["environment"]["GOOGLE_APPLICATION_CREDENTIALS"] == "/run/secrets/bigquery_credentials"
    assert "file" in compose["secrets"]["bigquery_credentials"]
    assert "GOOGLE_APPLICATION_CREDENTIALS" not in DOCKERFILE.read_text()


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    """`compose config --quiet` over the repository's file, in the given environment."""
    return subprocess.run(
        [*compose_command(), "--file", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_config_validates():
    result = compose_config({**os.environ, "POSTGRES_PASSWORD": "validation-only"})
    assert result.returncode == 0, result.stderr


def test_compose_config_refuses_to_run_without_a_database_password():
    result = compose_config({k: v for k, v in os.environ.items() if k != "POSTGRES_PASSWORD"})
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_the_scheduler_loop_runs_the_command_at_the_given_time_and_waits_for_the_next_day(compose, tmp_path):
    fake = tmp_path / "pepy"
    fake.write_text('#!/bin/sh\necho "ran: pepy $*"\nexit 75\n')
    fake.chmod(0o755)
    script = compose["services"]["scheduler"]["command"][-1].replace("$$", "$")
    soon = datetime.now(UTC) + timedelta(seconds=2)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "PEPY_DAILY_AT": f"{soon:%H:%M:%S}"}
    loop = subprocess.Popen(["sh", "-c", script], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        lines = [loop.stdout.readline().strip() for _ in range(4)]
    finally:
        os.killpg(loop.pid, signal.SIGTERM)
        loop.wait(timeout=10)
    assert lines[0] == f"next daily import at {soon:%Y-%m-%dT%H:%M:%S}Z"
    assert lines[1] == "ran: pepy import daily"
    assert lines[2] == "the daily import exited with status 75"
    assert lines[3] == f"next daily import at {soon + timedelta(days=1):%Y-%m-%dT%H:%M:%S}Z"


def test_the_dockerfile_is_multi_stage_and_runs_as_a_user_that_is_not_root():
    instructions = dockerfile_instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert len(stages) >= 2
    users = [args for name, args in instructions if name == "USER"]
    assert users, "the image must set a USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(name == "COPY" and args.startswith("--from=") for name, args in instructions)


def test_the_final_stage_installs_no_compiler_and_no_package_but_a_font():
    instructions = dockerfile_instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    final = " ".join(args for name, args in instructions[last_from:] if name == "RUN")
    for tool in ("gcc", "build-essential", "g++", "clang", "pip install"):
        assert tool not in final
    # PNG charts need a font on the system; nothing else comes from apt, and nothing it merely recommends.
    installs = re.findall(r"apt-get install ((?:-\S+ )*)([^&]+)", final)
    assert [packages.split() for _, packages in installs] == [["fonts-dejavu-core"]]
    assert all("--no-install-recommends" in options for options, _ in installs)


def test_the_dockerfile_installs_the_pinned_requirements():
    assert any(name == "RUN" and "-r /src/requirements.txt" in args for name, args in dockerfile_instructions()), (
        "the image must install requirements.txt"
    )


def test_dockerignore_starts_from_everything_and_allows_back_what_the_build_copies():
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = set()
    for name, args in dockerfile_instructions():
        if name == "COPY" and not args.startswith("--from="):
            copied.update(Path(source).parts[0] for source in args.split()[:-1])
    assert copied <= allowed, f"copied but ignored: {copied - allowed}"


def test_every_file_the_site_serves_is_package_data_so_that_a_built_release_has_it():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = ROOT / "pepy" / "infrastructure" / "api"
    served = [f for folder in ("templates", "static") for f in (package / folder).iterdir()]
    assert len(served) >= 8
    packaged = {f for pattern in globs["pepy.infrastructure.api"] for f in package.glob(pattern)}
    assert set(served) <= packaged, set(served) - packaged


def test_the_example_vault_is_encrypted():
    vault = ROOT / "ansible" / "inventory" / "example" / "group_vars" / "pepy" / "vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256\n")


def test_the_api_behind_nginx_trusts_only_the_local_proxy_for_client_addresses():
    variables = yaml.safe_load((ROOT / "ansible" / "group_vars" / "all" / "main.yml").read_text())
    assert variables["pepy_bind"].startswith("127.0.0.1:")
    trusted = parse_networks(variables["pepy_environment"]["PEPY_TRUSTED_PROXIES"])
    assert trusted == parse_networks("127.0.0.1/32,::1/128")
    assert client_address("127.0.0.1", "203.0.113.9", trusted) == "203.0.113.9"


def test_nginx_refuses_with_the_security_headers_the_api_gives_its_json():
    template = (ROOT / "ansible" / "roles" / "nginx" / "templates" / "pepy.conf.j2").read_text()
    refusal = template.split("location @too_many_requests {")[1].split("}")[0]
    added = set(re.findall(r'add_header ([\w-]+) "?([^"\n]*?)"? always;', refusal))
    # nginx sends its own Server (`nginx`, without a version: server_tokens off), which add_header cannot replace.
    assert {header for header in DATA if header[0] != "Server"} <= added


def load_server_settings(code: str, **env: str) -> subprocess.CompletedProcess:
    """Build the API's server from the environment given, in a process of its own, then run `code` with it as
    `server`; with no code, start the server module as production does."""
    # Building it configures the process's logging, which would close pytest's own handlers here.
    build = "import os\nfrom pepy.infrastructure.api.server import build_server\nserver = build_server(os.environ)\n"
    command = [sys.executable, "-c", build + code] if code else COMMAND
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def server_settings(code: str, **env: str) -> str:
    """What `code` prints about the server built from the environment given."""
    loaded = load_server_settings(code, **env)
    assert loaded.returncode == 0, loaded.stderr
    return loaded.stdout.strip()


def test_the_server_recycles_workers_rarely_and_as_configured():
    lifetime = "print(server.workers_lifetime, server.workers_kill_timeout)"
    assert server_settings(lifetime) == "3600 20"
    assert server_settings(lifetime, PEPY_WORKER_LIFETIME="0") == "None 20"
    assert server_settings(lifetime, PEPY_WORKER_LIFETIME="60") == "60 20"
    counts = "print(server.workers, server.blocking_threads)"
    assert server_settings(counts) == f"{max(2, os.cpu_count())} 2"
    assert server_settings(counts, PEPY_WORKERS="3", PEPY_THREADS=" 2 ") == "3 2"


def test_each_worker_runs_granians_single_threaded_runtime():
    # Measured faster than granian's default for WSGI, its multi-threaded runtime (README, Performance).
    assert server_settings("print(server.runtime_mode.value)") == "st"


def test_the_server_binds_where_told_and_reads_request_heads_up_to_64_kib():
    bound = "print(server.bind_addr, server.bind_port, server.http1_settings.max_buffer_size)"
    assert server_settings(bound) == "127.0.0.1 8080 65536"
    assert server_settings(bound, PEPY_BIND="0.0.0.0:9000") == "0.0.0.0 9000 65536"
    assert server_settings(bound, PEPY_BIND="[::1]:8081") == "::1 8081 65536"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PEPY_WORKERS", "abc", "PEPY_WORKERS must be a whole number, not 'abc'"),
        ("PEPY_WORKERS", "0", "PEPY_WORKERS must be at least 1, not 0"),
        ("PEPY_THREADS", "-4", "PEPY_THREADS must be at least 1, not -4"),
        ("PEPY_WORKER_LIFETIME", "1e5", "PEPY_WORKER_LIFETIME must be a whole number, not '1e5'"),
        ("PEPY_WORKER_LIFETIME", "30", "PEPY_WORKER_LIFETIME must be 0 (never) or at least 60 seconds, not 30"),
        ("PEPY_BIND", "localhost", "PEPY_BIND must be host:port, as 127.0.0.1:8080, not 'localhost'"),
        ("PEPY_BIND", "127.0.0.1:http", "PEPY_BIND must be host:port, as 127.0.0.1:8080, not '127.0.0.1:http'"),
    ],
)
def test_a_mistyped_server_setting_stops_start_up_with_a_message_naming_it(variable, value, message):
    loaded = load_server_settings("", **{variable: value})
    assert loaded.returncode == 1
    assert loaded.stderr.strip() == message
