"""The delivery PDF: a cover with the figures and a QR code, then the numbered signature list.

Making it is slow and memory-hungry, so each part is made in a child process of its own
(app/exports/pdf/parts.py) with `resource` limits on memory and CPU: a hostile or huge
input fails that one export with a clear message, never the worker that asked for it. The
cover is HTML rendered by WeasyPrint; the list is laid out here, in chunks of whole pages
(app/exports/pdf/signature_list.py), and each chunk is drawn by fpdf2, two at a time. The
page count is known before anything is drawn, so each part is told the number of its first
page and the document's total ("page X of Y" stays right across chunks). The parts are
joined with qpdf (app/exports/pdf/join.py). The columns follow the document's direction: in
Arabic the number is on the right and the name on the left.
"""

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nh3
import pikepdf
import segno
from flask import current_app, render_template
from flask_babel import force_locale, format_date, gettext
from markupsafe import Markup
from sqlalchemy import func, select

from app.campaigns.models import Campaign
from app.campaigns.tallies import locality_key
from app.core.countries import country_choices
from app.core.database import utcnow
from app.core.i18n import text_direction
from app.core.text import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from app.core.urls import absolute_url
from app.exports.models import Export
from app.exports.pdf import fonts as list_fonts
from app.exports.pdf import signature_list
from app.exports.pdf.join import join_pdfs
from app.exports.pdf.parts import Part, PartFailed, cannot_make, run_parts
from app.exports.pdf.signature_list import LINES_PER_PAGE, ListFailed, ListJob
from app.extensions import db
from app.organisers.models import Organisation
from app.signatures.models import CONFIRMED, Signature

log = logging.getLogger("rally.exports")

TOP_LOCALITIES = 10


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


def render_isolated(html: str, pdf_path: Path, page_rules: str = "") -> None:
    """Render one HTML document into `pdf_path` in a limited child process, as the cover is.

    Raises DeliveryFailed if the child fails or runs out of memory or time.
    """
    html_path = str(pdf_path) + ".html"
    Path(html_path).write_text(html, "utf-8")
    Path(html_path + ".css").write_text(page_rules, "utf-8")
    try:
        run_parts([Part("html", html_path, str(pdf_path))], lambda part: None)
    except PartFailed as problem:
        raise DeliveryFailed(str(problem)) from None
    finally:
        Path(html_path).unlink(missing_ok=True)
        Path(html_path + ".css").unlink(missing_ok=True)


def draw_isolated(job: ListJob, pdf_path: Path) -> None:
    """Draw list pages into `pdf_path` in a limited child process, as every chunk is."""
    job_path = str(pdf_path) + ".json"
    job.dump(job_path, job_path + ".pages")
    try:
        run_parts([Part("list", job_path, str(pdf_path))], lambda part: None)
    except PartFailed as problem:
        raise DeliveryFailed(str(problem)) from None
    finally:
        Path(job_path).unlink(missing_ok=True)
        Path(job_path + ".pages").unlink(missing_ok=True)


def _count_pages(pdf_path: str) -> int:
    with pikepdf.open(pdf_path) as pdf:
        return len(pdf.pages)


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
        try:
            _write(export, campaign, Path(path), on_progress, language, names_only)
        except ListFailed as problem:
            log.warning("The delivery PDF's list could not be laid out: %s", problem)
            raise DeliveryFailed(cannot_make()) from None
        except PartFailed as problem:
            raise DeliveryFailed(str(problem)) from None


def page_label() -> tuple[str, str]:
    """The text before and after the page number in "Page X of Y", Y to be filled in."""
    marker = "\x00"
    label = gettext("Page %(page)s of %(pages)s", page=marker, pages="\x01")
    before, _, after = label.partition(marker)
    return before, after


def list_headings(names_only: bool) -> list[str]:
    """The list's column headings in the current locale."""
    name = gettext("Name") if names_only else gettext("Name · Locality")
    return [gettext("No."), gettext("Confirmed on"), gettext("Country"), name]


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
        listing = _lay_out_list(work, campaign.id, facts, language, names_only, chunk_rows)
        chunks = listing.chunks
        # The list as read is what the document states, even if a signature changed meanwhile.
        facts.confirmed_count = export.confirmed_count = total = sum(c.rows for c in chunks)
        list_pages = sum(chunk.pages for chunk in chunks)
        cover = Part("html", f"{work}/cover.html", f"{work}/cover.pdf")
        Path(cover.source).write_text(cover_html(export, campaign, facts, language), "utf-8")
        running = title[:120]  # the list's running title, as the cover's (page_css)
        before, after = page_label()
        # The list's fonts are cut down while the cover renders (digits for the page numbers).
        characters = listing.characters | set(f"{running}{before}{after}0123456789")
        fonts_part = _subset_fonts_part(work, listing, characters) if chunks else None
        # The cover's page count is only known once rendered; it rarely differs from one.
        cover_pages = 1
        for _attempt in range(3):
            Path(cover.source + ".css").write_text(
                page_css(title, 1, cover_pages + list_pages, direction), "utf-8"
            )
            run_parts([cover, *([fonts_part] if fonts_part else [])], lambda part: None)
            fonts_part = None
            rendered = _count_pages(cover.pdf_path)
            if rendered == cover_pages:
                break
            cover_pages = rendered
        label = (before, after.replace("\x01", str(cover_pages + list_pages)))
        first_page = cover_pages + 1
        for chunk in chunks:
            job = ListJob(
                listing.fonts, direction, running, label, first_page, *listing.headings_columns, []
            )
            job.dump(chunk.source)
            first_page += chunk.pages
        done = 0

        def finished(chunk: Part) -> None:
            nonlocal done
            done += chunk.rows
            on_progress(done, total)

        run_parts(chunks, finished)
        pages = join_pdfs([part.pdf_path for part in [cover, *chunks]], path, title)
        if pages != cover_pages + list_pages:
            log.warning("A delivery PDF has %s pages, not %s", pages, cover_pages + list_pages)
            path.unlink(missing_ok=True)
            raise DeliveryFailed(cannot_make())


def _subset_fonts_part(work: str, listing: "_ListLayout", characters: set[str]) -> Part:
    """The part that cuts the list's fonts down to `characters`, into the job's font files."""
    out = [path for path, _index in listing.fonts]
    job_path = f"{work}/fonts.json"
    text = "".join(sorted(characters))
    list_fonts.write_subset_job(job_path, listing.installed, text, out)
    return Part("fonts", job_path, "-")


@dataclass
class _ListLayout:
    """The list laid out: its chunks, the characters printed, headings and column widths."""

    chunks: list[Part]
    characters: set[str]
    headings_columns: tuple = ()
    fonts: list[tuple[str, int]] = field(default_factory=list)  # the subsets
    installed: list[tuple[str, int]] = field(default_factory=list)  # what they are cut from


def _lay_out_list(work, campaign_id, facts, language, names_only, chunk_rows) -> _ListLayout:
    """Lay out each chunk's pages and write them, reading the rows a chunk at a time."""
    if not facts.confirmed_count:
        return _ListLayout([], set())
    query = (
        select(Signature.name, Signature.postcode, Signature.country, Signature.confirmed_at)
        .where(*_included(campaign_id, facts.period_end))
        .order_by(Signature.confirmed_at, Signature.id)
        .execution_options(yield_per=chunk_rows)
    )
    installed = list_fonts.installed_fonts()
    if list_fonts.find_font(list_fonts.FAMILIES[0]) is None:
        raise ListFailed("Noto Sans is not installed (fonts-noto-core)")
    metrics = signature_list.Metrics(installed)
    headings = list_headings(names_only)
    columns = signature_list.columns_for(metrics, headings, facts.confirmed_count)
    names = dict(country_choices(language))

    def country_name(code: str) -> str:
        return (names.get(code) or code) if code else "--"

    chunks, number = [], 1
    for partition in db.session.execute(query).partitions(chunk_rows):
        index = len(chunks)
        pages = signature_list.layout(partition, number, metrics, columns, country_name, names_only)
        chunk = Part(
            "list", f"{work}/list-{index}.json", f"{work}/list-{index}.pdf", len(partition)
        )
        chunk.pages = len(pages)
        signature_list.dump_pages(pages, chunk.source + ".pages")
        number += len(partition)
        chunks.append(chunk)
    # Whatever was measured was laid out: every character printed is among these.
    characters = set(metrics.known) | set("".join(headings))
    installed += list_fonts.fonts_for(metrics.missing)
    # The subsets' files (written by the fonts part), in the same order.
    fonts = [(f"{work}/font-{index}.ttf", 0) for index in range(len(installed))]
    return _ListLayout(chunks, characters, (headings, columns), fonts, installed)
