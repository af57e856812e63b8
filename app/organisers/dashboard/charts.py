"""Charts drawn on the server as inline SVG: no script, nothing fetched from elsewhere."""

from datetime import date, datetime

from markupsafe import Markup, escape

from app.core.display_text import isolate_ltr

WIDTH = 720
HEIGHT = 180
MARGIN_TOP = 10
MARGIN_BOTTOM = 24
MARGIN_START = 48


def daily_bar_chart(days: list[tuple[date, int]], title: str, bar_label: str) -> Markup:
    """One bar per day that has any count; an image with `title` as its accessible name.

    `bar_label` is a format string with %(day)s and %(count)s for each bar's tooltip.
    """
    # A tooltip is plain text: Unicode's isolates keep the date whole in an Arabic one.
    bars = [
        (day.isoformat(), count, bar_label % {"day": isolate_ltr(day.isoformat()), "count": count})
        for day, count in days
    ]
    return bar_chart(bars, title)


def hourly_bar_chart(hours: list[tuple[datetime, int]], title: str, bar_label: str) -> Markup:
    """One bar per hour (UTC) that has any count; `bar_label` has %(hour)s and %(count)s."""
    bars = []
    for moment, count in hours:
        shown = moment.strftime("%Y-%m-%d %H:00")
        bars.append((shown, count, bar_label % {"hour": isolate_ltr(shown), "count": count}))
    return bar_chart(bars, title)


def bar_chart(bars: list[tuple[str, int, str]], title: str, title_id="chart-title") -> Markup:
    """Bars of (axis label, count, tooltip) left to right; the first and last labels shown.

    Presentation attributes only (no style attribute), so the CSP needs no exception.
    """
    slots = max(len(bars), 1)
    plot_width = WIDTH - MARGIN_START
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_width / slots
    top = max([count for _, count, _ in bars] + [1])
    parts = [
        # Time runs left to right in both directions of text; without direction="ltr" an
        # Arabic page would anchor the axis labels at the wrong ends (and clip them).
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{title_id}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" direction="ltr">',
        f'<title id="{title_id}">{escape(title)}</title>',
        # Axis: the baseline and the largest figure.
        f'<line x1="{MARGIN_START}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH}" '
        f'y2="{HEIGHT - MARGIN_BOTTOM}" stroke="currentColor" stroke-width="1"/>',
        f'<text x="{MARGIN_START - 6}" y="{MARGIN_TOP + 10}" text-anchor="end" '
        f'font-size="12" fill="currentColor">{top}</text>',
        f'<text x="{MARGIN_START - 6}" y="{HEIGHT - MARGIN_BOTTOM}" text-anchor="end" '
        f'font-size="12" fill="currentColor">0</text>',
    ]
    for index, (_, count, tooltip) in enumerate(bars):
        if count <= 0:
            continue
        height = max(1.0, plot_height * count / top)
        x = MARGIN_START + index * slot + slot * 0.1
        y = HEIGHT - MARGIN_BOTTOM - height
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(slot * 0.8, 1):.1f}" '
            f'height="{height:.1f}" fill="#1d70b8"><title>{escape(tooltip)}</title></rect>'
        )
    if bars:
        baseline = HEIGHT - 6
        parts.append(
            f'<text x="{MARGIN_START}" y="{baseline}" font-size="12" '
            f'fill="currentColor">{escape(bars[0][0])}</text>'
        )
        parts.append(
            f'<text x="{WIDTH}" y="{baseline}" text-anchor="end" font-size="12" '
            f'fill="currentColor">{escape(bars[-1][0])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
