"""Join PDF parts rendered apart into one document that embeds each font once.

Every part WeasyPrint renders embeds its own subset of each font it used, so a document joined
from 200 parts would carry 200 copies of Noto Sans CJK. WeasyPrint (70) subsets with HarfBuzz
keeping the font's own glyph ids, and writes Type0 fonts with Identity encoding, so a glyph id
means the same glyph in every part. Joining therefore takes, per font, the union of the glyph
ids the parts use, subsets the system font file once for that union (HarfBuzz again, with the
same options), merges the parts' width arrays and ToUnicode maps, and points every part at
that one font. A font this cannot do safely (not found on the system, or its widths do not
match what the parts printed) stays embedded per part: a bigger file, never a wrong glyph.
"""

import io
import logging
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

log = logging.getLogger("rally.pdf")

_FONT_FILES = ("/FontFile2", "/FontFile3")
_POSTSCRIPT_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,63}")
# What WeasyPrint drops from the fonts it embeds (weasyprint/pdf/fonts.py).
_DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF",
                   b"LTSH", b"PCLT", b"SVG ")  # fmt: skip


@dataclass
class _FontUse:
    """One font (by its /BaseFont) across the parts: glyphs used, their widths and text."""

    postscript_name: str = ""
    font_file_key: str = ""
    parts: int = 0
    widths: dict[int, float] = field(default_factory=dict)
    to_unicode: dict[int, str] = field(default_factory=dict)
    shareable: bool = True


def merge_pdfs(parts: list[str], out_path: Path, title: str = "") -> None:
    """Write `parts` one after another into `out_path`, each shared font embedded once.

    The output is written as it is read, one part at a time, so memory stays flat however
    many pages there are (pypdf's PdfWriter holds the whole document until it writes).
    """
    uses = _font_uses(parts)
    shared = {base: font for base, use in uses.items() if (font := _shared_font(base, use))}
    with open(out_path, "wb") as out:
        writer = _StreamingWriter(out)
        language = None
        for path in parts:
            reader = PdfReader(path)
            language = language or reader.trailer["/Root"].get("/Lang")
            writer.add_pages(reader, shared)
        writer.finish(title, language)


class _StreamingWriter:
    """A PDF written object by object: only byte offsets and page numbers stay in memory."""

    CATALOG, PAGES = 1, 2

    def __init__(self, out):
        self.out = out
        self.offsets: list[int] = [0, 0, 0]  # object number → where it starts; 0 is unused
        self.page_numbers: list[int] = []
        self.shared_numbers: dict[str, int] = {}  # /BaseFont → its one written Type0 font
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _new_number(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def _write(self, number: int, pdf_object) -> None:
        self.offsets[number] = self.out.tell()
        self.out.write(f"{number} 0 obj\n".encode())
        pdf_object.write_to_stream(self.out)
        self.out.write(b"\nendobj\n")

    def add_pages(self, reader: PdfReader, shared: dict) -> None:
        """Copy every page of `reader` and what it uses; shared fonts point at one copy."""
        numbers: dict[int, int] = {}  # this part's object numbers → the output's
        queue: list[tuple[int, object]] = []

        def reference(target: IndirectObject) -> IndirectObject:
            target_object = target.get_object()
            base = _shared_base(target_object, shared)
            if base is not None:
                if base not in self.shared_numbers:
                    self.shared_numbers[base] = self._new_number()
                    given = _with_union_subset(target_object, shared[base])
                    queue.append((self.shared_numbers[base], given))
                return IndirectObject(self.shared_numbers[base], 0, None)
            if target.idnum not in numbers:
                numbers[target.idnum] = self._new_number()
                queue.append((numbers[target.idnum], target_object))
            return IndirectObject(numbers[target.idnum], 0, None)

        def copy(value):
            if isinstance(value, IndirectObject):
                return reference(value)
            if isinstance(value, StreamObject):
                # A stream must be an indirect object; one made here (a union subset) is direct.
                number = self._new_number()
                queue.append((number, value))
                return IndirectObject(number, 0, None)
            return _copied(value, copy)

        # Links and annotations that name a page or the page tree land on the copies.
        numbers[reader.trailer["/Root"].raw_get("/Pages").idnum] = self.PAGES
        pages = list(reader.pages)
        for page in pages:
            numbers[page.indirect_reference.idnum] = self._new_number()
            self.page_numbers.append(numbers[page.indirect_reference.idnum])
        for page in pages:
            # reader.pages has the page's inherited attributes (resources, media box) on it.
            page_copy = DictionaryObject(
                (NameObject(key), copy(value)) for key, value in page.items() if key != "/Parent"
            )
            page_copy[NameObject("/Parent")] = IndirectObject(self.PAGES, 0, None)
            self._write(numbers[page.indirect_reference.idnum], page_copy)
            while queue:
                number, pdf_object = queue.pop()
                if isinstance(pdf_object, StreamObject):
                    self._write(number, _copied_stream(pdf_object, copy))
                else:
                    self._write(number, _copied(pdf_object, copy))

    def finish(self, title: str, language) -> None:
        """Write the page tree, the catalogue, the document information and the xref table."""
        kids = ArrayObject(IndirectObject(n, 0, None) for n in self.page_numbers)
        self._write(
            self.PAGES,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Pages"),
                    NameObject("/Kids"): kids,
                    NameObject("/Count"): NumberObject(len(kids)),
                }
            ),
        )
        catalog = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Catalog"),
                NameObject("/Pages"): IndirectObject(self.PAGES, 0, None),
            }
        )
        if language:
            catalog[NameObject("/Lang")] = TextStringObject(str(language))
        self._write(self.CATALOG, catalog)
        info = self._new_number()
        self._write(
            info,
            DictionaryObject(
                {
                    NameObject("/Title"): TextStringObject(title),
                    NameObject("/Producer"): TextStringObject("Rally (WeasyPrint, pypdf)"),
                }
            ),
        )
        xref = self.out.tell()
        self.out.write(f"xref\n0 {len(self.offsets)}\n0000000000 65535 f\r\n".encode())
        for offset in self.offsets[1:]:
            self.out.write(f"{offset:010d} 00000 n\r\n".encode())
        trailer = (
            f"trailer\n<< /Size {len(self.offsets)} /Root {self.CATALOG} 0 R /Info {info} 0 R >>"
            f"\nstartxref\n{xref}\n%%EOF\n"
        )
        self.out.write(trailer.encode())


def _copied(value, copy):
    """`value` with every reference inside it passed through `copy` (a new object)."""
    if isinstance(value, DictionaryObject) and not isinstance(value, StreamObject):
        return DictionaryObject((NameObject(k), copy(v)) for k, v in value.items())
    if isinstance(value, ArrayObject):
        return ArrayObject(copy(item) for item in value)
    return value


def _copied_stream(stream: StreamObject, copy) -> StreamObject:
    """`stream` as it is stored (still encoded), its dictionary's references passed through."""
    if isinstance(stream, DecodedStreamObject):
        stream = stream.flate_encode()
    new = EncodedStreamObject()
    new.update((NameObject(k), copy(v)) for k, v in stream.items() if k != "/Length")
    new._data = stream._data  # noqa: SLF001 - the raw bytes, copied as they are
    return new


def _type0_fonts(reader: PdfReader):
    """(font resource dict, key, Type0 font dict) for every Identity-H font of every page."""
    seen: set[int] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font")
        if fonts is None:
            continue
        fonts = fonts.get_object()
        if id(fonts) in seen:  # a resource dict shared by many pages is visited once
            continue
        seen.add(id(fonts))
        for key, ref in fonts.items():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type0" and font.get("/Encoding") == "/Identity-H":
                yield fonts, key, font


def _descendant(font: DictionaryObject) -> DictionaryObject:
    return font["/DescendantFonts"][0].get_object()


def _font_uses(parts: list[str]) -> dict[str, _FontUse]:
    uses: dict[str, _FontUse] = {}
    for path in parts:
        seen_here: set[str] = set()
        for _fonts, _key, font in _type0_fonts(PdfReader(path)):
            base = str(font["/BaseFont"])
            if base in seen_here:
                continue
            seen_here.add(base)
            use = uses.setdefault(base, _FontUse())
            use.parts += 1
            cid_font = _descendant(font)
            descriptor = cid_font["/FontDescriptor"].get_object()
            if str(cid_font.get("/CIDToGIDMap", "/Identity")) != "/Identity":
                use.shareable = False  # glyph ids are not CIDs: leave this font alone
                continue
            file_key = next((k for k in _FONT_FILES if k in descriptor), "")
            if not file_key or (use.font_file_key and use.font_file_key != file_key):
                use.shareable = False
                continue
            use.font_file_key = file_key
            if not use.postscript_name:
                use.postscript_name = _postscript_name(descriptor[file_key].get_object().get_data())
            for gid, width in parse_widths(cid_font.get("/W", [])).items():
                if use.widths.setdefault(gid, width) != width:
                    use.shareable = False
            if "/ToUnicode" in font:
                use.to_unicode.update(parse_to_unicode(font["/ToUnicode"].get_object().get_data()))
    return uses


def _postscript_name(font_bytes: bytes) -> str:
    from fontTools.ttLib import TTFont

    try:
        name = TTFont(io.BytesIO(font_bytes), lazy=True)["name"].getDebugName(6) or ""
    except Exception:  # noqa: BLE001 - an unreadable subset is simply not shared
        return ""
    return name if _POSTSCRIPT_NAME.fullmatch(name) else ""


def parse_widths(w_array) -> dict[int, float]:
    """A CIDFont /W array ([c [w1 w2 ...]] and [c_first c_last w] entries) as {cid: width}."""
    widths: dict[int, float] = {}
    items = [item.get_object() if isinstance(item, IndirectObject) else item for item in w_array]
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], list):
            for offset, width in enumerate(items[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:
            for cid in range(first, int(items[i + 1]) + 1):
                widths[cid] = float(items[i + 2])
            i += 3
    return widths


_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9a-fA-F]*)>")


def parse_to_unicode(cmap: bytes) -> dict[int, str]:
    """The glyph → text hex pairs of a ToUnicode CMap (bfchar, and simple bfrange entries)."""
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(cmap):
        codes = _HEX.findall(block)
        for source, target in zip(codes[::2], codes[1::2], strict=False):
            mapping[int(source, 16)] = target.decode("ascii").lower()
    for block in _BFRANGE.findall(cmap):
        codes = _HEX.findall(block)
        for low, high, start in zip(codes[::3], codes[1::3], codes[2::3], strict=False):
            first = int(start, 16)
            width = len(start)
            for offset, cid in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[cid] = f"{first + offset:0{width}x}"
    return mapping


def to_unicode_cmap(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap for `mapping`, in blocks of at most 100 entries as the spec asks."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <ffff>",
        "endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        block = items[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(f"<{cid:04x}> <{text}>" for cid, text in block)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def widths_array(widths: dict[int, float]) -> ArrayObject:
    """{cid: width} as a /W array of runs of consecutive CIDs."""
    array = ArrayObject()
    run: list[float] = []
    first = previous = None
    for cid in sorted(widths):
        if previous is not None and cid == previous + 1:
            run.append(widths[cid])
        else:
            if run:
                array += [NumberObject(first), ArrayObject(_number(w) for w in run)]
            first, run = cid, [widths[cid]]
        previous = cid
    if run:
        array += [NumberObject(first), ArrayObject(_number(w) for w in run)]
    return array


def _number(value: float):
    return NumberObject(int(value)) if value == int(value) else FloatObject(value)


@dataclass
class _SharedFont:
    font_file_key: str
    font_bytes: bytes
    widths: ArrayObject
    to_unicode: bytes


def _shared_font(base: str, use: _FontUse) -> _SharedFont | None:
    """The union subset of a font used by several parts, or None to leave it per part."""
    if use.parts < 2 or not use.shareable or not use.postscript_name or not use.widths:
        return None
    source = find_font_file(use.postscript_name)
    if source is None:
        log.info("Font %s not found on this system; embedded once per part", base)
        return None
    font_bytes = subset_font(*source, sorted(use.widths))
    if font_bytes is None or not _widths_match(font_bytes, use.widths):
        log.warning("Font %s could not be shared; embedded once per part", base)
        return None
    return _SharedFont(
        use.font_file_key, font_bytes, widths_array(use.widths), to_unicode_cmap(use.to_unicode)
    )


def _widths_match(font_bytes: bytes, widths: dict[int, float]) -> bool:
    """Whether the subset's advance widths are the ones the parts printed (the right font)."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(font_bytes), lazy=True)
        scale = 1000 / font["head"].unitsPerEm
        metrics, order = font["hmtx"].metrics, font.getGlyphOrder()
        return all(
            gid < len(order) and abs(metrics[order[gid]][0] * scale - width) <= 1
            for gid, width in widths.items()
        )
    except Exception:  # noqa: BLE001 - an unreadable subset is not shared
        return False


def find_font_file(postscript_name: str) -> tuple[str, int] | None:
    """(file, face index) of the installed font with this PostScript name, from fontconfig."""
    try:
        found = subprocess.run(
            ["fc-list", "-f", "%{file}\t%{index}\n", f":postscriptname={postscript_name}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in found.splitlines():
        path, _, index = line.partition("\t")
        if path and index.isdigit():
            return path, int(index)
    return None


def subset_font(path: str, index: int, gids: list[int]) -> bytes | None:
    """The font at `path` (face `index`) cut to `gids`, keeping glyph ids, as WeasyPrint does."""
    hb = _harfbuzz()
    if hb is None:
        return None
    ffi, harfbuzz, harfbuzz_subset = hb
    blob = harfbuzz.hb_blob_create_from_file_or_fail(path.encode())
    if blob == ffi.NULL:
        return None
    face = harfbuzz.hb_face_create(blob, index)
    subset_input = harfbuzz_subset.hb_subset_input_create_or_fail()
    subset = ffi.NULL
    try:
        glyphs = harfbuzz_subset.hb_subset_input_glyph_set(subset_input)
        for gid in gids:
            harfbuzz.hb_set_add(glyphs, gid)
        harfbuzz_subset.hb_subset_input_set_flags(
            subset_input,
            0x02  # RETAIN_GIDS
            | 0x20  # PASSTHROUGH_UNRECOGNIZED
            | 0x04  # DESUBROUTINIZE
            | 0x01  # NO_HINTING
            | 0x40,  # NOTDEF_OUTLINE
        )
        dropped = harfbuzz_subset.hb_subset_input_set(subset_input, 3)  # DROP_TABLE_TAG
        for tag in _DROPPED_TABLES:
            harfbuzz.hb_set_add(dropped, harfbuzz.hb_tag_from_string(tag, 4))
        subset = harfbuzz_subset.hb_subset_or_fail(face, subset_input)
        if subset == ffi.NULL:
            return None
        out = harfbuzz.hb_face_reference_blob(subset)
        length = ffi.new("unsigned int *")
        data = harfbuzz.hb_blob_get_data(out, length)
        font_bytes = ffi.unpack(data, length[0]) if data != ffi.NULL else None
        harfbuzz.hb_blob_destroy(out)
        return font_bytes or None
    finally:
        if subset != ffi.NULL:
            harfbuzz.hb_face_destroy(subset)
        harfbuzz_subset.hb_subset_input_destroy(subset_input)
        harfbuzz.hb_face_destroy(face)
        harfbuzz.hb_blob_destroy(blob)


_HB_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
void hb_blob_destroy(hb_blob_t *blob);
void hb_face_destroy(hb_face_t *face);
void hb_set_add(hb_set_t *set, uint32_t codepoint);
uint32_t hb_tag_from_string(const char *str, int len);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""
_hb_cache: list = []


def _harfbuzz():
    """(ffi, libharfbuzz, libharfbuzz-subset), loaded once; None where they are missing."""
    if not _hb_cache:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(_HB_CDEF)
        try:
            libraries = (ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0"))
        except OSError:
            log.warning("HarfBuzz subsetting is not available; fonts embedded once per part")
            libraries = None
        _hb_cache.append(libraries)
    return _hb_cache[0]


def _shared_base(pdf_object, shared: dict) -> str | None:
    """The /BaseFont of a Type0 font that is shared, else None."""
    if isinstance(pdf_object, DictionaryObject) and pdf_object.get("/Subtype") == "/Type0":
        base = str(pdf_object.get("/BaseFont"))
        return base if base in shared else None
    return None


def _with_union_subset(font: DictionaryObject, shared: _SharedFont) -> DictionaryObject:
    """`font` (its first use) given the union subset, the union widths and ToUnicode map.

    Changed in place in its part's reader, which is read once; the new streams are direct
    objects that the writer makes indirect.
    """
    font_file = DecodedStreamObject()
    font_file.set_data(shared.font_bytes)
    if shared.font_file_key == "/FontFile2":
        font_file[NameObject("/Length1")] = NumberObject(len(shared.font_bytes))
    else:
        font_file[NameObject("/Subtype")] = NameObject("/OpenType")
    to_unicode = DecodedStreamObject()
    to_unicode.set_data(shared.to_unicode)
    cid_font = _descendant(font)
    descriptor = cid_font["/FontDescriptor"].get_object()
    descriptor[NameObject(shared.font_file_key)] = font_file
    cid_font[NameObject("/W")] = shared.widths
    font[NameObject("/ToUnicode")] = to_unicode
    return font
