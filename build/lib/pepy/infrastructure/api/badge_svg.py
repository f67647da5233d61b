"""Badges drawn in-process as SVG: number formatting, colours, text widths and four shields-style looks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

UNITS = {
    "international_system": ("", "k", "M", "G", "T", "P"),
    "abbreviation": ("", "k", "M", "B", "T", "Q"),
}
UNIT_MODES = (*UNITS, "none")
STYLES = ("flat", "flat-square", "plastic", "for-the-badge")


def format_count(count: int, units: str = "international_system") -> str:
    """Three significant figures, rounded down so a badge never claims more than the truth.

    1,450,000 → 1.45M, 999,999 → 999k, 12,345 → 12.3k; under 1,000 the number itself. Past the largest unit
    the integer part grows (1,234P). `none` prints the whole number without separators.
    """
    if units == "none" or count < 1000:
        return str(count)
    symbols = UNITS[units]
    digits = str(count)
    group = min((len(digits) - 1) // 3, len(symbols) - 1)
    whole = len(digits) - 3 * group
    significant = digits[: max(3, whole)]
    fraction = significant[whole:].rstrip("0")
    return significant[:whole] + ("." + fraction if fraction else "") + symbols[group]


# Colour names as shields.io draws them, then every CSS named colour.
_SHIELDS_COLOURS = {
    "brightgreen": "#44cc11",
    "green": "#97ca00",
    "yellow": "#dfb317",
    "yellowgreen": "#a4a61d",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "grey": "#555555",
    "gray": "#555555",
    "lightgrey": "#9f9f9f",
    "lightgray": "#9f9f9f",
    "success": "#44cc11",
    "important": "#fe7d37",
    "critical": "#e05d44",
    "informational": "#007ec6",
    "inactive": "#9f9f9f",
}
_CSS_TABLE = """aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc
    bisque:ffe4c4 black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a burlywood:deb887
    cadetblue:5f9ea0 chartreuse:7fff00 chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc
    crimson:dc143c cyan:00ffff darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9
    darkgreen:006400 darkgrey:a9a9a9 darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00
    darkorchid:9932cc darkred:8b0000 darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b
    darkslategray:2f4f4f darkslategrey:2f4f4f darkturquoise:00ced1 darkviolet:9400d3 deeppink:ff1493
    deepskyblue:00bfff dimgray:696969 dimgrey:696969 dodgerblue:1e90ff firebrick:b22222 floralwhite:fffaf0
    forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520
    gray:808080 green:008000 greenyellow:adff2f grey:808080 honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c
    indigo:4b0082 ivory:fffff0 khaki:f0e68c lavender:e6e6fa lavenderblush:fff0f5 lawngreen:7cfc00
    lemonchiffon:fffacd lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff lightgoldenrodyellow:fafad2
    lightgray:d3d3d3 lightgreen:90ee90 lightgrey:d3d3d3 lightpink:ffb6c1 lightsalmon:ffa07a
    lightseagreen:20b2aa lightskyblue:87cefa lightslategray:778899 lightslategrey:778899 lightsteelblue:b0c4de
    lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6 magenta:ff00ff maroon:800000
    mediumaquamarine:66cdaa mediumblue:0000cd mediumorchid:ba55d3 mediumpurple:9370db mediumseagreen:3cb371
    mediumslateblue:7b68ee mediumspringgreen:00fa9a mediumturquoise:48d1cc mediumvioletred:c71585
    midnightblue:191970 mintcream:f5fffa mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080
    oldlace:fdf5e6 olive:808000 olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6
    palegoldenrod:eee8aa palegreen:98fb98 paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5
    peachpuff:ffdab9 peru:cd853f pink:ffc0cb plum:dda0dd powderblue:b0e0e6 purple:800080 rebeccapurple:663399
    red:ff0000 rosybrown:bc8f8f royalblue:4169e1 saddlebrown:8b4513 salmon:fa8072 sandybrown:f4a460
    seagreen:2e8b57 seashell:fff5ee sienna:a0522d silver:c0c0c0 skyblue:87ceeb slateblue:6a5acd
    slategray:708090 slategrey:708090 snow:fffafa springgreen:00ff7f steelblue:4682b4 tan:d2b48c teal:008080
    thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0 violet:ee82ee wheat:f5deb3 white:ffffff whitesmoke:f5f5f5
    yellow:ffff00 yellowgreen:9acd32"""
_CSS_COLOURS = dict(pair.split(":") for pair in _CSS_TABLE.split())
COLOURS = {**{name: f"#{hex_}" for name, hex_ in _CSS_COLOURS.items()}, **_SHIELDS_COLOURS}
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", re.ASCII)


def parse_colour(value: str) -> str | None:
    """A colour name (shields.io's, then CSS's) or hex (#abc, abc, #aabbcc, aabbcc) as #rrggbb; None if neither."""
    named = COLOURS.get(value.strip().lower())
    if named:
        return named
    match = _HEX.fullmatch(value.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))


def _is_light(colour: str) -> bool:
    # WCAG's relative luminance: dark text reads better on backgrounds above about half.
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] > 0.45


# Estimated advance widths of Verdana's printable ASCII glyphs, space (32) to tilde (126), in font units of
# 2048 per em. Text width estimates only need to be close: textLength makes renderers fit the text exactly.
_ADVANCES = (
    [720, 824, 1002, 1716, 1302, 2193, 1493, 550, 1001, 1001, 1302, 1716, 727, 878, 727, 1001]
    + [1302] * 10
    + [922, 922, 1716, 1716, 1716, 1117, 2048]
    + [1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 862, 1004, 1423, 1151, 1724]
    + [1540, 1614, 1255, 1614, 1435, 1405, 1243, 1507, 1401, 2032, 1405, 1243, 1405]
    + [1001, 1001, 1001, 1716, 1302, 1302]
    + [1229, 1276, 1067, 1276, 1220, 720, 1276, 1296, 562, 686, 1205, 562, 1992]
    + [1296, 1243, 1276, 1276, 874, 1067, 807, 1296, 1205, 1675, 1205, 1205, 1075]
    + [1303, 1001, 1303, 1716]
)
_OTHER_ADVANCE = 1302
_WIDE_ADVANCE = 2048


def text_width(text: str, font_size: float = 11, bold: bool = False, letter_spacing: float = 0) -> float:
    """The estimated width in pixels of text set in Verdana."""
    units = 0
    for char in text:
        code = ord(char)
        if 32 <= code <= 126:
            units += _ADVANCES[code - 32]
        elif unicodedata.combining(char):
            continue
        else:
            units += _WIDE_ADVANCE if unicodedata.east_asian_width(char) in "WF" else _OTHER_ADVANCE
    return units * font_size / 2048 * (1.08 if bold else 1) + letter_spacing * len(text)


@dataclass(frozen=True)
class Badge:
    """A two-part badge: label on the left, message on the right, each on its colour (#rrggbb)."""

    label: str
    message: str
    label_colour: str = "#555555"
    message_colour: str = "#007ec6"
    style: str = "flat"

    def render(self) -> str:
        """The badge as a standalone SVG document; every text is XML-escaped."""
        if self.style == "for-the-badge":
            return self._render_for_the_badge()
        height = 18 if self.style == "plastic" else 20
        left, right = (round(text_width(t) + 10) for t in (self.label, self.message))
        width = left + right
        radius = {"flat": 3, "plastic": 4, "flat-square": 0}[self.style]
        gradient = ""
        overlay = ""
        if self.style == "flat":
            gradient = (
                '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
                '<stop offset="1" stop-opacity=".1"/></linearGradient>'
            )
        elif self.style == "plastic":
            gradient = (
                '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#fff" stop-opacity=".7"/>'
                '<stop offset=".1" stop-color="#aaa" stop-opacity=".1"/><stop offset=".9" stop-opacity=".3"/>'
                '<stop offset="1" stop-opacity=".5"/></linearGradient>'
            )
        if gradient:
            overlay = f'<rect width="{width}" height="{height}" fill="url(#s)"/>'
        baseline = 13 if self.style == "plastic" else 14
        texts = "".join(
            self._text(text, x, baseline, colour, shadow=self.style != "flat-square")
            for text, x, colour in (
                (self.label, left / 2, self.label_colour),
                (self.message, left + right / 2, self.message_colour),
            )
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f"aria-label={quoteattr(f'{self.label}: {self.message}')}>"
            f"<title>{escape(f'{self.label}: {self.message}')}</title>{gradient}"
            f'<clipPath id="r"><rect width="{width}" height="{height}" rx="{radius}" fill="#fff"/></clipPath>'
            f'<g clip-path="url(#r)"><rect width="{left}" height="{height}" fill="{self.label_colour}"/>'
            f'<rect x="{left}" width="{right}" height="{height}" fill="{self.message_colour}"/>{overlay}</g>'
            f'<g text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
            f'text-rendering="geometricPrecision" font-size="11">{texts}</g></svg>'
        )

    @staticmethod
    def _text(text: str, x: float, baseline: int, background: str, shadow: bool) -> str:
        light = _is_light(background)
        length = round(text_width(text), 1)
        content = escape(text)
        fill = "#333" if light else "#fff"
        shadow_text = ""
        if shadow:
            shadow_fill = "#ccc" if light else "#010101"
            shadow_text = (
                f'<text aria-hidden="true" x="{x:g}" y="{baseline + 1}" fill="{shadow_fill}" fill-opacity=".3" '
                f'textLength="{length:g}">{content}</text>'
            )
        return f'{shadow_text}<text x="{x:g}" y="{baseline}" fill="{fill}" textLength="{length:g}">{content}</text>'

    def _render_for_the_badge(self) -> str:
        label, message = self.label.upper(), self.message.upper()
        label_width = text_width(label, 10, letter_spacing=1.25)
        message_width = text_width(message, 10, bold=True, letter_spacing=1.25)
        left, right = round(label_width + 24), round(message_width + 24)
        width = left + right
        title = escape(f"{self.label}: {self.message}")

        def text(content: str, x: float, background: str, length: float, weight: str) -> str:
            fill = "#333" if _is_light(background) else "#fff"
            return (
                f'<text x="{x:g}" y="17.5" fill="{fill}" font-weight="{weight}" textLength="{round(length, 1):g}">'
                f"{escape(content)}</text>"
            )

        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="28" role="img" '
            f"aria-label={quoteattr(f'{self.label}: {self.message}')}><title>{title}</title>"
            f'<g shape-rendering="crispEdges"><rect width="{left}" height="28" fill="{self.label_colour}"/>'
            f'<rect x="{left}" width="{right}" height="28" fill="{self.message_colour}"/></g>'
            f'<g text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
            f'text-rendering="geometricPrecision" font-size="10" letter-spacing="1.25">'
            f"{text(label, left / 2, self.label_colour, label_width, 'normal')}"
            f"{text(message, left + right / 2, self.message_colour, message_width, 'bold')}</g></svg>"
        )
