"""Queries: the read side. Each returns a read model, read through a ReadStore port."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from pepy.domain.errors import ProjectNotFound
from pepy.domain.model import ProjectName, sort_versions

Clock = Callable[[], date]


@dataclass(frozen=True)
class ProjectVersionDownloads:
    """A project's all-time total and its per-version downloads per day (pepy's v2 shape)."""

    name: str
    total_downloads: int
    versions: list[str]
    downloads: dict[date, dict[str, int]]


class ProjectReadStore(ABC):
    """Read-only access to stored downloads, for queries."""

    @abstractmethod
    def version_downloads(self, name: str, start: date | None, end: date | None) -> ProjectVersionDownloads | None:
        """A project's per-version daily downloads between two days (None: unbounded); None if unknown."""

    @abstractmethod
    def is_available(self) -> bool:
        """Whether the store answers."""


def v2_window_start(today: date) -> date:
    """pepy's v2 window: from the first day of the month that was 90 days ago."""
    return (today - timedelta(days=90)).replace(day=1)


@dataclass(frozen=True)
class GetProject:
    """A project's v2 view; with all_days, every stored day rather than pepy's window."""

    name: str
    all_days: bool = False


class GetProjectHandler:
    """Normalises the name, reads the window, and orders versions as PEP 440 does."""

    def __init__(self, store: ProjectReadStore, clock: Clock):
        self._store = store
        self._clock = clock

    def __call__(self, query: GetProject) -> ProjectVersionDownloads:
        name = ProjectName(query.name)
        start = None if query.all_days else v2_window_start(self._clock())
        found = self._store.version_downloads(name.value, start, None)
        if found is None:
            raise ProjectNotFound(name.value)
        return ProjectVersionDownloads(
            found.name, found.total_downloads, sort_versions(found.versions), found.downloads
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
