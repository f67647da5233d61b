"""What the pages' templates are given: a chart's data table, its description, the links that switch its
options, the snippets to copy, and the rankings of the home page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from flask import url_for

from pepy.application.queries.charts import PERIODS, Chart
from pepy.application.queries.pages import ProjectPage
from pepy.application.queries.v3 import SERIES_BREAKDOWNS
from pepy.domain.read_models import Granularity, WindowSums
from pepy.infrastructure.api.chart_svg import DEFAULT_HEIGHT, DEFAULT_WIDTH, MIN_WIDTH, describe

PERIOD_NAMES = {"30d": "30 days", "90d": "90 days", "1y": "1 year", "all": "All stored days"}
BREAKDOWN_NAMES = {
    "version": "Version",
    "python_major": "Python major",
    "python_minor": "Python minor",
    "system": "System",
    "installer": "Installer",
    "country": "Country",
    "ci": "CI",
    "file_type": "File type",
    "mirrors": "Mirrors",
}
# A phone's chart is drawn at its width, so that its text stays legible rather than scaled down by half.
PHONE_CHART_HEIGHT = 300
BUCKET_NAMES = {Granularity.DAY: "Day", Granularity.WEEK: "Week from", Granularity.MONTH: "Month"}
# Each option a page's links switch: its name, the label of its group, and its values with their labels (None:
# the option left out, the chart's default).
OPTIONS = {
    "period": ("Range", [(p, PERIOD_NAMES[p]) for p in PERIODS]),
    "granularity": ("Points", [(None, "Automatic"), ("day", "Daily"), ("week", "Weekly"), ("month", "Monthly")]),
    "breakdown": ("Split by", [(None, "Nothing"), *((b.value, BREAKDOWN_NAMES[b.value]) for b in SERIES_BREAKDOWNS)]),
}


@dataclass(frozen=True)
class Ranking:
    """A list of projects on the home page: its heading, what it counts, the figure's column, its rows of
    (project, figure as shown), and what to say when it has none."""

    title: str
    caption: str
    figure: str
    rows: list[tuple[str, str]]
    note: str = "No downloads are imported yet."


@dataclass(frozen=True)
class Link:
    """A link that switches one option; `current` marks the option in force."""

    text: str
    url: str
    current: bool


@dataclass(frozen=True)
class OptionGroup:
    """The links that switch one option of a chart."""

    label: str
    links: list[Link]


@dataclass(frozen=True)
class ChartTable:
    """A chart's values as a table: the first column's heading, one column per line, one row per bucket
    (its label and its value on each line)."""

    bucket: str
    columns: list[str]
    rows: list[tuple[str, list[int]]]


@dataclass(frozen=True)
class ChartPicture:
    """A chart's image: its URL at a desktop's size and at a phone's, and its alternative text."""

    src: str
    phone_src: str
    alt: str
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT
    phone_width: int = MIN_WIDTH
    phone_height: int = PHONE_CHART_HEIGHT


@dataclass(frozen=True)
class Snippet:
    """Text to paste elsewhere, in one format, with the id of the element that holds it."""

    id: str
    format: str
    text: str


def option_links(endpoint: str, chosen: dict[str, str | None], **route: str) -> list[OptionGroup]:
    """For each option of `chosen` that OPTIONS knows, a link per value, keeping the other options as they are."""
    groups = []
    for option, (label, values) in OPTIONS.items():
        if option not in chosen:
            continue
        links = []
        for value, text in values:
            switched = {k: v for k, v in {**chosen, option: value}.items() if v is not None}
            links.append(Link(text, url_for(endpoint, **route, **switched), value == chosen[option]))
        groups.append(OptionGroup(label, links))
    return groups


def chart_table(chart: Chart) -> ChartTable:
    """The chart's lines as columns; a bucket the range cuts short is labelled so."""
    rows = []
    for index, day in enumerate(chart.days):
        label = f"{day:%Y-%m}" if chart.granularity is Granularity.MONTH else day.isoformat()
        if chart.partial[index]:
            label += " (partial)"
        rows.append((label, [line.values[index] for line in chart.lines]))
    return ChartTable(BUCKET_NAMES[chart.granularity], [line.label for line in chart.lines], rows)


def chart_picture(endpoint: str, chart: Chart, **arguments: str) -> ChartPicture:
    """The image of `chart`, drawn by `endpoint` with the arguments it was drawn with, and its description: what
    it draws, and where its values are."""
    alt = f"Line chart of {chart.title}. {describe(chart)} Its values are in the table that goes with it."
    phone = url_for(endpoint, **arguments, width=MIN_WIDTH, height=PHONE_CHART_HEIGHT)
    return ChartPicture(url_for(endpoint, **arguments), phone, alt)


def summary_rows(page: ProjectPage) -> list[tuple[str, WindowSums]]:
    """The project's sums, each with its label, the shortest window first."""
    labels = {"last_day": "Last day", "last_week": "Last 7 days", "last_month": "Last 30 days", "all_time": "All time"}
    return [(labels[window], sums) for window, sums in page.downloads.items()]


def embed_snippets(site: str, name: str, chart_options: dict[str, str]) -> dict[str, list[Snippet]]:
    """The badge and the chart shown, in Markdown, reStructuredText and HTML, with absolute URLs."""
    page = f"{site}/projects/{name}"
    badge = f"{site}/badge/{name}"
    chart = f"{site}/chart/{name}.svg" + (f"?{urlencode(chart_options)}" if chart_options else "")
    alt = f"{name} downloads"
    return {
        "Badge": [
            Snippet("badge-markdown", "Markdown", f"[![PyPI downloads]({badge})]({page})"),
            Snippet(
                "badge-rst", "reStructuredText", f".. image:: {badge}\n   :target: {page}\n   :alt: PyPI downloads"
            ),
            Snippet(
                "badge-html", "HTML", f'<a href="{escape(page)}"><img src="{escape(badge)}" alt="PyPI downloads"></a>'
            ),
        ],
        "Chart": [
            Snippet("chart-markdown", "Markdown", f"![{alt}]({chart})"),
            Snippet("chart-rst", "reStructuredText", f".. image:: {chart}\n   :alt: {alt}"),
            Snippet(
                "chart-html",
                "HTML",
                f'<img src="{escape(chart)}" alt="{escape(alt)}" width="{DEFAULT_WIDTH}" height="{DEFAULT_HEIGHT}">',
            ),
        ],
    }
