"""Join the delivery PDF's parts (the cover, then the list's chunks) into one file, with qpdf.

pikepdf copies each part's pages into a new document; page contents and font files are
read from the parts when the file is written, so memory holds the objects but not their
streams (about 13 kB a page: 290 MB for the 22,000 pages of a million rows).
Each chunk embeds its own subsets of the list's fonts (a few tens of kB a chunk: fpdf2
subsets with fontTools), so no font is merged. fpdf2 gives its subsets the same tag in every
chunk ("MPDFAA+NotoSans"); a viewer that caches fonts by name could then draw one chunk's
glyphs with another's subset, so each part's tags are made its own here.
"""

import re
from pathlib import Path

import pikepdf

_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


def join_pdfs(parts: list[str], out_path: Path, title: str = "") -> int:
    """Write `parts` one after another into `out_path`; returns the number of pages.

    The title and language are the first part's (the cover, rendered from the document's
    HTML) unless `title` is given.
    """
    opened = []
    try:
        with pikepdf.new() as joined:
            tree = joined.Root.Pages
            count = 0
            for index, part in enumerate(parts):
                source = pikepdf.open(part)
                opened.append(source)
                if index == 0 and "/Lang" in source.Root:
                    joined.Root.Lang = source.Root.Lang
                _retag_fonts(source, index)
                # Pages are hung on the tree directly: pages.extend() checks every page
                # already there for each one it adds, which took 30 s for 22,000 pages.
                for page in source.pages:
                    copied = joined.copy_foreign(_with_inherited(page.obj))
                    copied.Parent = tree
                    tree.Kids.append(copied)
                    count += 1
            tree.Count = count
            with joined.open_metadata(set_pikepdf_as_editor=False) as metadata:
                if title:
                    metadata["dc:title"] = title
                metadata["xmp:CreatorTool"] = "Rally"
            if title:
                joined.docinfo["/Title"] = title
            joined.save(
                out_path,
                linearize=False,
                object_stream_mode=pikepdf.ObjectStreamMode.generate,
                deterministic_id=True,
            )
            return count
    finally:
        for source in opened:
            source.close()


def _with_inherited(page: pikepdf.Dictionary) -> pikepdf.Dictionary:
    """`page` with what it inherits from the page tree (resources, boxes) set on itself."""
    for key in ("/Resources", "/MediaBox", "/CropBox", "/Rotate"):
        if key in page:
            continue
        node = page.get("/Parent")
        while node is not None and key not in node:
            node = node.get("/Parent")
        if node is not None:
            page[key] = node[key]
    return page


def _retag_fonts(pdf: pikepdf.Pdf, part: int) -> None:
    """Give the subset fonts of one part a tag that no other part uses."""
    seen = set()
    for page in pdf.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            if font.objgen in seen:
                continue
            seen.add(font.objgen)
            base = str(font.get("/BaseFont", ""))[1:]
            if not _SUBSET_TAG.match(base):
                continue
            tag = _tag(part)
            font.BaseFont = pikepdf.Name(f"/{tag}{base[7:]}")
            for descendant in font.get("/DescendantFonts", []):
                descendant.BaseFont = font.BaseFont
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is not None:
                    descriptor.FontName = font.BaseFont
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None:
                descriptor.FontName = font.BaseFont


def _tag(part: int) -> str:
    """A subset tag for one part: R and the part's number in five letters (base 26)."""
    letters = ""
    for _ in range(5):
        part, digit = divmod(part, 26)
        letters = chr(ord("A") + digit) + letters
    return f"R{letters}+"
