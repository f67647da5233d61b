"""The files source over raw rows in the BigQuery table's schema: NDJSON, gzipped NDJSON and Parquet."""

from __future__ import annotations

import gzip
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pepy.domain.downloads import Breakdown, DayRow
from pepy.domain.errors import InvalidImport
from pepy.infrastructure.files.source import FilesSource
from tests.raw_rows import raw, write_ndjson

pytestmark = pytest.mark.timeout(30)

DAY = date(2026, 11, 20)


def write_parquet(path: Path, rows: list[dict], timestamp_type: pa.DataType) -> Path:
    """Rows as a Parquet file whose timestamp column has the given type (UTC instant, naive, or text)."""

    def timestamp(text: str):
        if timestamp_type == pa.string():
            return text
        instant = datetime.fromisoformat(text.removesuffix(" UTC")).replace(tzinfo=UTC)
        return instant if timestamp_type.tz else instant.replace(tzinfo=None)

    table = pa.Table.from_pylist([{**row, "timestamp": timestamp(row["timestamp"])} for row in rows])
    pq.write_table(
        table.set_column(0, pa.field("timestamp", timestamp_type), table.column(0).cast(timestamp_type)), path
    )
    return path


def read(path: Path | str, day: date = DAY, **kwargs) -> list[DayRow]:
    return list(FilesSource(str(path), **kwargs).read_day(day).rows)


def read_rows(folder: Path, rows: list[dict]) -> list[DayRow]:
    return read(write_ndjson(folder / "rows.ndjson", rows))


def answers(rows: list[DayRow]) -> dict[tuple[str, str], dict[str | None, tuple[int, int, int]]]:
    """{(project, breakdown): {category: (downloads, non_mirror_downloads, pip_downloads)}}."""
    result: dict = defaultdict(dict)
    for row in rows:
        assert (row.project, row.breakdown) not in result or row.category not in result[row.project, row.breakdown]
        result[row.project, row.breakdown][row.category] = (row.downloads, row.non_mirror_downloads, row.pip_downloads)
    return result


def assert_breakdowns_sum_to_totals(rows: list[DayRow]) -> None:
    by_project = answers(rows)
    for project in {p for p, _ in by_project}:
        total = [sum(counts[i] for counts in by_project[project, Breakdown.VERSION.value].values()) for i in range(3)]
        for breakdown in Breakdown:
            sums = [sum(counts[i] for counts in by_project[project, breakdown.value].values()) for i in range(3)]
            assert sums == total, (project, breakdown)


KNOWN_ROWS = [
    raw(project="Foo.Bar", version="2.9", installer="pip", python="3.12.1", system="Linux", country="US", ci=True),
    raw(
        project="foo_bar", version="2.10", installer="pip", python="3.12.1rc1", system="Windows", country="DE", ci=False
    ),
    raw(project="FOO-bar", version="2.10", installer="uv", python=None, system="Darwin", country=None, ci=None),
    raw(project="foo-bar", version="2.10", installer=None, python="abc", system="FreeBSD", file_type="sdist"),
    raw(project="foo-bar", version="2.10", installer="bandersnatch", python="3.8.10", system=None, ci=True),
    raw(project="foo-bar", version=None, installer="Artifactory", python="3", system="Linux"),
    raw(project="foo-bar", version="2.9", installer="devpi"),
    raw(project="foo-bar", version="2.9", installer="z3c.pypimirror"),
    raw(project="other", installer="pip", at="2026-11-20T08:00:00.5Z"),
]


def test_known_answers(tmp_path):
    # foo-bar: 8 rows; mirrors are bandersnatch, Artifactory, devpi, z3c.pypimirror; NULL is not a mirror.
    result = answers(read_rows(tmp_path, KNOWN_ROWS))

    assert set(result) == {(p, b.value) for p in ("foo-bar", "other") for b in Breakdown}
    assert result["foo-bar", "version"] == {"2.9": (3, 1, 1), "2.10": (4, 3, 1), None: (1, 0, 0)}
    assert result["foo-bar", "installer"] == {
        "pip": (2, 2, 2),
        "uv": (1, 1, 0),
        None: (1, 1, 0),
        "bandersnatch": (1, 0, 0),
        "Artifactory": (1, 0, 0),
        "devpi": (1, 0, 0),
        "z3c.pypimirror": (1, 0, 0),
    }
    assert result["foo-bar", "python_major"] == {"3": (6, 2, 2), None: (2, 2, 0)}
    assert result["foo-bar", "python_minor"] == {"3.12": (4, 2, 2), "3.8": (1, 0, 0), None: (3, 2, 0)}
    assert result["foo-bar", "system"] == {
        "Linux": (4, 1, 1),
        "Windows": (1, 1, 1),
        "Darwin": (1, 1, 0),
        "other": (1, 1, 0),
        None: (1, 0, 0),
    }
    assert result["foo-bar", "country"] == {"US": (6, 2, 1), "DE": (1, 1, 1), None: (1, 1, 0)}
    assert result["foo-bar", "ci"] == {"true": (2, 1, 1), "false": (1, 1, 1), None: (5, 2, 0)}
    assert result["foo-bar", "file_type"] == {"bdist_wheel": (7, 3, 2), "sdist": (1, 1, 0)}
    assert result["other", "version"] == {"1.0": (1, 1, 1)}


def test_ci_downloads_count_the_rows_whose_ci_is_true_in_every_breakdown(tmp_path):
    # foo-bar's CI rows: 2.9 by pip (US, Linux, Python 3.12) and 2.10 by bandersnatch (US, no system, Python 3.8);
    # ci false and ci NULL count as not CI.
    ci = defaultdict(dict)
    for row in read_rows(tmp_path, KNOWN_ROWS):
        ci[row.project, row.breakdown][row.category] = row.ci_downloads
    assert ci["foo-bar", "version"] == {"2.9": 1, "2.10": 1, None: 0}
    assert ci["foo-bar", "ci"] == {"true": 2, "false": 0, None: 0}
    assert ci["foo-bar", "country"] == {"US": 2, "DE": 0, None: 0}
    assert ci["foo-bar", "system"] == {"Linux": 1, "Windows": 0, "Darwin": 0, "other": 0, None: 1}
    assert ci["other", "version"] == {"1.0": 0}


def test_every_breakdown_sums_to_the_version_total(tmp_path):
    assert_breakdowns_sum_to_totals(read_rows(tmp_path, KNOWN_ROWS))


def test_a_project_without_any_installer_counts_zero_pip_downloads_not_null(tmp_path):
    result = answers(
        read_rows(tmp_path, [raw(project="lonely", installer=None), raw(project="lonely", installer=None)])
    )

    assert result["lonely", "version"] == {"1.0": (2, 2, 0)}
    assert all(isinstance(v, int) for counts in result.values() for c in counts.values() for v in c)


def test_the_day_is_half_open_in_utc_whatever_the_timestamp_text(tmp_path):
    rows = [
        raw(at="2026-11-19 23:59:59.999999 UTC", version="previous-day"),
        raw(at="2026-11-20 00:00:00.000000 UTC", version="first"),
        raw(at="2026-11-20T00:00:00Z", version="first"),
        raw(at="2026-11-20 12:00:00", version="noon"),
        raw(at="2026-11-20T12:00:00.123456+00:00", version="noon"),
        raw(at="2026-11-21T01:30:00+02:00", version="offset"),
        raw(at="2026-11-20T23:59:59.999999Z", version="last"),
        raw(at="2026-11-20 23:59:59.999999 UTC", version="last"),
        raw(at="2026-11-21 00:00:00 UTC", version="next-day"),
        raw(at="2026-11-20T22:30:00-01:30", version="next-day"),
    ]

    result = answers(read_rows(tmp_path, rows))

    assert {v: c[0] for v, c in result["demo", "version"].items()} == {"first": 2, "noon": 2, "offset": 1, "last": 2}


@pytest.mark.parametrize(
    "timestamp_type", [pa.timestamp("us", tz="UTC"), pa.timestamp("us"), pa.timestamp("ns", tz="UTC"), pa.string()]
)
def test_parquet_and_gzipped_ndjson_give_the_same_answer(tmp_path, timestamp_type):
    rows = [*KNOWN_ROWS, raw(at="2026-11-19 23:59:59.999999 UTC"), raw(at="2026-11-21 00:00:00 UTC")]
    expected = sorted(read_rows(tmp_path, rows), key=repr)

    gzipped = write_ndjson(tmp_path / "rows.json.gz", rows)
    parquet = write_parquet(tmp_path / "rows.parquet", rows, timestamp_type)

    assert sorted(read(gzipped), key=repr) == expected
    assert sorted(read(parquet), key=repr) == expected


def test_a_directory_or_a_glob_reads_every_supported_file_in_it(tmp_path):
    folder = tmp_path / "export"
    (folder / "part").mkdir(parents=True)
    write_ndjson(folder / "a.jsonl", KNOWN_ROWS[:3])
    write_ndjson(folder / "part" / "b.ndjson.gz", KNOWN_ROWS[3:6])
    write_parquet(folder / "part" / "c.parquet", KNOWN_ROWS[6:], pa.timestamp("us", tz="UTC"))
    (folder / "README.txt").write_text("not rows")
    expected = sorted(read_rows(tmp_path, KNOWN_ROWS), key=repr)

    assert sorted(read(folder), key=repr) == expected
    assert sorted(read(f"{folder}/**/[abc].*"), key=repr) == expected


def test_rows_stream_in_batches_and_nothing_is_billed(tmp_path):
    path = write_ndjson(tmp_path / "rows.ndjson", KNOWN_ROWS)

    export = FilesSource(str(path), batch_rows=1).read_day(DAY)

    assert export.bytes_billed == 0
    assert next(export.rows).project in {"foo-bar", "other"}
    assert len(list(export.rows)) == len(read(path)) - 1


def test_a_day_without_rows_gives_no_rows(tmp_path):
    assert read(write_ndjson(tmp_path / "rows.ndjson", KNOWN_ROWS), day=date(2026, 11, 22)) == []


def test_a_null_column_everywhere_keeps_its_type(tmp_path):
    rows = [raw(ci=None, python=None, country=None, installer=None, system=None) for _ in range(3)]

    result = answers(read_rows(tmp_path, rows))

    assert result["demo", "ci"] == {None: (3, 3, 0)} and result["demo", "system"] == {None: (3, 3, 0)}


def invalid(path: Path | str | None, day: date = DAY) -> str:
    """The message of the InvalidImport that read_day raises, before any row is read."""
    with pytest.raises(InvalidImport) as error:
        FilesSource(None if path is None else str(path)).read_day(day)
    return str(error.value)


def test_no_path_configured():
    assert "No downloads files are configured" in invalid(None)
    assert "No downloads files are configured" in invalid("")


def test_a_path_matching_no_files(tmp_path):
    assert f"match {tmp_path}/*.json" in invalid(tmp_path / "*.json")
    assert "match" in invalid(tmp_path)
    assert "match" in invalid(tmp_path / "missing.parquet")


def test_an_unsupported_file(tmp_path):
    (tmp_path / "rows.csv").write_text("timestamp,project\n")

    (tmp_path / "rows.parquet.gz").write_bytes(gzip.compress(b"PAR1"))

    assert "Unsupported downloads files" in invalid(tmp_path / "rows.csv")
    assert "Unsupported downloads files" in invalid(tmp_path / "rows.parquet.gz")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("rows.parquet", b"not parquet at all", "rows.parquet"),
        ("rows.json.gz", b"not gzip", "rows.json.gz"),
        ("rows.ndjson", b'{"timestamp": "2026-11-20 13:45:00 UTC", "project": "x"\n', "Malformed JSON"),
    ],
)
def test_an_unreadable_file(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)

    assert expected in invalid(tmp_path / name)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"details": "pip"}, 'Expected OBJECT, but got VARCHAR: "pip"'),
        ({"file": ["1.0"]}, "Expected OBJECT"),
        ({"details": {"ci": "maybe"}}, '"maybe"'),
        ({"timestamp": "yesterday"}, 'the timestamp "yesterday" in'),
        ({"timestamp": "2026-11-31 10:00:00 UTC"}, "2026-11-31"),
        ({"timestamp": None}, "1 rows have no timestamp, e.g. in"),
    ],
)
def test_a_file_with_the_wrong_schema(tmp_path, change, expected):
    path = write_ndjson(tmp_path / "rows.ndjson", [raw(), {**raw(), **change}])

    message = invalid(path)

    assert expected in message and str(path) in message


def test_a_bad_timestamp_on_another_day_is_still_refused(tmp_path):
    path = write_ndjson(tmp_path / "rows.ndjson", [raw(), raw(at="2026-11-19 25:00:00 UTC")])

    assert "2026-11-19 25:00:00" in invalid(path)


@pytest.mark.parametrize(
    ("project", "expected"),
    [(None, "2 rows of 2026-11-20 have no project"), ("", "2 rows of 2026-11-20 have an empty"), ("  ", "empty")],
)
def test_rows_without_a_project_are_refused(tmp_path, project, expected):
    path = write_ndjson(tmp_path / "rows.ndjson", [raw(), raw(project=project), raw(project=project)])

    message = invalid(path)

    assert expected in message and f"e.g. in {path}" in message


def test_a_missing_project_column_is_refused(tmp_path):
    row = raw()
    del row["project"]
    ndjson = write_ndjson(tmp_path / "rows.ndjson", [row])
    parquet = write_parquet(tmp_path / "rows.parquet", [row], pa.timestamp("us", tz="UTC"))

    assert "have no project (NULL or no `project` key)" in invalid(ndjson)
    assert "lack the column(s) project" in invalid(parquet)


def test_parquet_with_a_timestamp_of_another_type_is_refused(tmp_path):
    row = {**raw(), "timestamp": 1}
    pq.write_table(pa.Table.from_pylist([row]), tmp_path / "rows.parquet")

    assert "have a timestamp column of type BIGINT, not a TIMESTAMP" in invalid(tmp_path / "rows.parquet")


def test_parquet_with_details_of_the_wrong_type_is_refused(tmp_path):
    row = {**raw(), "details": "pip"}

    assert "have a details column of type VARCHAR, not a record" in invalid(
        write_parquet(tmp_path / "rows.parquet", [row], pa.timestamp("us", tz="UTC"))
    )
