"""Text that people type and others see (names, towns): nothing invisible, nothing deceptive."""

import re
import unicodedata

from markupsafe import Markup

# Letters that draw nothing: a name made of them looks empty (Hangul fillers, braille blank).
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
WEB_ADDRESS = re.compile(r"://|www\.", re.IGNORECASE)
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"
LEFT_TO_RIGHT_ISOLATE = "\u2066"


def remove_invisible(value: str) -> str:
    """Drop format characters (Unicode category Cf) and collapse white space.

    Format characters are bidi controls (U+202A–U+202E, U+2066–U+2069), zero-width
    characters, soft hyphens and the like.
    """
    kept = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    return " ".join(kept.split())


def has_visible_letter(value: str) -> bool:
    """True when at least one character is a letter that draws something."""
    return any(
        unicodedata.category(ch).startswith("L") and ch not in INVISIBLE_LETTERS for ch in value
    )


def contains_web_address(value: str) -> bool:
    """True for text carrying a link (`://` or `www.`), which emails would show as one."""
    return bool(WEB_ADDRESS.search(value))


def isolate(value: str) -> str:
    """Wrap text in FSI … PDI so its direction cannot reorder what surrounds it (plain text)."""
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"


def isolate_ltr(value: str) -> str:
    """Wrap text in LRI … PDI: a code, address or date kept left to right (plain text).

    For sentences made in Python (form messages), where no markup can go; pages use `ltr`.
    """
    return f"{LEFT_TO_RIGHT_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"


def ltr(value) -> Markup:
    """`value`, escaped, in <bdi dir="ltr">: the `ltr` filter of the templates.

    Codes, web addresses, domains, email addresses, dates and times, paths, hashes and
    numbers with units are left-to-right fragments. In a right-to-left sentence their
    punctuation would take the sentence's direction and move: ?source= shows as =source?,
    *.uni.ac.uk as uni.ac.uk.*, "2026-03-31 14:00" as "14:00 2026-03-31". Isolated, they
    keep their order and leave the sentence's alone.
    """
    return Markup('<bdi dir="ltr">{}</bdi>').format("" if value is None else value)
