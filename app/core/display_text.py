"""Text that people type and others see (names, towns): nothing invisible, nothing deceptive."""

import re
import unicodedata

# Letters that draw nothing: a name made of them looks empty (Hangul fillers, braille blank).
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
WEB_ADDRESS = re.compile(r"://|www\.", re.IGNORECASE)
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


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
