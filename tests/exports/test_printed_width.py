"""Printed widths in the delivery list's fonts, and cells spaced out to their column."""

import pytest

from app.exports import printed_width
from app.exports.printed_width import COLUMN_EM, cell, width_columns, wrapped

needs_fonts = pytest.mark.skipif(
    printed_width._font_file("Noto Sans Arabic") is None
    or printed_width._font_file("Liberation Mono") is None,
    reason="fonts-noto-core and fonts-liberation are not installed",
)


@needs_fonts
def test_latin_is_one_column_a_character_and_is_spaced_with_plain_spaces():
    assert width_columns("United Kingdom") == pytest.approx(14)
    assert cell("France", 20, "<", ">") == "<France>" + " " * 14


@needs_fonts
def test_arabic_is_measured_and_spaced_out_to_within_a_fiftieth_of_an_em():
    name = "المملكة العربية السعودية"
    width = width_columns(name)
    assert 10 < width < len(name)  # narrower than a column a letter, joined and shaped
    spaced = cell(name, 20, "<", ">")
    inside, _, after = spaced[1:].partition(">")
    own_spaces = len(inside) - len(name)
    assert inside.startswith(name) and set(inside[len(name) :]) <= {" "}
    assert set(after) == {" "} and after  # at least one space after the isolate
    # Spaces inside are the Arabic font's, those after it Liberation Mono's.
    arabic_space = printed_width._space_em(printed_width._font_file("Noto Sans Arabic"))
    printed = width * COLUMN_EM + own_spaces * arabic_space + len(after) * COLUMN_EM
    assert printed == pytest.approx(20 * COLUMN_EM, abs=1 / 50)


@needs_fonts
def test_long_names_wrap_at_spaces_within_the_column():
    name = "South Georgia & South Sandwich Islands"
    lines = wrapped(name, 18)
    assert " ".join(lines) == name and len(lines) == 3
    assert all(width_columns(line) <= 18 for line in lines)
    assert wrapped("الإقليم البريطاني في المحيط الهندي", 18)[0] == "الإقليم البريطاني في"
