"""Joining rendered parts: each font embedded once, and every page looks exactly as rendered."""

from collections import Counter

import pypdfium2
import pytest
from pypdf import PdfReader, PdfWriter

from app.exports.pdf.join import (
    find_font_file,
    merge_pdfs,
    parse_to_unicode,
    parse_widths,
    to_unicode_cmap,
    widths_array,
)
from app.exports.pdf.render import render_pdf

STYLE = (
    "<style>body { font-family: 'Liberation Mono', 'Noto Sans Arabic', 'Noto Sans CJK SC',"
    " monospace; font-size: 14pt }</style>"
)
PARTS_TEXT = [
    ["Ada Lovelace", "ليلى خوري", "王小明"],
    ["Grace Hopper", "محمد الحسن", "田中太郎", "Zoë Ångström"],
    ["Katherine Johnson", "فاطمة منصور", "김민준"],
]


def render_parts(tmp_path) -> list[str]:
    paths = []
    for index, names in enumerate(PARTS_TEXT):
        body = "".join(f"<p>{name}</p>" for name in names)
        path = tmp_path / f"part-{index}.pdf"
        path.write_bytes(render_pdf(f"<html><head>{STYLE}</head><body>{body}</body></html>"))
        paths.append(str(path))
    return paths


def font_files_by_name(path) -> Counter:
    """How many distinct embedded font files each /BaseFont has in the document."""
    files: dict[int, str] = {}
    for page in PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            for key in ("/FontFile2", "/FontFile3"):
                if key in descriptor:
                    files[descriptor.raw_get(key).idnum] = str(font["/BaseFont"])
    return Counter(files.values())


def page_bitmaps(path) -> list[bytes]:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return [page.render(scale=1).to_pil().tobytes() for page in document]
    finally:
        document.close()


def test_each_font_is_embedded_once_and_the_pages_look_the_same(tmp_path):
    parts = render_parts(tmp_path)
    appended = tmp_path / "appended.pdf"
    writer = PdfWriter()
    for part in parts:
        writer.append(part)
    writer.write(appended)
    merged = tmp_path / "merged.pdf"

    merge_pdfs(parts, merged, title="Joined")

    per_part = font_files_by_name(appended)
    assert max(per_part.values()) == 3  # the starting point: one copy per part
    once = font_files_by_name(merged)
    assert set(once) == set(per_part) and set(once.values()) == {1}
    assert merged.stat().st_size < appended.stat().st_size
    # Pixel for pixel what each part rendered: every glyph came through the shared subset.
    assert page_bitmaps(merged) == page_bitmaps(appended)
    reader = PdfReader(merged)
    assert reader.metadata.title == "Joined"
    for page, names in zip(reader.pages, PARTS_TEXT, strict=True):
        text = page.extract_text()
        for name in names:
            assert name in text


def test_a_font_found_in_one_part_only_is_left_as_it_is(tmp_path):
    parts = render_parts(tmp_path)[:1]
    merged = tmp_path / "merged.pdf"
    merge_pdfs(parts, merged)
    assert page_bitmaps(merged) == page_bitmaps(parts[0])


def test_widths_and_to_unicode_round_trip():
    widths = {3: 600.0, 4: 600.0, 9: 512.5, 20: 1000.0}
    assert parse_widths(widths_array(widths)) == widths
    assert parse_widths([5, 7, 250, 10, [300, 310]]) == {5: 250, 6: 250, 7: 250, 10: 300, 11: 310}
    mapping = {3: "0020", 0x340: "0646", 0x5BC: "06440627"}  # a lam-alef ligature: two letters
    assert parse_to_unicode(to_unicode_cmap(mapping)) == mapping
    many = {gid: f"{0x4E00 + gid:04x}" for gid in range(250)}
    cmap = to_unicode_cmap(many)
    assert cmap.count(b"beginbfchar") == 3  # at most 100 entries a block
    assert parse_to_unicode(cmap) == many


def test_fonts_are_found_by_postscript_name():
    found = find_font_file("LiberationMono")
    if found is None:
        pytest.skip("Liberation Mono is not installed (make system-packages installs it)")
    assert found[0].endswith(".ttf") and found[1] == 0
    assert find_font_file("NoSuchFont-Regular") is None
