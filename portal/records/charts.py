"""A small line chart of a test's values, drawn on the server as inline SVG.

No script and no style sheet inside: presentation attributes only, so the chart passes the
Content Security Policy and shows with JavaScript off. The chart is an image with a title
and a description that sums it up; the table of values beside it is its full text
alternative, so the picture itself holds no text a person must read.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from portal.i18n import fmt_date
from portal.records.models import RecordItem
from portal.records.services import display_number, display_unit, reference_range

WIDTH, HEIGHT = 400, 200
#: The plot area inside the picture: room on the left for values, below for dates.
LEFT, RIGHT, TOP, BOTTOM = 64, 388, 12, 168
INK, LINE, AXIS, BAND = "#1b1b1f", "#0b5394", "#8a8f99", "#e4eef7"
FONT = 'font-family="system-ui, sans-serif" font-size="15"'


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    if high == low:
        return (start + end) / 2
    return start + (value - low) * (end - start) / (high - low)


def summary(items: Sequence[RecordItem]) -> str:
    """What the chart shows, in words: how many values, when, the lowest and the highest."""
    values = [item.value_num for item in items]
    unit = display_unit(items[-1].unit)
    low, high = (f"{display_number(v)} {unit}".strip() for v in (min(values), max(values)))
    text = ngettext("%(num)d value from %(first)s to %(last)s, lowest %(low)s, "
                    "highest %(high)s.",
                    "%(num)d values from %(first)s to %(last)s, lowest %(low)s, "
                    "highest %(high)s.", len(values),
                    first=fmt_date(items[0].start_at, "medium"),
                    last=fmt_date(items[-1].start_at, "medium"), low=low, high=high)
    usual = reference_range(items[-1])
    if usual:
        text += " " + _("The usual range is %(range)s.", range=usual)
    return text


def chartable(items: Sequence[RecordItem]) -> list[RecordItem]:
    """The values a chart can place: numbers with a date."""
    return [item for item in items if item.value_num is not None and item.start_at is not None]


def history_chart(items: Sequence[RecordItem], chart_id: str, title: str) -> Markup | None:
    """An SVG line chart of `items` (oldest first), or None with fewer than two values."""
    items = chartable(items)
    if len(items) < 2:
        return None
    values = [float(item.value_num) for item in items]
    last = items[-1]
    band = [float(v) for v in (last.ref_low, last.ref_high) if isinstance(v, Decimal)]
    low, high = min(values + band), max(values + band)
    if low == high:
        low, high = low - 1, high + 1
    times = [item.start_at.timestamp() for item in items]
    first_time, last_time = times[0], times[-1]
    if first_time == last_time:
        times, first_time, last_time = list(range(len(items))), 0, len(items) - 1
    points = [(_scale(t, first_time, last_time, LEFT + 8, RIGHT - 8),
               _scale(v, low, high, BOTTOM - 6, TOP + 6))
              for t, v in zip(times, values, strict=True)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'focusable="false" aria-labelledby="{chart_id}-title" '
        f'aria-describedby="{chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary(items))}</desc>',
    ]
    if len(band) == 2:
        top, bottom = (_scale(v, low, high, BOTTOM - 6, TOP + 6) for v in (band[1], band[0]))
        parts.append(f'<rect x="{LEFT}" y="{top:.1f}" width="{RIGHT - LEFT}" '
                     f'height="{bottom - top:.1f}" fill="{BAND}"/>')
    parts.append(f'<path d="M{LEFT} {TOP}V{BOTTOM}H{RIGHT}" fill="none" stroke="{AXIS}"/>')
    parts += _labels(items, low, high)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE}"/>' for x, y in points]
    parts.append("</svg>")
    return Markup("".join(parts))


def _labels(items: Sequence[RecordItem], low: float, high: float) -> list[str]:
    """The highest and lowest value on the left, the first and last date below."""
    text = f'<text {FONT} fill="{INK}"'
    return [
        f'{text} x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">'
        f'{escape(display_number(Decimal(str(high))))}</text>',
        f'{text} x="{LEFT - 6}" y="{BOTTOM}" text-anchor="end">'
        f'{escape(display_number(Decimal(str(low))))}</text>',
        f'{text} x="{LEFT}" y="{HEIGHT - 10}">{escape(fmt_date(items[0].start_at, "medium"))}'
        "</text>",
        f'{text} x="{RIGHT}" y="{HEIGHT - 10}" text-anchor="end">'
        f'{escape(fmt_date(items[-1].start_at, "medium"))}</text>',
    ]
