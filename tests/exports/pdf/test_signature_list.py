"""The list pages drawn with fpdf2, parsed back: names in every script, glyphs, pages, limits."""

import time
from datetime import UTC, datetime

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from app.exports.delivery import DeliveryFailed, draw_isolated
from app.exports.pdf import fonts as list_fonts
from app.exports.pdf.signature_list import (
    LINES_PER_PAGE,
    ListFailed,
    ListJob,
    Metrics,
    columns_for,
    draw_list,
    layout,
)
from tests.exports.pdf_reading import edges, glyphs_drawn

NAMES = [
    "Zoë Ångström",  # accented Latin
    "José Müller-Łukasiewicz",
    "Ме́ри Шелли",  # Cyrillic with a combining accent: shaped, not written directly
    "ليلى عبد الله",  # Arabic, joined (and a lam-lam-heh ligature)
    "שרה כהן",  # Hebrew
    "王小明",  # Chinese
    "田中太郎",  # Japanese
    "김민준",  # Korean
    "Ahmed أحمد",  # both directions in one name
]
HEADINGS = ["No.", "Confirmed on", "Country", "Name · Locality"]
CONFIRMED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

needs_fonts = pytest.mark.skipif(
    any(list_fonts.find_font(family) is None for family in list_fonts.FAMILIES),
    reason="fonts-noto-core and fonts-noto-cjk are not installed (make system-packages)",
)


def make_job(rows, direction="ltr", first_page=2, names_only=False, fonts=None) -> ListJob:
    """A job laid out as delivery lays one out, with the installed fonts."""
    installed = list_fonts.installed_fonts()
    metrics = Metrics(installed)
    columns = columns_for(metrics, HEADINGS, len(rows))
    pages = layout(rows, 1, metrics, columns, lambda code: code or "--", names_only)
    label = ("Page ", f" of {first_page + len(pages) - 1}")
    return ListJob(
        fonts or installed, direction, "Title", label, first_page, HEADINGS, columns, pages
    )


def with_subsets(tmp_path, job) -> ListJob:
    """`job` with its fonts cut down to what it prints, as delivery cuts them."""
    text = "".join(
        {ch for page in job.pages for line in page for cell in line for ch in "".join(cell)}
    )
    text += "".join(job.headings) + job.title + "".join(job.page_label) + "0123456789"
    out = [str(tmp_path / f"font-{i}.ttf") for i in range(len(job.fonts))]
    list_fonts.write_subset_job(str(tmp_path / "fonts.json"), job.fonts, text, out)
    list_fonts.make_subsets(str(tmp_path / "fonts.json"))
    job.fonts = [(path, 0) for path in out]
    return job


def drawn(tmp_path, job) -> PdfReader:
    """Draw `job` in this process, with its fonts cut down as delivery cuts them."""
    job = with_subsets(tmp_path, job)
    path = tmp_path / "list.pdf"
    assert draw_list(job, str(path)) == len(job.pages)
    return PdfReader(path)


@needs_fonts
@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_names_in_every_script_come_back_from_the_text_layer(tmp_path, direction):
    rows = [(name, "", "GB", CONFIRMED) for name in NAMES]
    reader = drawn(tmp_path, make_job(rows, direction, names_only=True))
    text = reader.pages[0].extract_text()
    for name in NAMES:
        if name == "Ahmed أحمد":  # two runs, given back in the order they are drawn
            assert "Ahmed" in text and "أحمد" in text
        else:
            assert name in text, (name, text)
    assert "Page 2 of 2" in text and "Title" in text


@needs_fonts
def test_every_glyph_drawn_is_a_real_one_in_an_embedded_font(tmp_path):
    rows = [(name, "Zürich", "GB", CONFIRMED) for name in NAMES]
    reader = drawn(tmp_path, make_job(rows))
    found = glyphs_drawn(reader)
    fonts = {name.partition("+")[2] for name, _, _ in found}
    assert {"NotoSans", "NotoSansArabic", "NotoSansHebrew", "NotoSansCJKSC"} <= fonts
    assert all(glyph != ".notdef" for _, glyph, _ in found), [f for f in found if ".notdef" in f]
    drawn_text = "".join(text for _, _, text in found)
    for ch in "".join(NAMES).replace(" ", ""):
        assert ch in drawn_text or ch == "\u0301", ch  # the accent is in Ме́ри's cluster


@needs_fonts
def test_a_right_to_left_list_puts_the_number_on_the_right(tmp_path):

    rows = [(name, "", "GB", CONFIRMED) for name in ("Grace Hopper", "ليلى عبد الله")]
    for direction in ("ltr", "rtl"):
        folder = tmp_path / direction
        folder.mkdir()
        drawn(folder, make_job(rows, direction, names_only=True))
        number = edges(folder / "list.pdf", 0, "2026-12-01")[0]
        name = edges(folder / "list.pdf", 0, "Grace")[0]
        if direction == "rtl":
            assert name[1] < number[0]
        else:
            assert name[0] > number[1]


def test_rows_are_never_split_across_pages():
    metrics = Metrics(list_fonts.installed_fonts())
    columns = columns_for(metrics, HEADINGS, 200)
    long = " ".join(["Wolfeschlegelsteinhausenbergerdorff"] * 5)
    rows = [(long if i % 3 else "Ada", "Town", "GB", CONFIRMED) for i in range(200)]
    pages = layout(rows, 1, metrics, columns, lambda code: code, False)
    numbers = []
    for page in pages:
        assert len(page) <= LINES_PER_PAGE
        assert page[0][0]  # a page starts with a row's first line, numbered
        numbers += [int(line[0]) for line in page if line[0]]
    assert numbers == list(range(1, 201))
    assert sum(len(page) for page in pages) > 200  # some rows took several lines


def test_a_row_taller_than_a_page_is_refused():
    metrics = Metrics(list_fonts.installed_fonts())
    columns = columns_for(metrics, HEADINGS, 1)
    with pytest.raises(ListFailed):
        layout([("王" * 5000, "", "GB", CONFIRMED)], 1, metrics, columns, str, False)


@needs_fonts
def test_the_cjk_subset_has_truetype_outlines_for_every_character(tmp_path):
    path, index = list_fonts.find_font("Noto Sans CJK SC")
    out = tmp_path / "cjk.ttf"
    list_fonts.subset_font(path, index, "王小明김민준", str(out))
    font = TTFont(out)
    assert "glyf" in font and "CFF " not in font
    cmap = font.getBestCmap()
    for ch in "王小明김민준":
        glyph = font["glyf"][cmap[ord(ch)]]
        assert glyph.numberOfContours > 0
    assert out.stat().st_size < 50_000


@pytest.mark.parametrize("config_overrides", [{"EXPORT_PDF_MEMORY_MB": 40}])
def test_the_drawing_process_has_a_memory_limit(app, tmp_path):
    job = make_job([("Ada Lovelace", "", "GB", CONFIRMED)] * 10)
    with app.test_request_context(), pytest.raises(DeliveryFailed, match="memory"):
        draw_isolated(job, tmp_path / "list.pdf")


@pytest.mark.parametrize("config_overrides", [{"EXPORT_PDF_SECONDS": 1}])
def test_the_drawing_process_has_a_time_limit(app, tmp_path):
    job = make_job([("ليلى عبد الله", "", "GB", CONFIRMED)] * 20_000)
    started = time.monotonic()
    with app.test_request_context(), pytest.raises(DeliveryFailed, match="longer|memory or time"):
        draw_isolated(job, tmp_path / "list.pdf")
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("config_overrides", [{"EXPORT_PDF_MEMORY_MB": 1024}])
def test_the_drawing_process_draws_within_its_limits(app, tmp_path):
    job = with_subsets(tmp_path, make_job([(name, "", "GB", CONFIRMED) for name in NAMES]))
    with app.test_request_context():
        draw_isolated(job, tmp_path / "list.pdf")
    assert "王小明" in PdfReader(tmp_path / "list.pdf").pages[0].extract_text()


@needs_fonts
def test_bidi_controls_typed_into_a_name_cannot_turn_it_around(tmp_path):
    rows = [("\u202eEvil Eve\u202c", "\u2067Town", "GB", CONFIRMED)]
    text = drawn(tmp_path, make_job(rows)).pages[0].extract_text()
    assert "Evil Eve · Town" in text


@needs_fonts
def test_a_country_shaped_once_is_drawn_right_in_every_row(tmp_path):
    countries = {"EG": "مصر", "GB": "المملكة المتحدة"}
    rows = [("Ada", "", ["EG", "GB"][i % 2], CONFIRMED) for i in range(60)]
    job = make_job(rows, "rtl", names_only=True)
    for page in job.pages:  # named as delivery names them, in the document's language
        for line in page:
            line[2] = countries[rows[int(line[0]) - 1][2]]
    reader = drawn(tmp_path, job)
    text = "".join(page.extract_text() for page in reader.pages)
    assert text.count("مصر") == 30 and text.count("المملكة المتحدة") == 30
    found = glyphs_drawn(reader)
    assert all(glyph != ".notdef" for _, glyph, _ in found)
    arabic = [f for f in found if f[0].endswith("NotoSansArabic")]
    assert len(arabic) >= 60 * 3  # every row's country drawn, not only the first of each
