"""The rules every API family shares: the day windows end on, windows, caps, caching and health."""

from datetime import UTC, date, datetime

import pytest

from pepy.application.queries.common import (
    CacheValidity,
    CheckHealth,
    CheckHealthHandler,
    GetCacheValidity,
    GetCacheValidityHandler,
    InvalidParameter,
    ReadHandler,
    check_day,
    check_limit,
    check_range,
    open_start,
    project_name,
    window,
)
from pepy.domain.errors import InvalidProjectName
from tests.conftest import TODAY
from tests.fakes import FakeLedger, FakeReadStore

FIRST_DAY = date(2016, 1, 22)


@pytest.mark.parametrize(
    ("imported", "last_day"), [(date(2026, 11, 18), date(2026, 11, 18)), (None, date(2026, 11, 20))]
)
def test_windows_end_on_the_last_imported_day_or_yesterday_before_any_import(imported, last_day):
    handler = ReadHandler(FakeReadStore(), FakeLedger(last_day=imported), lambda: TODAY)

    assert handler.last_day() == last_day


@pytest.mark.parametrize(
    ("days", "start"), [(1, date(2026, 11, 20)), (7, date(2026, 11, 14)), (30, date(2026, 10, 22))]
)
def test_a_window_is_the_days_ending_on_its_end(days, start):
    assert window(date(2026, 11, 20), days) == (start, date(2026, 11, 20))


def test_project_names_are_normalised_and_invalid_ones_refused():
    assert project_name("Zope.Interface") == "zope-interface"
    with pytest.raises(InvalidProjectName, match="Invalid project name 'a b'"):
        project_name("a b")


@pytest.mark.parametrize(
    ("end", "days", "start"),
    [(date(2026, 11, 20), 30, date(2026, 10, 22)), (date(2016, 2, 20), 30, FIRST_DAY), (FIRST_DAY, 180, FIRST_DAY)],
)
def test_an_open_start_is_the_days_before_the_end_but_never_before_pypis_first_day(end, days, start):
    assert open_start(end, days) == start


@pytest.mark.parametrize("limit", [1, 100])
def test_limits_from_1_to_100_are_accepted(limit):
    assert check_limit(limit) == limit


@pytest.mark.parametrize("limit", [0, -1, 101])
def test_limits_outside_1_to_100_are_refused(limit):
    with pytest.raises(InvalidParameter) as refused:
        check_limit(limit)

    assert str(refused.value) == f"limit: must be between 1 and 100, not {limit}"
    assert refused.value.parameter == "limit"


@pytest.mark.parametrize("day", [FIRST_DAY, TODAY, None])
def test_days_from_pypis_first_day_to_today_are_accepted(day):
    assert check_day("start", day, TODAY) == day


@pytest.mark.parametrize("day", [date(2016, 1, 21), date(2026, 11, 22)])
def test_days_before_pypis_first_day_or_after_today_are_refused(day):
    with pytest.raises(InvalidParameter) as refused:
        check_day("end_date", day, TODAY)

    assert str(refused.value) == f"end_date: must be between 2016-01-22 and today (2026-11-21), not {day}"


@pytest.mark.parametrize(
    ("start", "end"), [(date(2026, 11, 20), date(2026, 11, 20)), (date(2023, 11, 19), date(2026, 11, 20))]
)
def test_ranges_of_1_to_1098_days_are_accepted(start, end):
    assert check_range(start, end, 1098) is None


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 11, 20), date(2026, 11, 19), "end: 2026-11-19 is before the start 2026-11-20"),
        (date(2023, 11, 18), date(2026, 11, 20), "end: the range is 1099 days; at most 1098 are allowed"),
    ],
)
def test_backward_or_too_long_ranges_are_refused(start, end, message):
    with pytest.raises(InvalidParameter) as refused:
        check_range(start, end, 1098)

    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (datetime(2026, 11, 21, 0, 0, tzinfo=UTC), 17 * 3600),
        (datetime(2026, 11, 21, 16, 59, 59, tzinfo=UTC), 1),
        (datetime(2026, 11, 21, 17, 0, tzinfo=UTC), 24 * 3600),
        (datetime(2026, 11, 21, 18, 30, tzinfo=UTC), 22 * 3600 + 1800),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), 18 * 3600),
    ],
)
def test_answers_stay_valid_until_the_next_import_at_17_utc(now, seconds):
    last_import_at = datetime(2026, 11, 20, 17, 20, tzinfo=UTC)
    handler = GetCacheValidityHandler(FakeLedger(last_import_at=last_import_at), lambda: TODAY, lambda: now)

    assert handler(GetCacheValidity()) == CacheValidity(last_import_at, TODAY, seconds)


@pytest.mark.parametrize("available", [True, False])
def test_health_is_whether_the_store_answers(available):
    assert CheckHealthHandler(FakeReadStore(available=available))(CheckHealth()) is available
