"""Joining rendered parts with qpdf: pages in order, drawn exactly as rendered, fonts kept apart."""

import pypdfium2
from pypdf import PdfReader

from app.exports.pdf.join import join_pdfs
from app.exports.pdf.render import render_pdf
from tests.exports.pdf_reading import embedded_fonts

STYLE = (
    "<style>body { font-family: 'Noto Sans', 'Noto Sans Arabic', 'Noto Sans CJK SC',"
    " sans-serif; font-size: 14pt }</style>"
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
        html = f"<html lang='en'><head>{STYLE}</head><body>{body}</body></html>"
        path = tmp_path / f"part-{index}.pdf"
        path.write_bytes(render_pdf(html))
        paths.append(str(path))
    return paths


def page_bitmaps(paths) -> list[bytes]:
    bitmaps = []
    for path in paths:
        document = pypdfium2.PdfDocument(str(path))
        try:
            bitmaps += [page.render(scale=1).to_pil().tobytes() for page in document]
        finally:
            document.close()
    return bitmaps


def test_parts_are_joined_in_order_and_look_exactly_as_rendered(tmp_path):
    parts = render_parts(tmp_path)
    joined = tmp_path / "joined.pdf"
    assert join_pdfs(parts, joined, title="Joined") == 3
    assert page_bitmaps([joined]) == page_bitmaps(parts)
    reader = PdfReader(joined)
    assert reader.metadata.title == "Joined"
    assert reader.trailer["/Root"]["/Lang"] == "en"  # the first part's language
    for page, names in zip(reader.pages, PARTS_TEXT, strict=True):
        text = page.extract_text()
        for name in names:
            assert name in text


def test_each_parts_fonts_get_a_subset_tag_of_their_own(tmp_path):
    parts = render_parts(tmp_path)
    # The same part three times: the same subset tags three times over, as fpdf2 writes them.
    joined = tmp_path / "joined.pdf"
    join_pdfs([parts[0]] * 3, joined)
    fonts = embedded_fonts(joined)
    assert len(fonts) == 3 * len(embedded_fonts(parts[0]))
    assert set(fonts.values()) == {1}  # no name shared by two different font files
    assert all(name[7] == "+" and name[1] == "R" for name in fonts)
