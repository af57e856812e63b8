"""The delivery PDF, parsed back with pypdf: figures, names in every script, pages, QR, limits."""

import hashlib
import io
import os
import re
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader

from app.core.database import utcnow
from app.core.urls import absolute_url
from app.exports.delivery import (
    DeliveryFailed,
    cover_html,
    delivery_facts,
    page_css,
    qr_data_uri,
    render_isolated,
)
from app.exports.pdf import signature_list
from app.exports.pdf.signature_list import LINES_PER_PAGE
from app.extensions import db
from app.signatures.models import CONFIRMED, HELD, INVALIDATED, PENDING, Signature
from tests.exports.delivery_data import add_signatures, make_export, page_texts, render
from tests.exports.pdf_reading import edges, embedded_fonts, glyphs_drawn
from tests.exports.remote_fetches import SpyServer, hostile_markup
from tests.factories import make_campaign, make_organisation, make_organiser

ARABIC_NAME = "ليلى عبد الله"
CJK_NAME = "王小明"
HAS_CJK_FONT = (
    shutil.which("fc-list") is not None
    and "CJK" in subprocess.run(["fc-list"], capture_output=True, text=True).stdout
)
ARTEFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))


def test_cover_states_the_figures_and_the_list_is_complete(app, tmp_path):
    owner = make_organiser()
    organisation = make_organisation(owner=owner)
    campaign = make_campaign(organisation=organisation)
    add_signatures(campaign, 7, names=["Zoë Ångström", ARABIC_NAME, CJK_NAME])
    add_signatures(campaign, 2, state=PENDING)
    add_signatures(campaign, 2, state=HELD)
    add_signatures(campaign, 2, state=INVALIDATED)
    export = make_export(campaign)
    path, progress = render(export, tmp_path)

    texts = page_texts(path)
    cover = texts[0]
    assert "Confirmed signatures" in cover and re.search(r"Confirmed signatures\s*7\b", cover)
    assert organisation.name in cover
    assert "Egypt" in cover and "France" in cover  # the breakdown by country, named
    assert "Town 0" in cover  # top localities
    assert absolute_url("verification.page", code=export.verification_code) in cover
    assert export.confirmed_count == 7
    assert export.period_start < export.period_end
    assert progress[0] == (0, 7) and progress[-1] == (7, 7)
    listing = "\n".join(texts[1:])
    assert "Zoë Ångström" in listing and ARABIC_NAME.split()[0] in listing.replace("\u200f", "")
    assert "@example.org" not in "".join(texts)  # emails never appear
    assert re.search(r"^\s*7\s", listing, re.M) and not re.search(r"^\s*8\s", listing, re.M)


@pytest.mark.skipif(not HAS_CJK_FONT, reason="fonts-noto-cjk is not installed")
def test_cjk_names_have_glyphs(app, tmp_path):
    campaign = make_campaign()
    add_signatures(campaign, 2, names=[CJK_NAME])
    path, _ = render(make_export(campaign), tmp_path)
    assert CJK_NAME in "".join(page_texts(path))


@pytest.mark.parametrize("config_overrides", [{"EXPORT_PDF_CHUNK_ROWS": 50}])
def test_page_numbers_are_right_across_chunks(app, tmp_path):
    campaign = make_campaign()
    add_signatures(campaign, 120, names=["Grace Hopper", ARABIC_NAME, CJK_NAME, "Zoë Ångström"])
    path, progress = render(make_export(campaign), tmp_path)
    texts = page_texts(path)
    list_pages = -(-120 // LINES_PER_PAGE)
    # Chunks hold whole pages (45 rows here): three chunks of 45, 45 and 30 rows.
    assert len(texts) == 1 + list_pages
    total = len(texts)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text, text[-80:]
    assert re.search(r"^\s*120\s", texts[-1], re.M)
    assert [done for done, _ in progress] == [0, 45, 90, 120]
    # Column headings on every list page.
    assert all("Locality" in text and "Confirmed" in text for text in texts[1:])
    # Four parts (the cover and three chunks), each with its own subsets of the fonts: no two
    # font files share a name, and every glyph drawn on the list's pages is a real one.
    embedded = embedded_fonts(path)
    assert {"NotoSans", "NotoSansArabic", "NotoSansCJKSC"} <= {
        name.partition("+")[2] for name in embedded
    }
    assert set(embedded.values()) == {1}
    reader = PdfReader(path)
    drawn = glyphs_drawn(reader, reader.pages[1:])
    assert drawn and all(glyph != ".notdef" for _, glyph, _ in drawn)
    save_pngs(path, "delivery")


def save_pngs(path, stem):
    """The first two pages as PNGs, for a person to look at."""
    pdfium = pytest.importorskip("pypdfium2")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(str(path))
    for index in range(min(2, len(document))):
        image = document[index].render(scale=1.5).to_pil()
        image.save(ARTEFACTS / f"{stem}-page-{index + 1}.png")
    document.close()
    assert (ARTEFACTS / f"{stem}-page-1.png").stat().st_size > 1000


def test_names_only_leaves_localities_out(app, tmp_path):
    campaign = make_campaign()
    add_signatures(campaign, 5, postcode="Atlantis 99")
    path, _ = render(make_export(campaign, names_only=True), tmp_path)
    text = "".join(page_texts(path))
    assert "Atlantis" not in text and "Locality" not in text
    assert "Zoë Ångström" in text


def test_the_qr_code_encodes_the_verification_url(app, tmp_path):
    campaign = make_campaign()
    add_signatures(campaign, 3)
    export = make_export(campaign)
    url = absolute_url("verification.page", code=export.verification_code)
    with app.test_request_context():
        html = cover_html(export, campaign, delivery_facts(campaign.id), "en")
    assert qr_data_uri(url) in html
    assert qr_data_uri(url) == segno.make(url, error="m").svg_data_uri(scale=3, border=2)
    assert url in html


def test_an_empty_campaign_makes_a_cover_only(app, tmp_path):
    campaign = make_campaign()
    export = make_export(campaign)
    path, progress = render(export, tmp_path)
    assert len(PdfReader(path).pages) == 1 and export.confirmed_count == 0
    assert progress == [(0, 0)]


def test_the_file_is_what_the_sha256_says(app, tmp_path):
    campaign = make_campaign()
    add_signatures(campaign, 3)
    path, _ = render(make_export(campaign), tmp_path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest()
    assert "/EmbeddedFiles" not in str(PdfReader(io.BytesIO(data)).trailer["/Root"])


@pytest.mark.parametrize("config_overrides", [{"EXPORT_PDF_MEMORY_MB": 90}])
def test_a_chunk_over_its_memory_limit_fails_the_export_only(app, tmp_path):
    campaign = make_campaign()
    add_signatures(campaign, 3)
    with pytest.raises(DeliveryFailed, match="memory"):
        render(make_export(campaign), tmp_path)
    assert not (tmp_path / "delivery.pdf").exists()


def test_hostile_names_and_petition_text_fetch_nothing(app, tmp_path):

    spy = SpyServer()
    try:
        campaign = make_campaign()
        text = campaign.translation("en")
        # Stored HTML is sanitised when loaded; this skips that, as a bug or a bad import might.
        text.body_html = hostile_markup(spy.port) + '<p style="font-size: 1e9px">Big</p>'
        text.title = f'<img src="http://127.0.0.1:{spy.port}/title"> Title'
        db.session.commit()
        hostile = f'<img src="http://127.0.0.1:{spy.port}/name"> Eve'
        add_signatures(campaign, 3, names=[hostile, "url(file:///etc/passwd)"], postcode="@import")
        path, _ = render(make_export(campaign), tmp_path)
    finally:
        spy.close()
    assert spy.requests == []
    reader = PdfReader(path)
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    everything = "".join(page.extract_text() for page in reader.pages)
    assert "Eve" in everything and "127.0.0.1" in everything  # the name is shown as text
    assert "root:" not in everything


def test_a_name_longer_than_a_page_fails_the_export_with_a_message(app, tmp_path, monkeypatch):
    campaign = make_campaign()
    # The longest name the database takes (200 characters) fills six lines; pages of three
    # lines stand in for a name longer than a page, which must not break the worker.
    monkeypatch.setattr(signature_list, "LINES_PER_PAGE", 3)
    add_signatures(campaign, 2, names=["Ada Lovelace", "王" * 200])
    with pytest.raises(DeliveryFailed, match="could not be made"):
        render(make_export(campaign), tmp_path)
    assert not (tmp_path / "delivery.pdf").exists()


def test_a_document_that_breaks_the_renderer_fails_only_its_job(app, tmp_path):
    with app.test_request_context(), pytest.raises(DeliveryFailed):
        render_isolated('<p style="font-size: 1e9px">Huge</p>', tmp_path / "huge.pdf")
    render_isolated("<p>Fine</p>", tmp_path / "fine.pdf")  # this process carries on
    assert "Fine" in PdfReader(tmp_path / "fine.pdf").pages[0].extract_text()


@pytest.mark.parametrize("config_overrides", [{"EXPORT_PDF_SECONDS": 1}])
def test_a_chunk_over_its_time_limit_fails_the_export(app, tmp_path):
    rows = "".join(f"<tr><td>{i}</td><td>Name {i}</td></tr>" for i in range(20_000))
    started = time.monotonic()
    with app.test_request_context(), pytest.raises(DeliveryFailed, match="longer|memory or time"):
        render_isolated(f"<table>{rows}</table>", tmp_path / "slow.pdf")
    assert time.monotonic() - started < 30


def test_an_arabic_document_has_its_cover_in_arabic(app, tmp_path):
    campaign = make_campaign(languages=("en", "ar"))
    add_signatures(campaign, 60, names=[ARABIC_NAME, "Grace Hopper", CJK_NAME])
    export = make_export(campaign, language="ar")
    path, _ = render(export, tmp_path)
    texts = page_texts(path)
    assert "Test campaign (ar)" in texts[0] and "60" in texts[0]
    # Right to left, the number ends the line as the text layer gives it back.
    assert len(texts) == 1 + 2 and re.search(r"\s60\s*$", texts[-1], re.M)
    save_pngs(path, "delivery-ar")


def test_page_labels_keep_their_spaces_in_right_to_left_languages(app):
    with app.test_request_context():
        rules, english = page_css("حملة", 2, 3, "rtl"), page_css("Title", 2, 3)
    label = re.search(r'content: ("[^"]*") counter\(page\) ("[^"]*")', rules)
    # A space right after a CSS escape would be eaten as the escape's end: spaces are escaped.
    assert label and " " not in label.group(1) + label.group(2)
    assert "\\000020" in label.group(1) and rules.count("direction: rtl") == 2
    assert "direction: ltr" in english


def test_long_names_and_localities_are_printed_whole(app, tmp_path):
    latin = " ".join(["Maximiliana Wolfeschlegelsteinhausenbergerdorff"] * 4)[:200]
    arabic = " ".join(["عبد الرحمن بن عبد العزيز آل سعود"] * 6)[:190]
    cjk = "王" * 80  # no spaces: broken where it must be
    locality = "Llanfairpwllgwyngyllgogerych"
    campaign = make_campaign()
    # Each of these rows takes two or more lines, and a row is never split across pages.
    add_signatures(campaign, 45, names=[latin, arabic, cjk], postcode=locality)
    path, _ = render(make_export(campaign), tmp_path)
    texts = page_texts(path)
    squeezed = re.sub(r"\s+", "", "".join(texts[1:]))
    for name in (latin, cjk):
        assert re.sub(r"\s+", "", name) in squeezed
    # Arabic comes out of the text layer in visual order per line; its words are all there.
    assert all(word in squeezed for word in ("الرحمن", "العزيز", "سعود"))
    assert squeezed.count(locality) == 45
    assert re.search(r"^\s*45\s", texts[-1], re.M)
    for text in texts[1:]:
        rows = re.findall(r"^\s*(\d+)\s+\d{4}-\d\d-\d\d", text, re.M)
        assert 0 < len(rows) < LINES_PER_PAGE  # rows of several lines fill a page sooner
        # Each row ends with its locality: a row split across two pages would leave one out.
        assert re.sub(r"\s+", "", text).count(locality) == len(rows)
    save_pngs(path, "delivery-long-names")


# Names in Latin, Arabic and Chinese script from countries of one-word names (PDFium gives
# a line's words back in visual order when it takes the line for left to right), and one more.
MIXED_ROWS = [("Grace Hopper", "FR"), ("عمر خالد", "EG"), (CJK_NAME, "CN")]
ALL_ROWS = [*MIXED_ROWS, ("Ada Lovelace", "GB")]
COUNTRY_NAMES = {
    "en": {"FR": "France", "EG": "Egypt", "CN": "China", "GB": "United Kingdom"},
    "ar": {"FR": "فرنسا", "EG": "مصر", "CN": "الصين", "GB": "المملكة المتحدة"},
}


def name_edges(path, page_index: int, name: str) -> tuple[float, float]:
    """Left and right edges of a name printed once on the page, found word by word.

    PDFium may give an Arabic line's words back in visual order, so not as one string.
    """
    found = [edges(path, page_index, word) for word in name.split()]
    assert all(len(places) == 1 for places in found), (name, found)
    return min(f[0][0] for f in found), max(f[0][1] for f in found)


def mixed_document(tmp_path, language) -> Path:
    """A names-only delivery PDF of ALL_ROWS in `language`."""
    campaign = make_campaign(languages=("en", "ar"))
    start = utcnow() - timedelta(days=3)
    rows = [
        dict(
            campaign_id=campaign.id,
            state=CONFIRMED,
            name=name,
            name_search="",
            email=f"mixed{i}@example.org",
            email_normalised=f"mixed{i}@example.org",
            postcode="",
            country=country,
            language="en",
            confirmed_at=start + timedelta(hours=i),
        )
        for i, (name, country) in enumerate(ALL_ROWS)
    ]
    db.session.execute(db.insert(Signature), rows)
    db.session.commit()
    folder = tmp_path / language
    folder.mkdir()
    path, _ = render(make_export(campaign, language=language, names_only=True), folder)
    return path


@pytest.mark.skipif(not HAS_CJK_FONT, reason="fonts-noto-cjk is not installed")
@pytest.mark.parametrize("language", ["en", "ar"])
def test_list_columns_follow_the_documents_direction_and_line_up(app, tmp_path, language):
    path = mixed_document(tmp_path, language)
    countries = COUNTRY_NAMES[language]
    names = [name_edges(path, 1, name) for name, _ in MIXED_ROWS]
    places = [name_edges(path, 1, countries[code]) for _, code in MIXED_ROWS]
    dates = edges(path, 1, "-")  # the dates' hyphens, two a row

    if language == "ar":
        # Right to left: number, date, country, then the name furthest left.
        for name, place in zip(names, places, strict=True):
            assert name[1] < place[0]
        assert max(place[1] for place in places) < min(left for left, _ in dates)
        # Each column starts at its right edge: the names' and countries' right edges line up.
        starts = [name[1] for name in names], [place[1] for place in places]
    else:
        for name, place in zip(names, places, strict=True):
            assert name[0] > place[1]
        assert min(place[0] for place in places) > max(right for _, right in dates)
        starts = [name[0] for name in names], [place[0] for place in places]
    # Within a point: glyphs' side bearings differ from script to script.
    for column in starts:
        assert max(column) - min(column) < 1.0, starts

    save_pngs(path, f"delivery-columns-{language}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_countries_are_named_in_the_documents_language(app, tmp_path, language):
    path = mixed_document(tmp_path, language)
    listing = "".join(page_texts(path)[1:])
    other = "ar" if language == "en" else "en"
    for _, code in ALL_ROWS:
        assert COUNTRY_NAMES[language][code] in listing
        assert COUNTRY_NAMES[other][code] not in listing
    assert not re.search(r"\b(FR|EG|CN|GB)\b", listing)  # no codes
    cover = page_texts(path)[0]
    assert COUNTRY_NAMES[language]["GB"] in cover  # the breakdown by country too


def test_the_running_title_is_on_the_side_lines_start(app, tmp_path):
    [(left, _)] = edges(mixed_document(tmp_path, "ar"), 1, "Test campaign (ar)")
    [(_, right)] = edges(mixed_document(tmp_path, "en"), 1, "Test campaign (en)")
    assert left > 595 / 2 > right  # an A4 page is 595 pt wide


def test_a_script_the_list_fonts_lack_is_drawn_in_another_installed_font(app, tmp_path):
    georgian = "ნინო ბერიძე"
    campaign = make_campaign()
    add_signatures(campaign, 2, names=[georgian, "Grace Hopper"])
    path, _ = render(make_export(campaign), tmp_path)
    reader = PdfReader(path)
    assert georgian in reader.pages[1].extract_text()
    drawn = glyphs_drawn(reader, reader.pages[1:])
    assert all(glyph != ".notdef" for _, glyph, _ in drawn)
