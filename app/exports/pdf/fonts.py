"""The list's fonts: found with fontconfig, then cut down with fontTools to what a document uses.

Each document gets its own subsets of Noto Sans, Noto Sans Arabic, Noto Sans Hebrew and
Noto Sans CJK, made once before its list is drawn (in a limited child process, as every
part is: loading Noto Sans CJK takes about 100 MB). The chunks' processes then load a few
kB of font instead of 19 MB, and fpdf2 cuts each chunk's subset from these. Shaping tables
(GSUB, GPOS) are kept, so Arabic still joins. Noto Sans CJK has PostScript (CFF) outlines
in a CID-keyed font, which fpdf2 embeds with a code-to-CID CMap that some readers (pypdf
among them) cannot decode; its subset is converted to TrueType outlines, which fpdf2
embeds with the Identity-H encoding every reader knows.
"""

import json
import subprocess
from functools import lru_cache

# The fonts, in the order a character is looked for in them.
FAMILIES = ("Noto Sans", "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans CJK SC")


@lru_cache(maxsize=8)
def find_font(family: str) -> tuple[str, int] | None:
    """The regular face of `family` (file and index in it) from fontconfig, or None."""
    try:
        result = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}\t%{index}", f"{family}:style=Regular"],
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


def installed_fonts() -> list[tuple[str, int]]:
    """The list's fonts that are installed, in FAMILIES' order (Noto Sans may be missing)."""
    return [found for family in FAMILIES if (found := find_font(family))]


def fonts_for(characters, most: int = 20) -> list[tuple[str, int]]:
    """Other installed fonts that have `characters` (at most `most` looked up), for fallback.

    A name in a script the list's fonts lack (Devanagari, Thai, Ethiopic...) is then drawn
    in whatever font fontconfig has for it, rather than left out.
    """
    found: list[tuple[str, int]] = []
    for ch in sorted(characters)[:most]:
        try:
            result = subprocess.run(
                ["fc-match", "-f", "%{file}\t%{index}", f"sans-serif:charset={ord(ch):x}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            )
            path, _tab, index = result.stdout.partition("\t")
        except (OSError, subprocess.SubprocessError):
            continue
        font = (path, int(index or 0))
        if path and font not in found and _has(font, ch):
            found.append(font)
    return found


def _has(font: tuple[str, int], ch: str) -> bool:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(font[0], fontNumber=font[1], lazy=True) as opened:
            return ord(ch) in (opened.getBestCmap() or {})
    except Exception:  # noqa: BLE001 - a font fontTools cannot read is no help
        return False


def write_subset_job(path: str, fonts: list[tuple[str, int]], text: str, out: list[str]):
    """Ask for subsets of `fonts` holding the characters of `text`, written to `out`."""
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"fonts": fonts, "text": text, "out": out}, file, ensure_ascii=False)


def make_subsets(job_path: str) -> None:
    """Write the subsets a job written by write_subset_job() asks for."""
    with open(job_path, encoding="utf-8") as file:
        job = json.load(file)
    for (path, index), out in zip(job["fonts"], job["out"], strict=True):
        subset_font(path, index, job["text"], out)


def subset_font(path: str, index: int, text: str, out: str) -> None:
    """Write to `out` a TrueType font with the glyphs `text` needs from the font at `path`."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]  # joining, marks, ligatures, kerning
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    options.font_number = index
    with TTFont(path, fontNumber=index, lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        if "CFF " in font:
            _to_truetype(font)
        font.save(out)


def _to_truetype(font) -> None:
    """Replace a font's CFF outlines by TrueType (quadratic) ones, as fontTools' otf2ttf does."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        # Within a thousandth of an em; PostScript contours run the other way round.
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attribute in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font.sfntVersion = "\x00\x01\x00\x00"
