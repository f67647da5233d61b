"""Every JSON endpoint through the real app, against data imported from raw rows with known answers."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.api_support import (
    ADMIN_SECRET,
    LAST_DAY_DOWNLOADS,
    LAST_DAY_WITHOUT_MIRRORS,
    LAST_MONTH,
    LAST_MONTH_WITHOUT_MIRRORS,
    LAST_WEEK,
    LAST_WEEK_WITHOUT_MIRRORS,
    READ_SECRET,
    RECENT,
    TOTAL,
)

pytestmark = pytest.mark.timeout(60)


def ok(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def error(client, url, status, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"} and body["error"] == status
    return body["message"]


# pepy.tech ------------------------------------------------------------------------------------------------


def test_v2_is_the_window_per_version_with_pep440_order(api_client):
    body = ok(api_client, "/api/v2/projects/Demo_Pkg").get_json()

    assert body["id"] == "demo-pkg" and body["total_downloads"] == TOTAL
    assert body["versions"] == ["1.0", "2.9.0", "2.10.0", "3.0.0rc1"]
    # The window opens on 2026-08-01 (the first of the month 90 days before 2026-11-21): 2026-05-24 is out.
    assert body["downloads"] == {
        "2026-08-01": {"1.0": 30},
        "2026-10-21": {"2.10.0": 20},
        "2026-10-22": {"2.10.0": 10},
        "2026-11-13": {"2.9.0": 8},
        "2026-11-14": {"2.9.0": 2},
        "2026-11-19": {"2.10.0": 4, "3.0.0rc1": 1},
        "2026-11-20": {"2.10.0": 7, "2.9.0": 3, "1.0": 1},
    }


@pytest.mark.parametrize("path", ["/api/projects/DEMO.pkg", "/api/v1/projects/demo-pkg"])
def test_v1_is_day_totals_of_the_last_30_days(api_client, path):
    assert ok(api_client, path).get_json() == {
        "id": "demo-pkg",
        "total_downloads": TOTAL,
        "downloads": {"2026-10-22": 10, "2026-11-13": 8, "2026-11-14": 2, "2026-11-19": 5, "2026-11-20": 11},
    }


@pytest.mark.parametrize("path", ["/api/v1/projects/nothing-here", "/api/projects/nothing-here"])
def test_v1_unknown_project(api_client, path):
    assert error(api_client, path, 404) == "Project with name nothing-here does not exist"


def test_admin_refuses_before_it_looks_the_project_up(api_client):
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": ADMIN_SECRET + " "}, {"X-API-Key": "ß"}):
        for name in ("demo-pkg", "nothing-here", "-invalid-"):
            response = api_client.get(f"/api/v1/admin/projects/{name}", headers=headers)
            assert response.status_code == 401
            assert response.get_json()["message"].startswith("A valid X-API-Key header is required")
            assert "X-API-Key" in response.headers["Vary"]


def test_admin_answers_every_stored_day_with_the_key(api_client):
    response = ok(api_client, "/api/v1/admin/projects/demo-pkg", headers={"X-API-Key": ADMIN_SECRET})

    body = response.get_json()
    assert body["downloads"]["2026-05-24"] == {"1.0": 40}
    assert sum(sum(day.values()) for day in body["downloads"].values()) == TOTAL
    assert "X-API-Key" in response.headers["Vary"]
    assert response.headers["Cache-Control"].startswith("private")
    missing = api_client.get("/api/v1/admin/projects/nothing-here", headers={"X-API-Key": ADMIN_SECRET})
    assert missing.status_code == 404 and "X-API-Key" in missing.headers["Vary"]


def test_admin_refuses_a_key_without_the_admin_scope_before_it_looks_the_project_up(api_client):
    for name in ("demo-pkg", "nothing-here"):
        response = api_client.get(f"/api/v1/admin/projects/{name}", headers={"X-API-Key": READ_SECRET})
        assert response.status_code == 403
        assert response.get_json() == {"error": 403, "message": "This key lacks the admin scope"}


# pypistats.org --------------------------------------------------------------------------------------------


def test_recent_counts_without_mirrors(api_client):
    assert ok(api_client, "/api/packages/demo-pkg/recent").get_json() == RECENT
    assert ok(api_client, "/api/packages/Demo.Pkg/recent?period=week").get_json()["data"] == {
        "last_week": LAST_WEEK_WITHOUT_MIRRORS
    }


def test_overall_has_both_categories_over_180_days(api_client):
    body = ok(api_client, "/api/packages/demo-pkg/overall").get_json()

    assert body["type"] == "overall_downloads" and body["package"] == "demo-pkg"
    rows = {(r["date"], r["category"]): r["downloads"] for r in body["data"]}
    # 2026-05-24 is 181 days before the last imported day: outside the window.
    assert "2026-05-24" not in {date for date, _ in rows}
    assert rows["2026-11-20", "with_mirrors"] == LAST_DAY_DOWNLOADS
    assert rows["2026-11-20", "without_mirrors"] == LAST_DAY_WITHOUT_MIRRORS
    assert rows["2026-11-13", "without_mirrors"] == 7
    only = ok(api_client, "/api/packages/demo-pkg/overall?mirrors=false").get_json()["data"]
    assert {r["category"] for r in only} == {"without_mirrors"}
    assert sum(r["downloads"] for r in only) == 123 - 40


def test_overall_gives_each_day_with_mirrors_then_without_as_pypistats_does(api_client):
    answer = ok(api_client, "/api/packages/demo-pkg/overall?start_date=2026-11-13&end_date=2026-11-14")

    assert answer.data.endswith(b"}\n") and answer.mimetype == "application/json"
    assert answer.get_json() == {
        "data": [
            {"category": "with_mirrors", "date": "2026-11-13", "downloads": 8},
            {"category": "without_mirrors", "date": "2026-11-13", "downloads": 7},
            {"category": "with_mirrors", "date": "2026-11-14", "downloads": 2},
            {"category": "without_mirrors", "date": "2026-11-14", "downloads": 2},
        ],
        "package": "demo-pkg",
        "type": "overall_downloads",
    }
    quiet = ok(api_client, "/api/packages/demo-pkg/overall?start_date=2026-11-15&end_date=2026-11-18")
    assert quiet.get_json() == {"data": [], "package": "demo-pkg", "type": "overall_downloads"}


def test_dates_filter_on_the_server_and_can_reach_past_180_days(api_client):
    url = "/api/packages/demo-pkg/overall?mirrors=true&start_date=2026-05-01&end_date=2026-08-01"
    assert ok(api_client, url).get_json()["data"] == [
        {"category": "with_mirrors", "date": "2026-05-24", "downloads": 40},
        {"category": "with_mirrors", "date": "2026-08-01", "downloads": 30},
    ]


def test_python_minor_and_major_count_without_mirrors_with_a_null_category(api_client):
    minor = ok(api_client, "/api/packages/demo-pkg/python_minor").get_json()
    assert minor["type"] == "python_minor_downloads"
    last_day = {r["category"]: r["downloads"] for r in minor["data"] if r["date"] == "2026-11-20"}
    assert last_day == {"3.12": 5, "3.11": 3, "null": 1}
    major = ok(api_client, "/api/packages/demo-pkg/python_major?version=2").get_json()
    assert major["data"] == [{"category": "2", "date": "2026-11-14", "downloads": 2}]
    unknown = ok(api_client, "/api/packages/demo-pkg/python_major?version=null").get_json()
    assert unknown["data"] == [{"category": "null", "date": "2026-11-20", "downloads": 1}]


def test_system_matches_categories_whatever_their_case(api_client):
    body = ok(api_client, "/api/packages/demo-pkg/system?os=windows").get_json()
    assert body["type"] == "system_downloads"
    assert body["data"] == [
        {"category": "Windows", "date": "2026-11-14", "downloads": 2},
        {"category": "Windows", "date": "2026-11-20", "downloads": 3},
    ]


@pytest.mark.parametrize("endpoint", ["recent", "overall", "python_major", "python_minor", "system"])
def test_pypistats_unknown_package_is_404_everywhere(api_client, endpoint):
    error(api_client, f"/api/packages/nothing-here/{endpoint}", 404)


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/packages/demo-pkg/recent?period=year", "period"),
        ("/api/packages/demo-pkg/overall?mirrors=maybe", "mirrors"),
        ("/api/packages/demo-pkg/overall?start_date=2026-13-01", "start_date"),
        ("/api/packages/demo-pkg/system?end_date=20261120", "end_date"),
        ("/api/packages/demo-pkg/system?start_date=2026-11-20&end_date=2026-11-01", "end_date"),
        ("/api/packages/demo-pkg/system?os=" + "x" * 101, "os"),
        ("/api/packages/demo-pkg/python_major?version=" + "3" * 101, "version"),
        ("/api/packages/demo-pkg/python_minor?version=" + "9" * 300, "version"),
    ],
)
def test_pypistats_invalid_parameters_are_named(api_client, url, parameter):
    assert error(api_client, url, 400).startswith(f"{parameter}:")


# /api/v3 --------------------------------------------------------------------------------------------------


def series(client, query: str = "", **kwargs):
    return ok(client, f"/api/v3/projects/demo-pkg/downloads{query}", **kwargs)


def test_series_defaults_to_the_last_30_days_by_day(api_client):
    body = series(api_client).get_json()

    assert (body["start"], body["end"], body["granularity"]) == ("2026-10-22", "2026-11-20", "day")
    assert len(body["data"]) == 30
    assert sum(p["downloads"] for p in body["data"]) == LAST_MONTH
    assert body["data"][-1] == {
        "period": "2026-11-20",
        "start": "2026-11-20",
        "end": "2026-11-20",
        "partial": False,
        "downloads": LAST_DAY_DOWNLOADS,
    }


def test_series_weeks_are_iso_weeks_with_partial_ends(api_client):
    body = series(api_client, "?start=2026-10-21&end=2026-11-20&granularity=week").get_json()

    points = [(p["period"], p["start"], p["end"], p["partial"], p["downloads"]) for p in body["data"]]
    assert points == [
        ("2026-W43", "2026-10-21", "2026-10-25", True, 30),
        ("2026-W44", "2026-10-26", "2026-11-01", False, 0),
        ("2026-W45", "2026-11-02", "2026-11-08", False, 0),
        ("2026-W46", "2026-11-09", "2026-11-15", False, 10),
        ("2026-W47", "2026-11-16", "2026-11-20", True, 16),
    ]


def test_series_months_over_a_long_range(api_client):
    body = series(api_client, "?start=2026-05-01&end=2026-11-21&granularity=month&mirrors=false").get_json()

    assert [(p["period"], p["partial"], p["downloads"]) for p in body["data"]] == [
        ("2026-05", False, 40),
        ("2026-06", False, 0),
        ("2026-07", False, 0),
        ("2026-08", False, 30),
        ("2026-09", False, 0),
        ("2026-10", False, 30),
        ("2026-11", True, 23),
    ]


def test_series_by_version_filtered_by_pep440_specifiers(api_client):
    body = series(api_client, "?start=2026-11-19&end=2026-11-20&breakdown=version&versions=>=2,<3").get_json()
    assert [p["categories"] for p in body["data"]] == [{"2.10.0": 4}, {"2.10.0": 7, "2.9.0": 3}]

    wildcard = series(api_client, "?start=2026-11-19&end=2026-11-20&versions=2.9.*").get_json()
    assert [p["downloads"] for p in wildcard["data"]] == [0, 3]
    assert "categories" not in wildcard["data"][0]
    prerelease = series(api_client, "?start=2026-11-19&end=2026-11-20&versions=3.*&breakdown=version").get_json()
    assert prerelease["data"][0]["categories"] == {"3.0.0rc1": 1}


@pytest.mark.parametrize(
    ("breakdown", "expected"),
    [
        ("python_minor", {"3.12": 7, "3.11": 3, "null": 1}),
        ("system", {"Linux": 7, "Windows": 3, "Darwin": 1}),
        ("installer", {"pip": 8, "bandersnatch": 2, "uv": 1}),
        ("mirrors", {"mirror": 2, "non_mirror": 9}),
    ],
)
def test_series_by_breakdown(api_client, breakdown, expected):
    body = series(api_client, f"?start=2026-11-20&breakdown={breakdown}").get_json()
    assert body["data"][0]["categories"] == expected
    assert body["data"][0]["downloads"] == LAST_DAY_DOWNLOADS


def test_series_as_csv_by_parameter_or_accept_header(api_client):
    by_parameter = series(api_client, "?start=2026-11-19&breakdown=python_minor&format=csv")
    by_header = series(api_client, "?start=2026-11-19&breakdown=python_minor", headers={"Accept": "text/csv"})

    for response in (by_parameter, by_header):
        assert response.mimetype == "text/csv"
        assert "Accept" in response.headers["Vary"]
    assert by_parameter.data == by_header.data
    rows = list(csv.DictReader(io.StringIO(by_parameter.get_data(as_text=True))))
    assert rows[0] == {
        "period": "2026-11-19",
        "start": "2026-11-19",
        "end": "2026-11-19",
        "partial": "false",
        "category": "3.12",
        "downloads": "4",
    }
    assert {r["category"]: r["downloads"] for r in rows if r["period"] == "2026-11-20"}["null"] == "1"
    assert (
        by_parameter.headers["ETag"] != series(api_client, "?start=2026-11-19&breakdown=python_minor").headers["ETag"]
    )


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?granularity=year", "granularity"),
        ("?breakdown=colour", "breakdown"),
        ("?start=2020-01-01&end=2026-11-20", "end"),
        ("?start=2026-11-20&end=2026-11-01", "end"),
        ("?start=2015-01-01", "start"),
        ("?end=2026-11-22", "end"),
        ("?start=yesterday", "start"),
        ("?versions=>=>2", "versions"),
        ("?versions=,", "versions"),
        ("?versions=2&breakdown=system", "versions"),
        ("?mirrors=false&breakdown=mirrors", "mirrors"),
        ("?format=xml", "format"),
    ],
)
def test_series_invalid_parameters_are_named(api_client, query, parameter):
    message = error(api_client, f"/api/v3/projects/demo-pkg/downloads{query}", 400)
    assert message.startswith(f"{parameter}:")


def test_series_cap_is_stated(api_client):
    message = error(api_client, "/api/v3/projects/demo-pkg/downloads?start=2020-01-01&end=2026-01-01", 400)
    assert "at most 1098 are allowed" in message


def test_summary(api_client):
    assert ok(api_client, "/api/v3/projects/Demo.Pkg").get_json() == {
        "project": "demo-pkg",
        "total_downloads": TOTAL,
        "first_day": "2026-05-24",
        "last_day": "2026-11-20",
        "downloads": {
            "last_day": {"with_mirrors": LAST_DAY_DOWNLOADS, "without_mirrors": LAST_DAY_WITHOUT_MIRRORS},
            "last_week": {"with_mirrors": LAST_WEEK, "without_mirrors": LAST_WEEK_WITHOUT_MIRRORS},
            "last_month": {"with_mirrors": LAST_MONTH, "without_mirrors": LAST_MONTH_WITHOUT_MIRRORS},
        },
        "top_versions": [
            {"version": "2.10.0", "downloads": 21},
            {"version": "2.9.0", "downloads": 13},
            {"version": "1.0", "downloads": 1},
            {"version": "3.0.0rc1", "downloads": 1},
        ],
    }


@pytest.mark.parametrize("path", ["/api/v3/projects/nothing-here", "/api/v3/projects/nothing-here/downloads"])
def test_v3_unknown_project(api_client, path):
    error(api_client, path, 404)


def test_top_ranks_by_the_window(api_client):
    day = ok(api_client, "/api/v3/top?period=day").get_json()
    assert day == {
        "period": "day",
        "start": "2026-11-20",
        "end": "2026-11-20",
        "projects": [
            {"name": "other", "downloads": 100},
            {"name": "demo-pkg", "downloads": LAST_DAY_DOWNLOADS},
            {"name": "demo-pkg-extra", "downloads": 3},
        ],
    }
    month = ok(api_client, "/api/v3/top?limit=1").get_json()
    assert (month["period"], month["start"], month["projects"]) == (
        "month",
        "2026-10-22",
        [{"name": "other", "downloads": 100}],
    )


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("?limit=0", "limit"), ("?limit=101", "limit"), ("?limit=x", "limit"), ("?period=y", "period")],
)
def test_top_invalid_parameters(api_client, query, parameter):
    assert error(api_client, f"/api/v3/top{query}", 400).startswith(f"{parameter}:")


def test_search_normalises_the_prefix_and_ranks_by_downloads(api_client):
    assert ok(api_client, "/api/v3/search?q=Demo_").get_json() == {
        "query": "Demo_",
        "projects": [{"name": "demo-pkg", "total_downloads": TOTAL}, {"name": "demo-pkg-extra", "total_downloads": 3}],
    }
    assert ok(api_client, "/api/v3/search?q=demo.pkg-&limit=5").get_json()["projects"] == [
        {"name": "demo-pkg-extra", "total_downloads": 3}
    ]
    assert ok(api_client, "/api/v3/search?q=zzz").get_json()["projects"] == []


@pytest.mark.parametrize("q", ["", "%", "d%", "_", "a b", "é", "x" * 513])
def test_search_refuses_what_no_name_starts_with(api_client, q):
    assert error(api_client, "/api/v3/search", 400, query_string={"q": q}).startswith("q:")


# Nothing a client sends is a 500 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v3/projects/demo-pkg/downloads?start=9999-12-31",
        "/api/v3/projects/demo-pkg/downloads?end=0001-01-01",
        "/api/v3/projects/demo-pkg/downloads?versions=%00",
        "/api/v3/projects/demo-pkg/downloads?versions=" + "~=" * 100,
        "/api/v3/projects/demo-pkg/downloads?versions===1.0",
        "/api/v3/projects/demo-pkg/downloads?mirrors=TRUE&granularity=MONTH",
        "/api/v3/top?limit=99999999999999999999",
        "/api/v3/top?limit=-1",
        "/api/v3/search?q=a&limit=%F0%9F%92%A5",
        "/api/packages/demo-pkg/system?os=%00",
        "/api/packages/demo-pkg/overall?start_date=%E2%80%8B",
        "/api/v2/projects/%F0%9F%92%A5",
        "/api/v3/projects/a%2Fb",
    ],
)
def test_odd_input_is_never_a_500(api_client, url):
    response = api_client.get(url)
    assert response.status_code < 500
    assert response.content_type == "application/json"
