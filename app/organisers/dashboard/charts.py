"""Charts drawn on the server as inline SVG: no script, nothing fetched from elsewhere."""

from datetime import date, datetime

from markupsafe import Markup, escape

from app.core.display_text import isolate_ltr

HEIGHT = 180  # px, whatever the width
FONT_SIZE = 12  # px: the labels stay this size on every screen, phones included
TOP = 22  # where the tallest bar ends, under the top figure's label
BASELINE = HEIGHT - 24  # the bars stand on it; the first and last days are written below


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

    No viewBox: the drawing is as wide as its box, with bars placed in percentages of that
    width and everything else in pixels, so its text stays FONT_SIZE pixels on any screen
    (a scaled viewBox drew the labels at 5 px on a phone). The top figure is written above a
    line at the tallest bar's height, inside the drawing, so no margin needs a fixed width.
    Presentation attributes only (no style attribute), so the CSP needs no exception.
    """
    slot = 100 / max(len(bars), 1)  # percent of the width per bar
    top = max([count for _, count, _ in bars] + [1])
    plot_height = BASELINE - TOP
    text = f'font-size="{FONT_SIZE}" fill="currentColor"'
    parts = [
        # Time runs left to right in both directions of text; without direction="ltr" an
        # Arabic page would anchor the axis labels at the wrong ends (and clip them).
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{title_id}" width="100%" height="{HEIGHT}" direction="ltr">',
        f'<title id="{title_id}">{escape(title)}</title>',
        # The scale: the largest figure over a dashed line at its height, and the baseline.
        f'<text x="0" y="{TOP - 6}" {text}>{top}</text>',
        f'<line x1="0" y1="{TOP}" x2="100%" y2="{TOP}" stroke="currentColor" '
        f'stroke-width="1" stroke-dasharray="2 3"/>',
        f'<line x1="0" y1="{BASELINE}" x2="100%" y2="{BASELINE}" stroke="currentColor" '
        f'stroke-width="1"/>',
    ]
    for index, (_, count, tooltip) in enumerate(bars):
        if count <= 0:
            continue
        height = max(1.0, plot_height * count / top)
        parts.append(
            f'<rect class="bar" x="{index * slot + slot * 0.1:.4f}%" y="{BASELINE - height:.1f}" '
            f'width="{slot * 0.8:.4f}%" height="{height:.1f}" fill="#1d70b8">'
            f"<title>{escape(tooltip)}</title></rect>"
        )
    if bars:
        below = HEIGHT - 6
        parts.append(f'<text x="0" y="{below}" {text}>{escape(bars[0][0])}</text>')
        parts.append(
            f'<text x="100%" y="{below}" text-anchor="end" {text}>{escape(bars[-1][0])}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
