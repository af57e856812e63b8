"""The delivery PDF: a cover with the figures and a QR code, then the numbered signature list.

Rendering is the slow, memory-hungry part, so the list is cut into chunks of whole pages and
each chunk is rendered by WeasyPrint in a child process of its own (app/exports/pdf/process.py)
with `resource` limits on memory and CPU: a hostile or huge input fails that one export with
a clear message, never the worker that asked for it. Two chunks render at a time; they are
joined with each font embedded once (app/exports/pdf/join.py).

Pages are laid out here, not by WeasyPrint: every list page holds LINES_PER_PAGE monospaced
lines, a row taking one line (more for a long name, never split across pages), so the page
count is known before rendering and each chunk is told the number of its first page and the
document's total ("page X of Y" stays right across chunks). The columns follow the document's
direction: in Arabic the number is on the right and the name on the left.
"""

import logging
import math
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import nh3
import segno
from flask import current_app, render_template
from flask_babel import force_locale, format_date, gettext
from markupsafe import Markup
from pypdf import PdfReader
from sqlalchemy import func, select

from app.campaigns.models import Campaign
from app.campaigns.tallies import locality_key
from app.core.countries import country_choices
from app.core.database import utcnow
from app.core.i18n import text_direction
from app.core.text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from app.core.urls import absolute_url
from app.exports import printed_width
from app.exports.models import Export
from app.exports.pdf import process as pdf_process
from app.exports.pdf.join import merge_pdfs
from app.exports.pdf.process import EXIT_OUT_OF_MEMORY
from app.extensions import db
from app.organisers.models import Organisation
from app.signatures.models import CONFIRMED, Signature

log = logging.getLogger("rally.exports")

# A list page: this many lines of LINE_COLUMNS monospaced columns (8.5pt Liberation Mono on A4:
# 98.8 columns fit between the page's margins and the body's, and the page clips the rest).
LINES_PER_PAGE = 45
LINE_COLUMNS = 98
# Most countries' names fit on one line of this many columns; longer ones go on under it.
COUNTRY_COLUMNS = 18
LEFT_TO_RIGHT_ISOLATE, RIGHT_TO_LEFT_ISOLATE, POP_ISOLATE = "\u2066", "\u2067", "\u2069"
TOP_LOCALITIES = 10
STYLESHEET = Path(__file__).resolve().parents[2] / "templates" / "pdf" / "delivery.css"
RENDER_SCRIPT = Path(pdf_process.__file__)


class DeliveryFailed(Exception):
    """The delivery PDF could not be made; the message is shown to the organiser."""


@dataclass
class DeliveryFacts:
    """What the document states: the count, the signing period and the breakdowns."""

    confirmed_count: int
    period_start: datetime | None
    period_end: datetime | None
    countries: list[tuple[str, int]] = field(default_factory=list)
    localities: list[tuple[str, int]] = field(default_factory=list)


def delivery_facts(campaign_id: int, with_localities: bool = True) -> DeliveryFacts:
    """Count, period and breakdowns of the confirmed signatures, as of now.

    Everything after is filtered by `confirmed_at <= period_end`, so signatures confirmed
    while the export runs change neither the list nor the figures printed above it.
    """
    start, end = db.session.execute(
        select(func.min(Signature.confirmed_at), func.max(Signature.confirmed_at)).where(
            Signature.campaign_id == campaign_id, Signature.state == CONFIRMED
        )
    ).one()
    if end is None:
        return DeliveryFacts(0, None, None)
    included = _included(campaign_id, end)
    by_country = db.session.execute(
        select(Signature.country, func.count())
        .where(*included)
        .group_by(Signature.country)
        .order_by(func.count().desc(), Signature.country)
    ).all()
    facts = DeliveryFacts(sum(n for _, n in by_country), start, end, list(by_country))
    if with_localities:
        folded: Counter = Counter()
        shown: dict[str, str] = {}
        rows = db.session.execute(
            select(Signature.postcode, func.count())
            .where(*included, Signature.postcode != "")
            .group_by(Signature.postcode)
        )
        for postcode, count in rows:
            key, label = locality_key(postcode)
            folded[key] += count
            shown.setdefault(key, label)
        top = sorted(folded.items(), key=lambda item: (-item[1], item[0]))[:TOP_LOCALITIES]
        facts.localities = [(shown[key], count) for key, count in top]
    return facts


def _included(campaign_id: int, period_end: datetime):
    return (
        Signature.campaign_id == campaign_id,
        Signature.state == CONFIRMED,
        Signature.confirmed_at <= period_end,
    )


def css_string(text: str) -> str:
    """`text` as a CSS string literal: every character but ASCII letters and digits escaped.

    Six-digit escapes need no terminating space, so nothing typed can end the string; and
    spaces are escaped too, since a space right after an escape would be taken as its end.
    """
    body = "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}" for ch in text)
    return f'"{body}"'


def page_css(title: str, first_page: int, total_pages: int, direction: str = "ltr") -> str:
    """The @page rules of one chunk: running title, "page X of Y" counted from `first_page`.

    In a right-to-left language the margin boxes are right-to-left paragraphs, or the
    spaces around the page numbers would land on the wrong side of them.
    """
    marker = "\x00"
    label = gettext("Page %(page)s of %(pages)s", page=marker, pages=total_pages)
    before, _, after = label.partition(marker)
    running, before, after = css_string(title[:120]), css_string(before), css_string(after)
    # Empirically (WeasyPrint 70) the first page shows the value it is reset to.
    box = f"direction: {'rtl' if direction == 'rtl' else 'ltr'}"
    # The title on the side where lines start, the page number where they end.
    start, end = ("right", "left") if direction == "rtl" else ("left", "right")
    return (
        f"@page {{ @top-{start} {{ content: {running}; {box} }}"
        f" @bottom-{end} {{ content: {before} counter(page) {after}; {box} }} }}\n"
        f"@page :first {{ counter-reset: page {int(first_page)} }}\n"
    )


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code, an SVG in a data: URI (nothing to fetch)."""
    return segno.make(url, error="m").svg_data_uri(scale=3, border=2)


def cover_html(export: Export, campaign: Campaign, facts: DeliveryFacts, language: str) -> str:
    """The cover pages' HTML, in the current locale."""
    text = campaign.translation(language)
    organisation = (
        db.session.get(Organisation, campaign.organisation_id) if campaign.organisation_id else None
    )
    countries = dict(country_choices(language))
    url = absolute_url("verification.page", code=export.verification_code)
    return render_template(
        "pdf/cover.html",
        language=language,
        text=text,
        # Sanitised when loaded; cleaned again here, since what reaches WeasyPrint must be safe.
        body=Markup(resanitised_html(text.body_html)),
        organisation=organisation,
        facts=facts,
        countries=[
            (countries.get(code, code) or gettext("Not given"), n) for code, n in facts.countries
        ],
        generated=format_date(utcnow(), "long"),
        period_start=format_date(facts.period_start, "long") if facts.period_start else "",
        period_end=format_date(facts.period_end, "long") if facts.period_end else "",
        verification_url=url,
        qr=qr_data_uri(url),
        names_only=bool(export.options.get("names_only")),
    )


def resanitised_html(html: str) -> str:
    """Already-sanitised HTML run through the same allow-list once more (it is valid input)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
    )


def columns(text: str) -> int:
    """How many list columns `text` may take: an upper bound of its printed width.

    The list's font (Liberation Mono) draws Latin, Greek and Cyrillic one column wide;
    anything else comes from a fallback font (Arabic, Hebrew, CJK...) and is counted as two
    columns, which none of them exceeds in practice; combining marks take none.
    """
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in _ZERO_WIDTH:
            continue
        width += 1 if ord(ch) < 0x0530 or 0x2000 <= ord(ch) < 0x2070 else 2
    return width


_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def wrapped(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken at spaces where it can be."""
    return printed_width.wrapped(text, width, columns)


def isolated(text: str) -> str:
    """Text wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, as <bdi> would be.

    Invisible characters typed into a name could otherwise leave the isolate early, so bidi
    controls in it are dropped first (names are stored without them, this is a backstop).
    """
    return "\u2068" + text.translate(_BIDI_CONTROLS) + "\u2069"


_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def list_html(rows, first_number: int, language: str, names_only: bool) -> tuple[str, int]:
    """The HTML of some list pages and how many pages it is, headings on each page.

    A row is one line, or more for a name too long for one: every name and locality is
    printed whole, on continuation lines, and a row is never split across two pages. The
    country is named in the document's language, on more lines if it needs them.
    """
    number_heading, date_heading = gettext("No."), gettext("Confirmed on")
    country_heading = gettext("Country")
    width = max(5, _heading_columns(number_heading), len(str(first_number + len(rows))))
    date_width = max(10, _heading_columns(date_heading))
    country_width = max(COUNTRY_COLUMNS, _heading_columns(country_heading))
    # Each heading is a box as wide as its column, so the columns line up in any language.
    heading = [
        HeadingCell(number_heading, width, "right"),
        HeadingCell(date_heading, date_width),
        HeadingCell(country_heading, country_width),
        HeadingCell(gettext("Name") if names_only else gettext("Name · Locality")),
    ]
    direction = text_direction(language)
    # In a right-to-left line each cell is isolated, so the cells run from the right in
    # order; the number and date are left-to-right inside. Left to right they need nothing.
    lri, pdi = (LEFT_TO_RIGHT_ISOLATE, POP_ISOLATE) if direction == "rtl" else ("", "")
    date_padding = " " * (date_width - 10)
    before_country = " " * (width + 2 + date_width + 2)
    blank_country = " " * (country_width + 2)
    text_width = LINE_COLUMNS - len(before_country) - len(blank_country)
    pages, page = [], []
    for i, (name, postcode, country, confirmed) in enumerate(rows):
        parts = wrapped(name, text_width)
        if postcode and not names_only:
            if columns(f"{parts[-1]} · {postcode}") <= text_width:
                parts[-1] = f"{isolated(parts[-1])} · {isolated(postcode)}"
            else:
                parts += [f"· {isolated(part)}" for part in wrapped(postcode, text_width - 2)]
        parts = [part if "\u2068" in part else isolated(part) for part in parts]
        countries = country_cells(language, country or "", country_width)
        row = [
            f"{lri}{first_number + i:>{width}}{pdi}  {lri}{confirmed.date().isoformat()}{pdi}"
            f"{date_padding}  {countries[0]}{parts[0]}"
        ]
        for line in range(1, max(len(parts), len(countries))):
            country_cell = countries[line] if line < len(countries) else blank_country
            row.append(before_country + country_cell + (parts[line] if line < len(parts) else ""))
        if len(page) + len(row) > LINES_PER_PAGE:
            pages.append(page)
            page = []
        page.extend(row)
    if page:
        pages.append(page)
    html = render_template(
        "pdf/signatures.html",
        pages=pages,
        language=language,
        direction=direction,
        heading=heading,
    )
    return html, len(pages)


def _heading_columns(text: str) -> int:
    """The whole list columns a heading takes, in whatever font its language is printed."""
    return math.ceil(printed_width.width_columns(text) - 0.01)


@lru_cache(maxsize=4096)
def country_cells(language: str, code: str, width: int) -> tuple[str, ...]:
    """A country's list cell: its name in `language`, in lines exactly `width` columns wide.

    Each line is in an isolate of the document's direction, so the name starts where the
    column does (even "--", which has no direction of its own), and is spaced out to the
    column and the gap after it.
    """
    name = dict(country_choices(language)).get(code, code) if code else "--"
    rtl = text_direction(language) == "rtl"
    start = RIGHT_TO_LEFT_ISOLATE if rtl else LEFT_TO_RIGHT_ISOLATE
    cells = []
    for line in printed_width.wrapped(name, width):
        if not rtl and printed_width.monospaced(line):
            # Latin in a left-to-right line needs no isolate (a bidi run fewer for Pango).
            cells.append(printed_width.cell(line, width + 2, "", ""))
        else:
            cells.append(printed_width.cell(line, width + 2, start, POP_ISOLATE))
    return tuple(cells)


@dataclass
class HeadingCell:
    """A list column's heading: its text, its width in columns (0: the rest), its alignment."""

    text: str
    width: int = 0
    align: str = "start"


@dataclass
class _Chunk:
    html_path: str
    pdf_path: str
    rows: int
    pages: int
    process: subprocess.Popen | None = None
    started: float = 0.0


def _run_chunks(chunks: list[_Chunk], on_done: Callable[[_Chunk], None]) -> None:
    """Render the chunks, at most EXPORT_PDF_PROCESSES at a time, each within its limits."""
    config = current_app.config
    memory_mb = config["EXPORT_PDF_MEMORY_MB"]
    seconds = config["EXPORT_PDF_SECONDS"]
    parallel = max(1, config["EXPORT_PDF_PROCESSES"])
    waiting, running = list(chunks), []
    try:
        while waiting or running:
            while waiting and len(running) < parallel:
                chunk = waiting.pop(0)
                chunk.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-I",  # no user site, no script folder on the path
                        str(RENDER_SCRIPT),
                        chunk.html_path,
                        chunk.pdf_path,
                        str(memory_mb),
                        str(seconds),
                        str(STYLESHEET),
                        chunk.html_path + ".css",
                    ],
                    stdin=subprocess.DEVNULL,
                )
                chunk.started = time.monotonic()
                running.append(chunk)
            for chunk in list(running):
                # CPU time is capped by RLIMIT_CPU; wall time too, for a chunk stuck waiting.
                try:
                    code = chunk.process.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    if time.monotonic() - chunk.started > seconds * 2 + 30:
                        raise DeliveryFailed(_too_slow()) from None
                    continue
                running.remove(chunk)
                _check_exit(code)
                on_done(chunk)
    finally:
        for chunk in running:
            chunk.process.kill()
            chunk.process.wait()


def render_isolated(html: str, pdf_path: Path, page_rules: str = "") -> None:
    """Render one HTML document into `pdf_path` in a limited child process, as chunks are.

    Raises DeliveryFailed if the child fails or runs out of memory or time.
    """
    html_path = str(pdf_path) + ".html"
    Path(html_path).write_text(html, "utf-8")
    Path(html_path + ".css").write_text(page_rules, "utf-8")
    try:
        _run_chunks([_Chunk(html_path, str(pdf_path), 0, 0)], lambda chunk: None)
    finally:
        Path(html_path).unlink(missing_ok=True)
        Path(html_path + ".css").unlink(missing_ok=True)


def _too_slow() -> str:
    return gettext(
        "The PDF took longer to make than allowed. Try again later, or ask the site's "
        "administrators to raise the limit."
    )


def _check_exit(code: int) -> None:
    if code == 0:
        return
    if code == EXIT_OUT_OF_MEMORY or code == -9:
        raise DeliveryFailed(
            gettext("The PDF needed more memory than allowed, so it was not made.")
        )
    if code == -24:  # SIGXCPU: over RLIMIT_CPU
        raise DeliveryFailed(_too_slow())
    if code < 0:  # a crash: C libraries that cannot allocate under RLIMIT_AS abort
        raise DeliveryFailed(
            gettext("The PDF needed more memory or time than allowed, so it was not made.")
        )
    log.warning("A delivery PDF chunk exited with %s", code)
    raise DeliveryFailed(gettext("The PDF could not be made. Nothing was sent to anyone."))


def _count_pages(pdf_path: str) -> int:
    return len(PdfReader(pdf_path).pages)


def write_delivery_pdf(export: Export, path: Path, on_progress) -> None:
    """Render the delivery PDF of export.campaign_id into `path` (the caller commits).

    Sets export.confirmed_count, period_start and period_end; calls on_progress(done, total)
    as chunks finish; raises DeliveryFailed with a message for the organiser on any failure.
    """
    campaign = db.session.get(Campaign, export.campaign_id)
    if campaign is None:
        raise DeliveryFailed(gettext("The campaign no longer exists."))
    options = export.options or {}
    language = options.get("language") or campaign.default_language
    if language not in campaign.languages:
        language = campaign.default_language
    names_only = bool(options.get("names_only"))
    with force_locale(language):
        _write(export, campaign, Path(path), on_progress, language, names_only)


def _write(export, campaign, path: Path, on_progress, language: str, names_only: bool) -> None:
    facts = delivery_facts(campaign.id, with_localities=not names_only)
    export.confirmed_count = facts.confirmed_count
    export.period_start, export.period_end = facts.period_start, facts.period_end
    total = facts.confirmed_count
    on_progress(0, total)
    title = campaign.translation(language).title
    direction = text_direction(language)
    chunk_rows = max(1, current_app.config["EXPORT_PDF_CHUNK_ROWS"] // LINES_PER_PAGE)
    chunk_rows *= LINES_PER_PAGE  # whole pages per chunk, when every row is one line
    with tempfile.TemporaryDirectory(prefix="rally-pdf-") as work:
        chunks = _list_chunks(work, campaign.id, facts, language, names_only, chunk_rows)
        # The list as read is what the document states, even if a signature changed meanwhile.
        facts.confirmed_count = export.confirmed_count = total = sum(c.rows for c in chunks)
        list_pages = sum(chunk.pages for chunk in chunks)
        cover = _Chunk(f"{work}/cover.html", f"{work}/cover.pdf", 0, 0)
        Path(cover.html_path).write_text(cover_html(export, campaign, facts, language), "utf-8")
        # The cover's page count is only known once rendered; it rarely differs from one.
        cover_pages = 1
        for _attempt in range(3):
            Path(cover.html_path + ".css").write_text(
                page_css(title, 1, cover_pages + list_pages, direction), "utf-8"
            )
            _run_chunks([cover], lambda chunk: None)
            rendered = _count_pages(cover.pdf_path)
            if rendered == cover_pages:
                break
            cover_pages = rendered
        first_page = cover_pages + 1
        for chunk in chunks:
            Path(chunk.html_path + ".css").write_text(
                page_css(title, first_page, cover_pages + list_pages, direction), "utf-8"
            )
            first_page += chunk.pages
        done = 0

        def finished(chunk: _Chunk) -> None:
            nonlocal done
            if _count_pages(chunk.pdf_path) != chunk.pages:
                raise DeliveryFailed(
                    gettext("The PDF could not be made. Nothing was sent to anyone.")
                )
            done += chunk.rows
            on_progress(done, total)

        _run_chunks(chunks, finished)
        merge_pdfs([part.pdf_path for part in [cover, *chunks]], path, title)


def _list_chunks(work, campaign_id, facts, language, names_only, chunk_rows) -> list[_Chunk]:
    """Write each chunk's HTML, reading the rows from the database in order, a chunk at a time."""
    if not facts.confirmed_count:
        return []
    query = (
        select(Signature.name, Signature.postcode, Signature.country, Signature.confirmed_at)
        .where(*_included(campaign_id, facts.period_end))
        .order_by(Signature.confirmed_at, Signature.id)
        .execution_options(yield_per=chunk_rows)
    )
    chunks, number = [], 1
    for partition in db.session.execute(query).partitions(chunk_rows):
        index = len(chunks)
        html, pages = list_html(partition, number, language, names_only)
        chunk = _Chunk(
            f"{work}/list-{index}.html", f"{work}/list-{index}.pdf", len(partition), pages
        )
        Path(chunk.html_path).write_text(html, "utf-8")
        number += len(partition)
        chunks.append(chunk)
    return chunks
