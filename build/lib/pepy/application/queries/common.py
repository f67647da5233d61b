"""What every API family's queries share: the day windows end on, windows, caps, parameter errors, caching
and health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pepy.domain.downloads import FIRST_DAY
from pepy.domain.errors import DomainError
from pepy.domain.model import ProjectName
from pepy.domain.ports import Clock, ImportLedger, Now, ProjectReadStore

# Imports run daily at this hour (UTC): answers stay valid until then.
IMPORT_HOUR_UTC = 17
# The caps on what one request may ask for; the README's API section lists them.
MAX_LIMIT = 100
MAX_SERIES_DAYS = 3 * 366
# The windows "last day", "last week" and "last month" are this many days, ending on the last imported day.
WINDOW_DAYS = {"day": 1, "week": 7, "month": 30}


class InvalidParameter(DomainError):
    """A request parameter with a value the query cannot take; the message starts with the parameter's name."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class ReadHandler:
    """A query handler over the read store, with the ledger and the clock that place its windows."""

    def __init__(self, store: ProjectReadStore, ledger: ImportLedger, clock: Clock):
        self._store = store
        self._ledger = ledger
        self._clock = clock

    def last_day(self) -> date:
        """The day windows end on: the last imported day, or yesterday before any import."""
        return self._ledger.freshness().last_day or self._clock() - timedelta(days=1)


def window(end: date, days: int) -> tuple[date, date]:
    """The `days` days ending on `end`, both included."""
    return end - timedelta(days=days - 1), end


def open_start(end: date, days: int) -> date:
    """The start of a range a client left open: `days` days ending on `end`, but never before PyPI's first
    day."""
    return max(FIRST_DAY, window(end, days)[0])


def project_name(name: str) -> str:
    """The PEP 503-normalised name, or InvalidProjectName."""
    return ProjectName(name).value


def check_limit(limit: int) -> int:
    """A limit between 1 and MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter("limit", f"must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit


def check_day(parameter: str, day: date | None, today: date) -> date | None:
    """A day PyPI can have downloads for: from its first day up to today."""
    if day is not None and not FIRST_DAY <= day <= today:
        raise InvalidParameter(parameter, f"must be between {FIRST_DAY} and today ({today}), not {day}")
    return day


def check_range(start: date, end: date, max_days: int, end_parameter: str = "end") -> None:
    """A range that does not run backwards and is at most max_days long (its days are checked by check_day)."""
    if end < start:
        raise InvalidParameter(end_parameter, f"{end} is before the start {start}")
    if (end - start).days + 1 > max_days:
        raise InvalidParameter(
            end_parameter, f"the range is {(end - start).days + 1} days; at most {max_days} are allowed"
        )


@dataclass(frozen=True)
class CacheValidity:
    """What an answer's caching depends on: the last successful import, today, and when the next import runs."""

    last_import_at: datetime | None
    today: date
    seconds_until_next_import: int


@dataclass(frozen=True)
class GetCacheValidity:
    """What the answers' caching headers depend on."""


class GetCacheValidityHandler:
    """The last successful import, today, and the seconds until the next daily import is due."""

    def __init__(self, ledger: ImportLedger, clock: Clock, now: Now):
        self._ledger = ledger
        self._clock = clock
        self._now = now

    def __call__(self, query: GetCacheValidity) -> CacheValidity:
        now = self._now()
        next_import = datetime.combine(now.date(), time(IMPORT_HOUR_UTC), UTC)
        if next_import <= now:
            next_import += timedelta(days=1)
        return CacheValidity(
            self._ledger.freshness().last_import_at, self._clock(), int((next_import - now).total_seconds())
        )


@dataclass(frozen=True)
class CheckHealth:
    """Whether the service can answer reads."""


class CheckHealthHandler:
    """Asks the read store whether it answers."""

    def __init__(self, store: ProjectReadStore):
        self._store = store

    def __call__(self, query: CheckHealth) -> bool:
        return self._store.is_available()
