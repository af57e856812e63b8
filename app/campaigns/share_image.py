"""The share image of a campaign page: a 1200×630 PNG for social cards, kept per count bucket.

A page view only builds the image's URL (`share_image_url`). When a confirmation (or the
review desk releasing held signatures) moves the count into a new bucket, the drawing is
queued for each of the campaign's languages (`jobs.queue_share_images_after_counting`), so
crawlers find it drawn; the first request of the URL draws it if no job has yet. It is then
served from its file. The URL names the language and a count bucket (the count rounded down
to two significant figures), so the image changes a few dozen times over a campaign's life,
not at every signature, and each version can be cached for a year.
"""

import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, format_number, get_translations
from flask_babel import gettext as _
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, features

from app.campaigns.pages import CampaignPage, progress_percent
from app.core.i18n import text_direction
from app.core.urls import absolute_url

log = logging.getLogger("rally.campaigns")

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
TITLE_SIZE, TITLE_LINES, TITLE_LEADING = 64, 3, 1.25
COUNT_SIZE, SITE_SIZE = 44, 32
BAR_HEIGHT = 28
BACKGROUND, INK, MUTED = "#ffffff", "#1a1a1a", "#555555"
ACCENT, TRACK = "#0b5cad", "#dde6f0"
# Part of every file name: a change to the drawing below gets new files, not old ones.
DRAWING_VERSION = "1"

# Font families by fontconfig name, tried in order until one has every character of the
# text: Noto Sans Arabic has no Latin letters, so an Arabic title with a Latin word falls
# through to DejaVu Sans, which has both.
FAMILIES = {
    "rtl": ("Noto Sans Arabic", "DejaVu Sans"),
    "ltr": ("Noto Sans", "DejaVu Sans"),
}


def count_bucket(count: int) -> int:
    """`count` rounded down to two significant figures (12,345 → 12,000; 87 → 87)."""
    if count < 100:
        return max(count, 0)
    step = 10 ** (len(str(count)) - 2)
    return count // step * step


def share_image_url(page: CampaignPage) -> str:
    """The absolute URL of the page's share image for its current count bucket."""
    return absolute_url(
        "campaigns.share_image",
        slug=page.slug,
        language=page.language,
        bucket=count_bucket(page.count),
    )


def share_image_file(page: CampaignPage, bucket: int) -> Path | None:
    """The file of the page's share image for `bucket`, drawn now if it is the current one.

    An image drawn for an earlier bucket is still served (a link shared a moment before the
    count moved on keeps its picture); any other bucket gets None, so a URL can never make
    the server draw an image of a count the campaign does not have.
    """
    path = _image_path(page, bucket)
    if path.exists():
        return path
    if bucket != count_bucket(page.count):
        return None
    return _render_to_file(page, path)


def prerender_share_image(page: CampaignPage) -> Path:
    """Draw the image of the page's current bucket unless its file exists already."""
    path = _image_path(page, count_bucket(page.count))
    return path if path.exists() else _render_to_file(page, path)


def _image_path(page: CampaignPage, bucket: int) -> Path:
    # The title, goal and site name are in the picture too: an edit to any of them gets a
    # new file under the same URL (caches that kept the old one keep it until they expire).
    with force_locale(page.language):
        site_name = _("Rally")
    drawn = "\n".join([DRAWING_VERSION, page.title, str(page.goal), site_name])
    digest = hashlib.sha256(drawn.encode()).hexdigest()[:12]
    folder = Path(current_app.config["SHARE_IMAGES_PATH"]) / str(page.id)
    return folder / f"{page.language}-{bucket}-{digest}.png"


def _render_to_file(page: CampaignPage, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One drawer at a time per campaign, across processes; the others wait, then find the file.
    with open(path.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        data = render_share_image(page, count_bucket(page.count))
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)  # readers see the whole file or none
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return path


def render_share_image(page: CampaignPage, count: int | None = None) -> bytes:
    """A 1200×630 PNG: the title, the count, a bar towards the goal and the site name.

    `count` is the number shown (the page's count unless given); the picture is laid out
    right to left for right-to-left languages.
    """
    count = page.count if count is None else count
    direction = text_direction(page.language)
    with force_locale(page.language):
        # The catalogue's own plural forms, with the number formatted for the language
        # (flask_babel's ngettext would put it in unformatted).
        count_text = get_translations().ngettext(
            "%(num)s signature", "%(num)s signatures", count
        ) % {"num": format_number(count)}
        site_name = _("Rally")
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    writer = _Writer(draw, direction, page.language)

    # Lines are placed by their baselines: Arabic and Latin faces have different ascents.
    title_font = writer.font(page.title, TITLE_SIZE)
    baseline = MARGIN + TITLE_SIZE
    for line in _wrap(page.title, title_font, writer, WIDTH - 2 * MARGIN, TITLE_LINES):
        writer.text(baseline, line, title_font, INK)
        baseline += int(TITLE_SIZE * TITLE_LEADING)

    bar_top = HEIGHT - MARGIN - SITE_SIZE - 56 - BAR_HEIGHT
    writer.text(bar_top - 28, count_text, writer.font(count_text, COUNT_SIZE), INK)
    _progress_bar(draw, bar_top, progress_percent(count, page.goal), direction)
    writer.text(HEIGHT - MARGIN, site_name, writer.font(site_name, SITE_SIZE), MUTED)

    output = BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def _progress_bar(draw, top: int, percent: int, direction: str) -> None:
    left, right = MARGIN, WIDTH - MARGIN
    box = (left, top, right, top + BAR_HEIGHT)
    draw.rounded_rectangle(box, radius=BAR_HEIGHT // 2, fill=TRACK)
    filled = (right - left) * percent // 100
    if filled < BAR_HEIGHT:  # too short for its rounded ends: a sliver would look broken
        return
    if direction == "rtl":  # the bar grows from the start of the line, on the right
        box = (right - filled, top, right, top + BAR_HEIGHT)
    else:
        box = (left, top, left + filled, top + BAR_HEIGHT)
    draw.rounded_rectangle(box, radius=BAR_HEIGHT // 2, fill=ACCENT)


class _Writer:
    """Draws lines of text from the start edge of the language's direction."""

    def __init__(self, draw, direction: str, language: str):
        self.draw, self.direction, self.language = draw, direction, language
        self.layout = _layout_engine()

    def font(self, text: str, size: int):
        return _font(_font_file(text, self.direction), size, self.layout)

    def _options(self) -> dict:
        if self.layout != ImageFont.Layout.RAQM:
            return {}
        return {"direction": self.direction, "language": self.language}

    def width(self, text: str, font) -> float:
        return font.getlength(text, **self._options())

    def text(self, baseline: int, text: str, font, fill: str) -> None:
        start, anchor = (WIDTH - MARGIN, "rs") if self.direction == "rtl" else (MARGIN, "ls")
        self.draw.text(
            (start, baseline), text, font=font, fill=fill, anchor=anchor, **self._options()
        )


def _wrap(text: str, font, writer: _Writer, width: int, max_lines: int) -> list[str]:
    """Lines of whole words no wider than `width`; the last one ends in … if text is left."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while writer.width(line, font) > width and len(line) > 1:  # one word wider than a line
            cut = len(line) - 1
            while cut > 1 and writer.width(line[:cut], font) > width:
                cut -= 1
            words.insert(0, line[cut:])
            line = line[:cut]
        while words and writer.width(line + " " + words[0], font) <= width:
            line += " " + words.pop(0)
        lines.append(line)
    if words and lines:
        path = getattr(font, "path", None)
        # Noto Sans Arabic has no "…": three full stops instead.
        ellipsis = "…" if path is None or ord("…") in _characters(path) else "..."
        last = lines[-1]
        while last and writer.width(last + ellipsis, font) > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines[-1] = last.rstrip() + ellipsis
    return lines


@lru_cache(maxsize=1)
def _layout_engine():
    if features.check("raqm"):
        return ImageFont.Layout.RAQM
    # Without libraqm (and FriBiDi) Arabic comes out unjoined and left to right.
    log.warning("Pillow has no RAQM text layout: share images of Arabic pages are not shaped")
    return ImageFont.Layout.BASIC


@lru_cache(maxsize=32)
def _font(path: str | None, size: int, layout):
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size, layout_engine=layout)


def _font_file(text: str, direction: str) -> str | None:
    """The first family of the direction's list that has every character of `text`."""
    needed = {ord(char) for char in text if not char.isspace()}
    found = [path for family in FAMILIES[direction] if (path := _family_file(family))]
    for path in found:
        if needed <= _characters(path):
            return path
    return found[-1] if found else None


@lru_cache(maxsize=16)
def _family_file(family: str) -> str | None:
    """The bold face of `family` as fontconfig finds it, or None when it is not installed."""
    try:
        result = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}", f"{family}:bold"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    families, _tab, path = result.stdout.partition("\t")
    # fc-match always answers, with some other font when the family is missing.
    if family not in families.split(",") or not path:
        return None
    return path


@lru_cache(maxsize=16)
def _characters(path: str) -> frozenset[int]:
    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or {})
