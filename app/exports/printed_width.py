"""How wide text prints in the delivery list's fonts, so that its columns line up in any script.

The list is plain text, one <pre> a page (an element per cell would halve WeasyPrint's speed),
so a column lines up only if every cell before it is exactly as wide as its own column.
Digits, dates and Latin text print in Liberation Mono, one column each; a country named in
Arabic or Chinese falls back to Noto Sans Arabic or Noto Sans CJK, whose widths vary. Those
are measured here with the shaping WeasyPrint's Pango uses (HarfBuzz, through Pillow's
libraqm), and the cell is filled out with plain spaces of two widths: Pango draws a space in
the font of the text before it, so spaces inside the cell's isolate are the text's font's
(0.26 em in Noto Sans Arabic), and spaces after the isolate are Liberation Mono's (0.6 em).
A mix of the two comes within a fiftieth of an em of any width. (Spaces of other widths,
such as HAIR SPACE, would print right, but a font without them draws them with its space
glyph, and the text layer would then give back the words' own spaces as hair spaces.)
"""

import logging
import subprocess
import unicodedata
from functools import lru_cache

from fontTools.ttLib import TTFont
from PIL import ImageFont, features

log = logging.getLogger("rally.exports")

# The fonts of the list, in the order of `.sheet`'s font-family in templates/pdf/delivery.css:
# Pango draws each character in the first of them that has it.
LIST_FAMILIES = ("Liberation Mono", "Noto Sans Arabic", "Noto Sans CJK SC", "DejaVu Sans Mono")
# One list column: Liberation Mono's advance (1229/2048 em).
COLUMN_EM = 1229 / 2048
# Measured at this many pixels to the em, so Pillow's rounding is far below what shows.
SIZE = 2048
# At most this many spaces of the text's own font in a cell's padding.
OWN_SPACES = 10


@lru_cache(maxsize=8)
def _font_file(family: str) -> tuple[str, int] | None:
    """The regular face of `family` (file and index in it), or None when it is not installed."""
    try:
        result = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}\t%{index}", family],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    families, _tab, rest = result.stdout.partition("\t")
    path, _tab, index = rest.partition("\t")
    # fc-match always answers, with some other font when the family is missing.
    if family not in families.split(",") or not path:
        return None
    return path, int(index or 0)


@lru_cache(maxsize=8)
def _characters(path: str, index: int) -> frozenset[int]:
    with TTFont(path, lazy=True, fontNumber=index) as font:
        return frozenset(font.getBestCmap() or {})


@lru_cache(maxsize=8)
def _pillow_font(path: str, index: int):
    if features.check("raqm"):
        layout = ImageFont.Layout.RAQM
    else:  # Arabic is measured unjoined: close, not exact
        log.warning("Pillow has no RAQM text layout: Arabic columns of delivery PDFs may wobble")
        layout = ImageFont.Layout.BASIC
    return ImageFont.truetype(path, SIZE, index=index, layout_engine=layout)


def _fonts() -> list[tuple[str, int]]:
    return [found for family in LIST_FAMILIES if (found := _font_file(family))]


def _drawn(ch: str) -> bool:
    """False for spaces and invisible characters, which Pango draws in the font before them."""
    return not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")


def _runs(text: str) -> list[tuple[tuple[str, int] | None, str]]:
    """`text` cut where the font changes: (font file and index, or None if none has it, run)."""
    fonts = _fonts()
    runs: list[tuple[tuple[str, int] | None, str]] = []
    current: tuple[str, int] | None = fonts[0] if fonts else None
    pending = ""  # spaces before the first drawn character take its font
    for ch in text:
        if not _drawn(ch):
            if runs:
                runs[-1] = (runs[-1][0], runs[-1][1] + ch)
            else:
                pending += ch
            continue
        font = next((f for f in fonts if ord(ch) in _characters(*f)), None)
        if runs and font == current:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, pending + ch))
            pending = ""
        current = font
    if pending:
        runs.append((current, pending))
    return runs


def width_em(text: str) -> float:
    """How wide `text` prints, in ems of the list's font size."""
    total = 0.0
    for font, run in _runs(text):
        if font is None:  # no list font has it: some fallback font, about an em a character
            total += sum(1.0 for ch in run if _drawn(ch))
            continue
        total += _pillow_font(*font).getlength(run) / SIZE
    return total


def width_columns(text: str) -> float:
    """How many list columns `text` takes when printed (fractions of one for Arabic and CJK)."""
    return width_em(text) / COLUMN_EM


def cell(text: str, columns: int, start: str, end: str) -> str:
    """`text` between the isolate marks `start` and `end`, spaced out to `columns` columns.

    Some spaces go inside the isolate, in the text's font, the rest after it, at least one,
    in Liberation Mono's (see the module's docstring); a cell of Liberation Mono text has
    only the latter, whole columns.
    """
    rest = columns * COLUMN_EM - width_em(text)
    runs = _runs(text)
    mono = _fonts()[0] if _fonts() else None
    own = _space_em(runs[-1][0]) if runs and runs[-1][0] not in (None, mono) else 0.0
    best = (float("inf"), 0, max(1, round(rest / COLUMN_EM)))
    for inside in range(OWN_SPACES if own else 1):
        after = max(1, round((rest - inside * own) / COLUMN_EM))
        error = abs(rest - inside * own - after * COLUMN_EM)
        if error < best[0] - 1e-9:
            best = (error, inside, after)
    _error, inside, after = best
    return f"{start}{text}{' ' * inside}{end}{' ' * after}"


def monospaced(text: str) -> bool:
    """True when all of `text` prints in Liberation Mono, one column a character."""
    fonts = _fonts()
    return bool(fonts) and all(font == fonts[0] for font, _ in _runs(text))


@lru_cache(maxsize=8)
def _space_em(font: tuple[str, int]) -> float:
    return _pillow_font(*font).getlength(" ") / SIZE


def wrapped(text: str, columns: int, measure=None) -> list[str]:
    """`text` in lines no wider than `columns`, broken at spaces if it can.

    Widths are printed list columns (width_columns) unless `measure` says otherwise.
    """
    measure = measure or width_columns
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if measure(candidate) <= columns:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:  # a word wider than the column is broken where it must be
            if line and measure(line + ch) > columns:
                lines.append(line)
                line = ""
            line += ch
    lines.append(line)
    return lines
