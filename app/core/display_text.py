"""Text that people type and others see (names, towns): nothing invisible, nothing deceptive."""

import re
import unicodedata
from functools import cache

from markupsafe import Markup
from publicsuffixlist import PublicSuffixList

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


# What mail clients turn into links (see contains_link), read after NFKC folding and casefold.
# Each pattern takes time in proportion to the text, a 1 MB name included: none scans the
# same run of characters again from each of its positions.
# The end of a scheme and its slash, forward or back (browsers read `https:\\host` as
# `https://host`): a scheme ends in a letter, digit, `+`, `.` or `-`.
_SCHEME = re.compile(r"[a-z0-9+.-]:[/\\]")
_EMAIL = re.compile(r"[^\s@]@[^\s@.][^\s@]*\.[^\s@.]")
# Dot-separated labels of letters, digits and hyphens, each tried from its first character,
# and what directly follows the last one.
_DOTTED = re.compile(r"(?<![\w-])((?:[\w-]+\.)+[\w-]+)([/\\]?)")
# Full stops that IDNA also reads as dots; NFKC leaves the ideographic one (U+3002) alone.
_IDNA_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


@cache
def _public_suffixes() -> PublicSuffixList:
    # The copy of the Public Suffix List that ships inside the package: no network, ever.
    # Its ICANN part holds every top-level domain (the private part only adds names under
    # them), and an unknown label is not taken for one.
    return PublicSuffixList(only_icann=True, accept_unknown=False)


def is_top_level_domain(label: str) -> bool:
    """True when `label` (one lowercase label) is a top-level domain on the Public Suffix List."""
    return bool(label) and "." not in label and _public_suffixes().is_public(label)


def _looks_like_a_domain(dotted: str, followed_by_path: bool) -> bool:
    if followed_by_path:
        return True
    *names, last = dotted.split(".")
    return is_top_level_domain(last) and any(len(name) >= 2 for name in names)


def contains_link(value: str) -> bool:
    r"""True for text that a mail client would show as a link, or that reads as an address.

    Judged after NFKC folding (fullwidth `ｈｔｔｐｓ：／／` is `https://`) and casefolding,
    with the ideographic full stops read as dots. Any of these counts:

    - a URL scheme followed by a slash or a backslash (`https://`, `https:\\`);
    - `www.`;
    - an email address (`someone@host.example`), whatever its top-level domain;
    - dot-joined labels followed by a path (`evil.example/login`, `t.co/x`);
    - a domain: dot-joined labels, no space between them, ending in a top-level domain of
      the Public Suffix List (`evil-login.com`, `mr.li`), where some label before it has
      at least two characters. The last condition keeps an initial joined to a surname
      that happens to be a TLD (`J.Kim`, `A.Li`) a name; a one-letter domain without a
      path (`x.com`) passes with it. Labels that end in no TLD (`Dr.Smith`,
      `J.R.R.Tolkien`) and a full stop followed by a space (`Mr. Li`) are names.
    """
    folded = unicodedata.normalize("NFKC", value).casefold().translate(_IDNA_DOTS)
    if _SCHEME.search(folded) or "www." in folded or _EMAIL.search(folded):
        return True
    return any(
        _looks_like_a_domain(match.group(1), bool(match.group(2)))
        for match in _DOTTED.finditer(folded)
    )


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
