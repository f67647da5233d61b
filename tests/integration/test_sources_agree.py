"""Both sources compute the same aggregates with the same semantics: a cross-check on the same raw rows.

The BigQuery path runs the real google-cloud-bigquery client against the local REST fake, which executes the
SQL the client sent over the raw rows; the files path reads the same rows from NDJSON with DuckDB.
"""

from __future__ import annotations

import gzip
import json
from datetime import date

from pepy.infrastructure.bigquery.source import BigQuerySource, make_client
from pepy.infrastructure.files.demo import write_demo_rows
from pepy.infrastructure.files.source import FilesSource
from tests.fake_bigquery import DEFAULT_TABLE, FakeBigQuery
from tests.raw_rows import raw, write_ndjson

DAY = date(2026, 11, 20)

EDGE_ROWS = [
    raw(at="2026-11-20 00:00:00.000000 UTC", project="foo-bar", installer="bandersnatch"),
    raw(at="2026-11-20 23:59:59.999999 UTC", project="Foo.Bar", installer=None, python=None),
    raw(at="2026-11-21 00:00:00.000000 UTC", project="foo-bar"),
    raw(at="2026-11-19 23:59:59.999999 UTC", project="foo-bar"),
    raw(project="foo_bar", installer="devpi", python="abc", system="FreeBSD"),
    raw(project="FOO-bar", installer="Artifactory", python="3.12.1rc1", country=None, ci=True),
    raw(project="foo-bar", installer="z3c.pypimirror", system=None, ci=False, version=None),
    raw(project="requests", installer="uv", python="2.7.18", file_type="sdist"),
]


def bigquery_rows(raw_rows: list[dict], page_size: int = 7) -> list[tuple]:
    with FakeBigQuery(raw_rows=raw_rows, page_size=page_size) as fake:
        source = BigQuerySource(make_client("test", fake.endpoint), DEFAULT_TABLE, 10**12, page_size=page_size)
        return sorted(source.read_day(DAY).rows, key=repr)


def files_rows(raw_rows: list[dict], folder) -> list[tuple]:
    path = write_ndjson(folder / "rows.ndjson", raw_rows)
    return sorted(FilesSource(str(path)).read_day(DAY).rows, key=repr)


def test_both_sources_agree_on_the_edge_cases(tmp_path):
    from_files = files_rows(EDGE_ROWS, tmp_path)
    assert from_files == bigquery_rows(EDGE_ROWS)
    versions = {(r.project, r.category): r[3:] for r in from_files if r.breakdown == "version"}
    # Five rows of foo-bar fall inside the day: four mirrors and a NULL installer, which is no mirror and no pip;
    # one of them (Artifactory's) ran in CI, and ci false or NULL is not CI.
    assert versions == {
        ("foo-bar", "1.0"): (4, 1, 0, 1),
        ("foo-bar", None): (1, 0, 0, 0),
        ("requests", "1.0"): (1, 1, 0, 0),
    }


def test_both_sources_agree_on_a_day_of_demo_data(tmp_path):
    (path,) = write_demo_rows(tmp_path, [DAY], seed=7, scale=0.2)
    with gzip.open(path, "rt") as lines:
        raw_rows = [json.loads(line) for line in lines]
    assert len(raw_rows) > 1000
    assert files_rows(raw_rows, tmp_path) == bigquery_rows(raw_rows, page_size=2000)
