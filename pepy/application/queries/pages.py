"""What the site's pages show that no API answer holds whole: a project's page."""

from __future__ import annotations

from dataclasses import dataclass

from pepy.application.queries.charts import Chart, GetProjectChart, GetProjectChartHandler
from pepy.application.queries.common import WINDOW_DAYS, ReadHandler, project_name, window
from pepy.domain.errors import ProjectNotFound
from pepy.domain.model import newest_first
from pepy.domain.read_models import VersionTotal, WindowSums

# A page lists at most this many versions of its range (the most downloaded); a heavy project has thousands.
MAX_PAGE_VERSIONS = 100


@dataclass(frozen=True)
class ProjectPage:
    """A project's figures for its page.

    `downloads` maps "last_day", "last_week", "last_month" and "all_time" to the sums with and without mirrors
    (all time as ProjectSums has it, as badges count it). `versions` are the range's most downloaded versions,
    newest first in PEP 440 order (strings that are not PEP 440 versions last); `more_versions` says that the
    range has others.
    """

    name: str
    downloads: dict[str, WindowSums]
    chart: Chart
    versions: list[VersionTotal]
    more_versions: bool


@dataclass(frozen=True)
class GetProjectPage:
    """A project's page: its recent and all-time sums, the chart asked for, and the versions of its range."""

    chart: GetProjectChart


class GetProjectPageHandler(ReadHandler):
    """Draws the chart's lines through the chart handler (so the page's table equals the image), then sums the
    windows and reads the versions of the chart's range."""

    def __init__(self, store, ledger, clock):
        super().__init__(store, ledger, clock)
        self._chart = GetProjectChartHandler(store, ledger, clock)

    def __call__(self, query: GetProjectPage) -> ProjectPage:
        name = project_name(query.chart.name)
        chart = self._chart(query.chart)
        end = self.last_day()
        windows = [window(end, days) for days in WINDOW_DAYS.values()]
        sums = self._store.sums(name, windows)
        versions = self._store.top_versions(name, chart.start, chart.end, MAX_PAGE_VERSIONS + 1)
        if sums is None or versions is None:
            raise ProjectNotFound(name)
        downloads = {f"last_{period}": total for period, total in zip(WINDOW_DAYS, sums.windows, strict=True)}
        downloads["all_time"] = WindowSums(sums.total_downloads, sums.total_non_mirror_downloads)
        shown = {v.version: v for v in versions[:MAX_PAGE_VERSIONS]}
        ordered = [shown[v] for v in newest_first(shown)]
        return ProjectPage(name, downloads, chart, ordered, len(versions) > MAX_PAGE_VERSIONS)
