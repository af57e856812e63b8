"""CSV that spreadsheets open safely: no cell is taken for a formula (OWASP CSV injection)."""

import csv
from collections.abc import Iterable

# A spreadsheet treats a cell starting with one of these as a formula (or worse).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
ESCAPE = "'"


def safe_cell(value) -> str:
    """The value as text, with a ' in front when a spreadsheet could run it.

    Values that already start with ' get one too, so unescape_cell() is exact.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS + (ESCAPE,)):
        return ESCAPE + text
    return text


def unescape_cell(text: str) -> str:
    """The original value of a cell written by safe_cell()."""
    return text[1:] if text.startswith(ESCAPE) else text


def write_csv(stream, header: Iterable[str], rows: Iterable[Iterable]) -> None:
    """RFC 4180 CSV (quoted where needed, CRLF line ends) with every cell made safe."""
    writer = csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
