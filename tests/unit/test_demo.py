"""The demo generator: synthetic raw rows in the BigQuery table's schema, deterministic and realistic."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from pepy.domain.model import ProjectName
from pepy.infrastructure.files.demo import write_demo_rows
from pepy.infrastructure.files.source import FilesSource
from tests.integration.test_files_source import assert_breakdowns_sum_to_totals

pytestmark = pytest.mark.timeout(30)

FRIDAY, SATURDAY = date(2026, 11, 20), date(2026, 11, 21)
BIGQUERY_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC")


def load(path: Path) -> list[dict]:
    with gzip.open(path, "rt") as lines:
        return [json.loads(line) for line in lines]


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    first = write_demo_rows(tmp_path / "a", [FRIDAY, SATURDAY], seed=7, scale=0.05)
    again = write_demo_rows(tmp_path / "b", [FRIDAY, SATURDAY], seed=7, scale=0.05)
    other = write_demo_rows(tmp_path / "c", [FRIDAY], seed=8, scale=0.05)

    assert [p.name for p in first] == ["file_downloads-2026-11-20.ndjson.gz", "file_downloads-2026-11-21.ndjson.gz"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert load(other[0]) != load(first[0])


@pytest.fixture(scope="module")
def full_scale_days(tmp_path_factory) -> dict[date, list[dict]]:
    paths = write_demo_rows(tmp_path_factory.mktemp("demo"), [FRIDAY, SATURDAY])
    return {day: load(path) for day, path in zip([FRIDAY, SATURDAY], paths, strict=True)}


def test_a_day_at_full_scale_holds_tens_of_thousands_of_rows_within_the_day(full_scale_days):
    for day, rows in full_scale_days.items():
        assert 30_000 <= len(rows) <= 60_000
        assert all(BIGQUERY_TIMESTAMP.fullmatch(row["timestamp"]) for row in rows)
        instants = [datetime.fromisoformat(row["timestamp"].removesuffix(" UTC")) for row in rows]
        assert datetime.combine(day, datetime.min.time()) <= min(instants)
        assert max(instants) < datetime.combine(day + timedelta(days=1), datetime.min.time())
    assert len(full_scale_days[SATURDAY]) < len(full_scale_days[FRIDAY])


def test_the_rows_have_the_mix_of_the_real_table(full_scale_days):
    rows = full_scale_days[FRIDAY]
    details = [row["details"] for row in rows]
    installers = Counter(d["installer"] and d["installer"]["name"] for d in details)
    pythons = {d["python"] for d in details}
    requests_versions = {row["file"]["version"] for row in rows if row["project"] == "requests"}

    downloads = Counter(row["file"]["project"] for row in rows)
    assert {"requests", "numpy", "boto3", "urllib3", "flask", "django", "pandas"} <= set(downloads)
    assert len(downloads) >= 200 and downloads.most_common(1)[0][1] > 100 * min(downloads.values())
    assert {"2.9.0", "2.10.0", "2.33.0rc2"} <= requests_versions
    assert set(installers) == {
        "pip", "uv", "poetry", "pdm", "bandersnatch", "devpi", "Artifactory", "z3c.pypimirror", "Browser",
        "requests", "setuptools", None,
    }  # fmt: skip
    assert installers["pip"] > len(rows) / 2
    assert {None, "abc", "3.12.1rc1"} <= pythons and {f"3.{minor}.4" for minor in range(8, 14)} <= pythons
    assert {d["system"] and d["system"]["name"] for d in details} == {"Linux", "Windows", "Darwin", "FreeBSD", None}
    assert {d["ci"] for d in details} == {True, False, None}
    assert None in {row["country_code"] for row in rows} and "US" in {row["country_code"] for row in rows}
    assert Counter(row["file"]["type"] for row in rows).most_common()[0][0] == "bdist_wheel"
    assert {row["file"]["type"] for row in rows} == {"bdist_wheel", "sdist"}


def test_the_top_level_project_is_mostly_normalised_as_bigquery_has_it(full_scale_days):
    rows = full_scale_days[FRIDAY]
    foo_bar = [row for row in rows if row["file"]["project"] == "Foo.Bar"]

    assert {row["project"] for row in foo_bar} == {"foo-bar", "Foo.Bar"}
    assert sum(row["project"] == "foo-bar" for row in foo_bar) > sum(row["project"] == "Foo.Bar" for row in foo_bar)
    assert all(ProjectName(row["project"]).value == ProjectName(row["file"]["project"]).value for row in rows)


def test_the_demo_rows_import_through_the_files_source(tmp_path):
    write_demo_rows(tmp_path, [FRIDAY], seed=3, scale=0.1)

    rows = list(FilesSource(str(tmp_path)).read_day(FRIDAY).rows)

    assert_breakdowns_sum_to_totals(rows)
    projects = {row.project for row in rows}
    assert {"foo-bar", "requests", "typing-extensions"} <= projects
    assert all(ProjectName(p).value == p for p in projects)
    mirrors = {row.category: row for row in rows if row.breakdown == "installer" and row.project == "boto3"}
    assert mirrors["bandersnatch"].non_mirror_downloads == 0 and mirrors[None].non_mirror_downloads > 0
    assert sum(row.pip_downloads for row in rows if row.breakdown == "version") == sum(
        row.downloads for row in rows if row.breakdown == "installer" and row.category == "pip"
    )
