"""The delivery PDF's numbered list: rows laid out in pages here, the pages drawn with fpdf2.

Layout happens in the worker, before any drawing: every page holds LINES_PER_PAGE lines, a
row takes one line (more for a long name or country, and is never split across pages), so
the page count is known up front and each chunk can print "page X of Y" for the whole
document. The list is in proportional fonts (Noto Sans, then Noto Sans Arabic, Hebrew and
CJK for what it lacks; fonts.py), measured for wrapping with their advance widths.

Drawing happens in a child process (process.py loads this file by path, so nothing here
may import the `app` package): fpdf2 shapes with HarfBuzz and reorders each cell with the
Unicode bidi algorithm, every cell in a paragraph of its own, as an isolate would. Text all
in Noto Sans below Hebrew (Latin, Greek, Cyrillic, digits) needs no shaping and is written
directly, about four times faster. A cell is placed by its measured width, so columns line up in
any script; in a right-to-left document they are mirrored (the number on the right). Should
shaping make a line wider than its column, it is narrowed to fit (never a page more).
"""

import json
import re
import unicodedata
from dataclasses import asdict, dataclass

# A4 in points; the margins are the cover's (templates/pdf/delivery.css).
PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89
MARGIN, TOP = 39.69, 45.35
FONT_SIZE, LINE_HEIGHT, SMALL_SIZE = 8.5, 15.5, 8.0
LINES_PER_PAGE = 45
GAP = 9.0  # between columns
COUNTRY_WIDTH = 92.0
SEPARATOR = "·"
GREY = 68  # the running title and page number, as on the cover (#444)
# Embeddings, overrides and isolates: names are stored without them; dropped here too, so
# typed controls cannot turn a name's letters around (each cell is its own paragraph anyway).
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


class ListFailed(Exception):
    """The list cannot be laid out (no font, or a row taller than a page)."""


class Metrics:
    """Advance widths of characters in the list's fonts, for wrapping and column widths.

    Shaping can change a line's width a little (kerning, Arabic joining); the drawing side
    narrows a line that ends up too wide, so these need only be close.
    """

    def __init__(self, fonts: list[tuple[str, int]], size: float = FONT_SIZE):
        from fontTools.ttLib import TTFont

        self.tables = []
        for path, index in fonts:
            with TTFont(path, fontNumber=index, lazy=True) as font:
                scale = size / font["head"].unitsPerEm
                advances = font["hmtx"].metrics
                cmap = font.getBestCmap() or {}
                self.tables.append({c: advances[g][0] * scale for c, g in cmap.items()})
        self.size = size
        self.known: dict[str, float] = {}
        self.missing: set[str] = set()  # characters none of the fonts has

    def char(self, ch: str) -> float:
        """The advance of `ch` in the first font that has it (an em if none has)."""
        width = self.known.get(ch)
        if width is None:
            code = ord(ch)
            if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf":
                width = 0.0
            else:
                width = next((t[code] for t in self.tables if code in t), None)
                if width is None and not ch.isspace():
                    self.missing.add(ch)
                width = self.size if width is None else width
            self.known[ch] = width
        return width

    def width(self, text: str) -> float:
        """How wide `text` prints, in points."""
        char = self.char
        return sum(char(ch) for ch in text)

    def wrapped(self, text: str, width: float) -> list[str]:
        """`text` in lines no wider than `width`, broken at spaces where it can be."""
        if self.width(text) <= width:
            return [text]
        lines, line = [], ""
        for word in text.split(" "):
            candidate = f"{line} {word}" if line else word
            if self.width(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            for ch in word:  # a word wider than the column is broken where it must be
                if line and self.width(line + ch) > width:
                    lines.append(line)
                    line = ""
                line += ch
        lines.append(line)
        return lines


@dataclass
class Columns:
    """Widths of the columns in points: number, date, country, then the name (the rest)."""

    number: float
    date: float
    country: float
    text: float

    def starts(self) -> list[float]:
        """Where each column starts, from the left margin, in a left-to-right page."""
        starts, x = [], MARGIN
        for width in (self.number, self.date, self.country, self.text):
            starts.append(x)
            x += width + GAP
        return starts


def columns_for(metrics: Metrics, headings: list[str], last_number: int) -> Columns:
    """Columns wide enough for their headings, the largest number and a date."""
    number = max(metrics.width(headings[0]), metrics.width("8" * len(str(last_number))))
    date = max(metrics.width(headings[1]), metrics.width("2026-12-31"))
    country = max(metrics.width(headings[2]), COUNTRY_WIDTH)
    text = PAGE_WIDTH - 2 * MARGIN - number - date - country - 3 * GAP
    return Columns(number, date, country, text)


def layout(rows, first_number: int, metrics: Metrics, columns: Columns, country_name, names_only):
    """The pages of `rows` (name, locality, country code, confirmed at) as lines of cells.

    A line is [number, date, country, pieces]: the pieces of the name column, printed with
    SEPARATOR between them (a name and its locality; "" starts a locality's continuation).
    `country_name(code)` names a country in the document's language.
    """
    countries: dict[str, list[str]] = {}
    separated = metrics.width(f" {SEPARATOR} ")
    pages, page = [], []
    for i, (name, postcode, code, confirmed) in enumerate(rows):
        name, postcode = name.translate(BIDI_CONTROLS), (postcode or "").translate(BIDI_CONTROLS)
        parts = [[part] for part in metrics.wrapped(name, columns.text)]
        if postcode and not names_only:
            if metrics.width(parts[-1][0]) + separated + metrics.width(postcode) <= columns.text:
                parts[-1].append(postcode)
            else:
                room = columns.text - separated
                parts += [["", part] for part in metrics.wrapped(postcode, room)]
        code = code or ""
        if code not in countries:
            countries[code] = metrics.wrapped(country_name(code), columns.country)
        country = countries[code]
        lines = [[str(first_number + i), confirmed.date().isoformat(), country[0], parts[0]]]
        for line in range(1, max(len(parts), len(country))):
            lines.append(
                [
                    "",
                    "",
                    country[line] if line < len(country) else "",
                    parts[line] if line < len(parts) else [],
                ]
            )
        if len(lines) > LINES_PER_PAGE:
            raise ListFailed(f"row {first_number + i} takes {len(lines)} lines, more than a page")
        if len(page) + len(lines) > LINES_PER_PAGE:
            pages.append(page)
            page = []
        page.extend(lines)
    if page:
        pages.append(page)
    return pages


@dataclass
class ListJob:
    """What a child process needs to draw some list pages: fonts, texts and the lines."""

    fonts: list[tuple[str, int]]
    direction: str
    title: str
    page_label: tuple[str, str]  # the text before and after the page number
    first_page: int
    headings: list[str]
    columns: Columns
    pages: list

    def dump(self, path: str, pages_path: str | None = None) -> None:
        """Write the job as JSON for the child process, its pages to `pages_path` if given.

        Without `pages_path`, the pages are taken to be in `path + ".pages"` already: they
        are written once, as they are laid out, and the rest when the page numbers are known.
        """
        if pages_path is not None:
            dump_pages(self.pages, pages_path)
        header = {key: value for key, value in vars(self).items() if key != "pages"}
        header["columns"] = asdict(self.columns)
        header["pages_path"] = pages_path or path + ".pages"
        with open(path, "w", encoding="utf-8") as file:
            json.dump(header, file, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> "ListJob":
        """Read a job written by dump()."""
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        data["columns"] = Columns(**data["columns"])
        with open(data.pop("pages_path"), encoding="utf-8") as file:
            data["pages"] = json.load(file)
        return cls(**data)


def dump_pages(pages: list, path: str) -> None:
    """Write laid-out pages as JSON, for a job to read."""
    with open(path, "w", encoding="utf-8") as file:
        json.dump(pages, file, ensure_ascii=False, check_circular=False)


class _Drawer:
    """fpdf2 with the list's fonts, writing each cell as fast as its script allows."""

    def __init__(self, job: ListJob):
        from fpdf import FPDF

        self.pdf = pdf = FPDF(unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margin(0)
        pdf.c_margin = 0
        pdf.set_creator("Rally")
        pdf.set_producer("Rally")
        self.names = []
        for index, (path, number) in enumerate(job.fonts):
            pdf.add_font(f"list{index}", fname=path, collection_font_number=number)
            self.names.append(f"list{index}")
        self.cmaps = [frozenset(map(chr, pdf.fonts[name].cmap)) for name in self.names]
        self.primary = pdf.fonts[self.names[0]]
        self.plain = frozenset(
            ch for ch in self.cmaps[0] if " " <= ch < "\u0590" and not unicodedata.combining(ch)
        )
        self.rtl = job.direction == "rtl"
        self.placed: list[tuple[float, str, float, bool]] = []
        self.drawn: dict = {}  # shaped texts as written, by text, stretching, size, colour
        self.widths: dict = {}
        self._font(0)

    def _font(self, first: int) -> None:
        """Draw in font `first`, the others taking what it lacks."""
        pdf = self.pdf
        pdf.set_font(self.names[first], size=pdf.font_size_pt or FONT_SIZE)
        pdf.set_fallback_fonts([name for i, name in enumerate(self.names) if i != first])

    def _shaped(self, text: str):
        """Set up shaping for `text`, in the font that has most of it.

        A space in a run of Arabic is then the Arabic font's, and the run stays one string
        in the PDF, which text extraction gives back in reading order.
        """
        letters = set(text) - {" "}
        best = max(range(len(self.cmaps)), key=lambda i: (len(letters & self.cmaps[i]), -i))
        self._font(best)
        self.pdf.set_text_shaping(True)

    def _unshaped(self) -> None:
        self.pdf.set_text_shaping(False)
        self._font(0)

    def width(self, text: str, again=False) -> float:
        """The printed width of `text` in the current size (kept if it comes `again`)."""
        if self.plain.issuperset(text):
            # The font's own sum of advances: get_string_width would run the bidi algorithm.
            return self.primary.get_text_width(text, self.pdf.font_size_pt, None)[1]
        key = (text, self.pdf.font_size_pt)
        width = self.widths.get(key)
        if width is None:
            self._shaped(text)
            width = self.pdf.get_string_width(text)
            self._unshaped()
            if again:
                self.widths[key] = width
        return width

    def place(self, left: float, right: float, text: str, end=False, again=False) -> float:
        """Put `text` between `left` and `right` (x, pt), at its start or its end.

        The start is the document's (the right in a right-to-left page) unless `end`;
        returns the width used. A text too wide for the room is narrowed to fit. `again`:
        the same text comes back often (a country, a heading), so it is shaped only once.
        """
        if not text:
            return 0.0
        width, room = self.width(text, again), right - left
        stretch = 100.0
        if width > room + 0.01:
            stretch, width = 100 * room / width, room
        self.placed.append((right - width if self.rtl != end else left, text, stretch, again))
        return width

    def draw(self, baseline: float) -> None:
        """Draw what was placed on a line, left to right (so extraction reads in that order)."""
        pdf = self.pdf
        for x, text, stretch, again in sorted(self.placed):
            if self.plain.issuperset(text):
                if stretch != 100.0:
                    pdf.set_stretching(stretch)
                pdf.text(x, baseline, text)
                if stretch != 100.0:
                    pdf.set_stretching(100)
                continue
            key = (text, stretch, pdf.font_size_pt, str(pdf.text_color))
            drawn = self.drawn.get(key)
            if drawn is not None:
                self._draw_again(x, baseline, *drawn)
            elif again:
                self.drawn[key] = self._draw_shaped(x, baseline, text, stretch)
            else:
                self._draw_shaped(x, baseline, text, stretch)
        self.placed = []

    def _draw_shaped(self, x: float, baseline: float, text: str, stretch: float):
        """Shape and draw `text`; returns what it wrote, to draw it again elsewhere."""
        pdf = self.pdf
        contents = pdf.pages[pdf.page].contents
        start = len(contents)
        # Written whole, with its own font and stretching: no state from before is assumed.
        pdf.current_font_is_set_on_page = False
        pdf.set_stretching(stretch)
        self._shaped(text)
        # A cell puts the baseline 0.3 em under its middle.
        pdf.set_xy(x, baseline - LINE_HEIGHT / 2 - 0.3 * pdf.font_size)
        pdf.cell(pdf.get_string_width(text) + 1, LINE_HEIGHT, text)
        self._unshaped()
        pdf.set_stretching(100)
        written = bytes(contents[start:])
        fonts = {int(number) for number in re.findall(rb"/F(\d+) ", written)}
        return written, x, baseline, fonts

    def _draw_again(self, x, baseline, written: bytes, x0, baseline0, fonts) -> None:
        """Draw shaped text again at (x, baseline), moved from where it was first drawn.

        A country's name is in every row of an Arabic list: shaping it once, not each
        time, makes such a list several times faster.
        """
        from fpdf.enums import PDFResourceType

        pdf = self.pdf
        for number in fonts:
            pdf._resource_catalog.add(PDFResourceType.FONT, number, pdf.page)
        # q … Q: whatever it sets (font, stretching) ends with it.
        pdf._out(f"q 1 0 0 1 {x - x0:.2f} {baseline0 - baseline:.2f} cm".encode() + b"\n")
        pdf._out(written + b"Q")


def _span(left: float, width: float, rtl: bool) -> tuple[float, float]:
    """A column's left and right edges on the page, mirrored in a right-to-left page."""
    return (PAGE_WIDTH - left - width, PAGE_WIDTH - left) if rtl else (left, left + width)


def draw_list(job: ListJob, pdf_path: str) -> int:
    """Draw the job's pages into `pdf_path`; returns how many pages were drawn."""
    drawer = _Drawer(job)
    pdf, rtl, columns = drawer.pdf, drawer.rtl, job.columns
    starts = columns.starts()
    widths = (columns.number, columns.date, columns.country, columns.text)
    spans = [_span(start, width, rtl) for start, width in zip(starts, widths, strict=True)]
    before, after = job.page_label
    body_right = PAGE_WIDTH - MARGIN
    for index, lines in enumerate(job.pages):
        pdf.add_page()
        pdf.set_font_size(SMALL_SIZE)
        pdf.set_text_color(GREY)
        # The title where lines start, the page number where they end (as on the cover).
        drawer.place(MARGIN, body_right, job.title, again=True)
        drawer.draw(TOP - 16)
        drawer.place(MARGIN, body_right, f"{before}{job.first_page + index}{after}", end=True)
        drawer.draw(PAGE_HEIGHT - 22)
        pdf.set_text_color(0)
        pdf.set_font_size(FONT_SIZE)
        baseline = TOP + FONT_SIZE
        for column, (heading, (left, right)) in enumerate(zip(job.headings, spans, strict=True)):
            # Numbers are set flush right in either direction, so their digits line up.
            drawer.place(left, right, heading, end=column == 0 and not rtl, again=True)
        drawer.draw(baseline)
        pdf.set_line_width(0.5)
        pdf.line(MARGIN, baseline + 4, body_right, baseline + 4)
        space = drawer.width(" ")
        for number, date, country, pieces in lines:
            baseline += LINE_HEIGHT
            (n_left, n_right), (d_left, d_right), (c_left, c_right), (t_left, t_right) = spans
            drawer.place(n_left, n_right, number, end=not rtl)
            drawer.place(d_left, d_right, date)
            drawer.place(c_left, c_right, country, again=True)
            for piece in _with_separators(pieces):
                used = drawer.place(t_left, t_right, piece)
                if used:
                    used += space
                    t_left, t_right = (t_left, t_right - used) if rtl else (t_left + used, t_right)
            drawer.draw(baseline)
    pdf.output(pdf_path)
    return len(job.pages)


def _with_separators(pieces: list[str]) -> list[str]:
    """The pieces of a name cell with SEPARATOR between them, each drawn on its own."""
    out = []
    for index, piece in enumerate(pieces):
        if index:
            out.append(SEPARATOR)
        out.append(piece)
    return out
