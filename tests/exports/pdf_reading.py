"""Reading a made PDF back: its embedded fonts and the glyphs its pages draw."""

import io
from collections import Counter

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream


def embedded_fonts(path) -> Counter:
    """How many embedded font files each /BaseFont names in the document."""
    files: dict[int, str] = {}
    for page in PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            for key in ("/FontFile2", "/FontFile3"):
                if key in descriptor:
                    files[descriptor.raw_get(key).idnum] = str(font["/BaseFont"])
    return Counter(files.values())


def glyphs_drawn(reader: PdfReader, pages=None):
    """Every (font's /BaseFont, glyph name, text) drawn on the pages, read from the streams.

    Codes are mapped to glyphs through each font's CIDToGIDMap and embedded font file, and
    to text through its ToUnicode map: what a reader draws and what it extracts.
    """
    found = []
    for page in reader.pages if pages is None else pages:
        fonts = {name: ref.get_object() for name, ref in page["/Resources"]["/Font"].items()}
        decoded = {name: _font_tables(font) for name, font in fonts.items()}
        current, saved = None, []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            # The font is part of the graphics state, which q saves and Q restores.
            if operator == b"q":
                saved.append(current)
            elif operator == b"Q":
                current = saved.pop()
            elif operator == b"Tf":
                current = operands[0]
            elif operator in (b"Tj", b"TJ"):
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                order, to_gid, to_text = decoded[current]
                for string in strings:
                    if isinstance(string, bytes | str):
                        data = string if isinstance(string, bytes) else string.original_bytes
                        for i in range(0, len(data), 2):
                            code = int.from_bytes(data[i : i + 2], "big")
                            gid = to_gid[code] if to_gid else code
                            name = str(fonts[current]["/BaseFont"])
                            found.append((name, order[gid], to_text.get(code, "")))
    return found


def _font_tables(font):
    descendant = font["/DescendantFonts"][0].get_object()
    descriptor = descendant["/FontDescriptor"].get_object()
    embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    mapping = descendant.get("/CIDToGIDMap")
    to_gid = None
    if mapping is not None and not isinstance(mapping.get_object(), str):
        data = mapping.get_object().get_data()
        to_gid = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    to_text = {}
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    for line in cmap.splitlines():
        parts = line.strip().split()
        if len(parts) == 2 and parts[0].startswith("<") and parts[1].startswith("<"):
            text = bytes.fromhex(parts[1].strip("<>")).decode("utf-16-be")
            to_text[int(parts[0].strip("<>"), 16)] = text
    return embedded.getGlyphOrder(), to_gid, to_text


def edges(path, page_index: int, text: str) -> list[tuple[float, float]]:
    """Left and right edges (pt) of each place `text` is printed on a page, in reading order."""
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(path))
    page = document[page_index]
    textpage = page.get_textpage()
    searcher = textpage.search(text)
    found = []
    while hit := searcher.get_next():
        boxes = [textpage.get_charbox(i) for i in range(hit[0], hit[0] + hit[1])]
        found.append((min(box[0] for box in boxes), max(box[2] for box in boxes)))
    for item in (searcher, textpage, page, document):
        item.close()
    return found
