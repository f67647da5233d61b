"""Download charts drawn in-process as SVG: self-contained (no script, font or outside resource), small, and
readable in a README at a glance."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from pepy.application.queries.charts import Chart
from pepy.domain.read_models import Granularity
from pepy.infrastructure.api.badge_svg import format_count, text_width

THEMES = ("light", "dark", "auto")
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 360, 1600, 800
MIN_HEIGHT, MAX_HEIGHT, DEFAULT_HEIGHT = 200, 900, 400
FONT = "Verdana,'DejaVu Sans',sans-serif"
# Okabe and Ito's colours, which readers with any common colour-vision deficiency can tell apart (their yellow
# and black are left out: unreadable on a light and a dark background). Past six lines the colours come
# again, dashed.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9")
DASHES = ("", "7 4", "2 3")
OTHER_COLOUR = "#8c959f"
# Background, text, secondary text, grid.
THEME_COLOURS = {
    "light": ("#ffffff", "#1f2328", "#59636e", "#d1d9e0"),
    "dark": ("#0d1117", "#e6edf3", "#9198a1", "#3d444d"),
}
PAD = 14
LEGEND_LABEL_CHARS = 32
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class ChartLook:
    """How a chart is drawn: its theme and size in pixels."""

    theme: str = "auto"
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT


def nice_ticks(top: int, count: int = 5) -> list[int]:
    """Round y-axis values from 0 past `top`: steps of 1, 2, 2.5 or 5 times a power of ten, about `count` of them."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    step = max(1, math.ceil(step))
    return [i * step for i in range(math.ceil(top / step) + 1)]


def tick_label(value: int) -> str:
    """A y-axis label: 0, 250, 1.5k, 2.5M, 1B."""
    for size, unit in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if value >= size:
            return f"{value / size:.2f}".rstrip("0").rstrip(".") + unit
    return str(value)


def date_ticks(first: date, last: date, most: int) -> list[tuple[date, str]]:
    """Dated x-axis ticks on calendar boundaries (days, Mondays, months, years), at most `most` of them."""
    span = (last - first).days
    for days in (1, 2, 7, 14):
        if span // days + 1 <= most:
            start = first if days < 7 else first + timedelta(days=-first.weekday() % 7)
            ticks = [start + timedelta(days=i) for i in range(0, span + 1 - (start - first).days, days)]
            return [(d, f"{_MONTHS[d.month - 1]} {d.day}") for d in ticks]
    for months in (1, 2, 3, 6, 12, 24, 60):
        ticks = []
        month = first.year * 12 + first.month - 1 + (first.day > 1)
        month += -month % months
        while (day := date(month // 12, month % 12 + 1, 1)) <= last:
            ticks.append(day)
            month += months
        if len(ticks) <= most:
            if months >= 12:
                return [(d, str(d.year)) for d in ticks]
            return [
                (d, f"{_MONTHS[d.month - 1]} {d.year}" if d.month == 1 or i == 0 else _MONTHS[d.month - 1])
                for i, d in enumerate(ticks)
            ]
    return []


def describe(chart: Chart) -> str:
    """What the chart shows, in words: its range, options and each line's last value."""
    how = {Granularity.DAY: "per day", Granularity.WEEK: "per week", Granularity.MONTH: "per month"}
    split = f", by {chart.breakdown}" if chart.breakdown else ""
    mirrors = "" if chart.mirrors else ", without mirrors"
    cut = f" (dotted: a {chart.granularity} the range cuts short)" if any(chart.partial) else ""
    last = "; ".join(f"{line.label}: {line.values[-1]:,}" for line in chart.lines if line.values) or "none"
    return (
        f"Downloads {how[chart.granularity]}{split}{mirrors}, {chart.start} to {chart.end}{cut}. Last values: {last}."
    )


def render(chart: Chart, look: ChartLook) -> str:
    """The chart as a standalone SVG document; every text is XML-escaped."""
    width, height = look.width, look.height
    parts: list[str] = []
    title = f"{chart.title} · downloads"
    description = describe(chart)
    subtitle = description.split(". Last")[0].removeprefix("Downloads ")
    parts.append(_text(PAD, PAD + 14, _shorten(title, width - 2 * PAD, 15), "t", size=15, bold=True))
    parts.append(_text(PAD, PAD + 32, _shorten(subtitle, width - 2 * PAD, 11), "m", size=11))
    # The legend may take a quarter of the height, so that the lines keep the most of it.
    legend, legend_bottom = _legend(chart, width, PAD + 52, rows=max(1, height // 4 // 18))
    parts.append(legend)

    values = [v for line in chart.lines for v in line.values]
    ticks = nice_ticks(max(values, default=0))
    last_labels = [format_count(line.values[-1]) if line.values else "" for line in chart.lines]
    left = PAD + max(text_width(tick_label(t), 10) for t in ticks) + 6
    right = width - PAD - max((text_width(label, 10) for label in last_labels), default=0) - 22
    top, bottom = legend_bottom + 8, height - PAD - 18

    def y_of(value: int) -> int:
        return round(bottom - (bottom - top) * value / ticks[-1])

    count = len(chart.days)
    first, last = (chart.days[0], chart.days[-1]) if count else (chart.start, chart.end)
    span = max((last - first).days, 1)

    def x_of(day: date) -> int:
        return round(left + (right - left) * (day - first).days / span) if count > 1 else round((left + right) / 2)

    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<path class="g" d="M{left:.0f} {y}H{right:.0f}"/>')
        parts.append(_text(left - 6, y + 4, tick_label(tick), "m", size=10, anchor="end"))
    for day, label in date_ticks(first, last, max(2, int((right - left) // 70))):
        x = x_of(day)
        parts.append(f'<path class="g" d="M{x} {bottom}v4"/>')
        parts.append(_text(x, bottom + 16, label, "m", size=10, anchor="middle"))

    # Each day's x once for every line, and y inline: a chart of 6 lines and 90 days is 540 points.
    xs, height_px, top_tick = [x_of(day) for day in chart.days], bottom - top, ticks[-1]
    points = [
        [(x, round(bottom - height_px * v / top_tick)) for x, v in zip(xs, line.values, strict=True)]
        for line in chart.lines
    ]
    if len(points) == 1 and count > 1:
        area = _path(points[0]) + f"V{bottom}H{points[0][0][0]}Z"
        parts.append(f'<path class="a0" d="{area}"/>')
    for index, line_points in enumerate(points):
        parts.extend(_line(chart, index, line_points))
    parts.append(_last_values(chart, points, last_labels, right, top, bottom))
    if not chart.lines:
        empty = f"no downloads by {chart.breakdown} in this range"
        parts.append(_text((left + right) / 2, (top + bottom) / 2, empty, "m", size=12, anchor="middle"))

    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="title desc" font-family="{FONT}">'
        f'<title id="title">{escape(title)}</title><desc id="desc">{escape(description)}</desc>'
        f"<style>{_stylesheet(look.theme, len(chart.lines))}</style>"
        f'<rect class="b" width="{width}" height="{height}" rx="6"/>'
    )
    return head + "".join(parts) + "</svg>"


def render_message(message: str, look: ChartLook) -> str:
    """A chart-sized SVG that says what went wrong."""
    width, height = look.width, look.height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="title" font-family="{FONT}">'
        f'<title id="title">{escape(message)}</title><style>{_stylesheet(look.theme, 0)}</style>'
        f'<rect class="b" width="{width}" height="{height}" rx="6"/>'
        + _text(width / 2, height / 2, _shorten(message, width - 2 * PAD, 13), "t", size=13, anchor="middle")
        + "</svg>"
    )


def _style(chart: Chart, index: int) -> str:
    return "o" if chart.lines[index].other else str(index)


def _stylesheet(theme: str, lines: int) -> str:
    rules = [
        f".l{i}{{fill:none;stroke:{PALETTE[i % len(PALETTE)]};stroke-width:2;stroke-linejoin:round"
        + (f";stroke-dasharray:{DASHES[i // len(PALETTE)]}" if i >= len(PALETTE) else "")
        + f"}}.k{i}{{fill:{PALETTE[i % len(PALETTE)]}}}"
        for i in range(lines)
    ]
    rules.append(
        f".lo{{fill:none;stroke:{OTHER_COLOUR};stroke-width:2;stroke-dasharray:2 3}}.ko{{fill:{OTHER_COLOUR}}}"
    )
    rules.append(f".a0{{fill:{PALETTE[0]};fill-opacity:.12}}.p{{stroke-dasharray:1 3;stroke-opacity:.7}}")
    light, dark = _theme_rules(*THEME_COLOURS["light"]), _theme_rules(*THEME_COLOURS["dark"])
    if theme == "auto":
        themed = f"{light}@media (prefers-color-scheme:dark){{{dark}}}"
    else:
        themed = light if theme == "light" else dark
    return "".join(rules) + themed


def _theme_rules(background: str, text: str, secondary: str, grid: str) -> str:
    return f".b{{fill:{background}}}.t{{fill:{text}}}.m{{fill:{secondary}}}.g{{stroke:{grid};fill:none}}"


def _text(x: float, y: float, content: str, css: str, size: int, bold: bool = False, anchor: str = "start") -> str:
    weight = ' font-weight="bold"' if bold else ""
    align = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{x:.0f}" y="{y:.0f}" class="{css}" font-size="{size}"{weight}{align}>{escape(content)}</text>'


def _shorten(text: str, room: float, size: int) -> str:
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def _path(points: list[tuple[int, int]]) -> str:
    """Whole pixels and relative moves keep the largest chart small: `M10 200l3-2 3 5...`."""
    (x0, y0), rest = points[0], points[1:]
    moves, (px, py) = [], points[0]
    for x, y in rest:
        moves.append(f"{x - px} {y - py}".replace(" -", "-"))
        px, py = x, y
    return f"M{x0} {y0}" + ("l" + " ".join(moves) if moves else "h0")


def _line(chart: Chart, index: int, points: list[tuple[int, int]]) -> list[str]:
    """A line's path; a segment into a bucket the range cuts short (a partial week or month) is dotted, so that
    its drop does not read as a fall in downloads."""
    style = _style(chart, index)
    first = 1 if len(points) > 1 and chart.partial[0] else 0
    last = len(points) - 1 if len(points) > 1 and chart.partial[-1] else len(points)
    paths = [f'<path class="l{style}" d="{_path(points[first:last])}"/>'] if last > first else []
    cut = [points[:2]] if first else []
    cut += [points[-2:]] if last < len(points) else []
    paths += [f'<path class="l{style} p" d="{_path(segment)}"/>' for segment in cut]
    return paths


def _legend(chart: Chart, width: int, y: int, rows: int) -> tuple[str, int]:
    """A swatch and label per line, in rows of the chart's width; what does not fit in `rows` is counted."""
    # One line of the total needs no key; a breakdown names its categories however few they are.
    if len(chart.lines) < 2 and chart.breakdown is None:
        return "", y - 8
    parts, x, row = [], PAD, 1
    for index, line in enumerate(chart.lines):
        label = _shorten(line.label, text_width("m" * LEGEND_LABEL_CHARS, 11), 11)
        item = 26 + text_width(label, 11) + 14
        if x + item > width - PAD and x > PAD:
            if row == rows:
                parts.append(_text(x, y, f"+{len(chart.lines) - index} more", "m", size=11))
                break
            x, y, row = PAD, y + 18, row + 1
        style = _style(chart, index)
        parts.append(f'<path class="l{style}" d="M{x:.0f} {y - 4}h20"/>')
        parts.append(_text(x + 26, y, label, "t", size=11))
        x += item
    return "".join(parts), y + 8


def _last_values(
    chart: Chart, points: list[list[tuple[int, int]]], labels: list[str], right: float, top: int, bottom: int
) -> str:
    """Each line's last value beside its end, nudged apart so that none overlaps another."""
    ends = sorted((p[-1][1], i) for i, p in enumerate(points) if p)
    placed: list[tuple[float, int]] = []
    for y, index in ends:
        placed.append((max(y + 4, placed[-1][0] + 12) if placed else y + 4, index))
    overflow = placed[-1][0] - (bottom + 4) if placed else 0
    parts = []
    for label_y, index in placed:
        x, y = points[index][-1]
        label_y = max(label_y - max(overflow, 0), top + 8)
        parts.append(f'<circle class="k{_style(chart, index)}" cx="{x}" cy="{y}" r="3"/>')
        parts.append(
            f'<rect class="k{_style(chart, index)}" x="{right + 6:.0f}" y="{label_y - 7:.0f}" width="6" height="6"/>'
        )
        parts.append(_text(right + 15, label_y, labels[index], "t", size=10))
    return "".join(parts)
