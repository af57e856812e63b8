"""The word list that keeps slurs and insults in signers' names off public lists until reviewed.

Built-in lists live in name_words/ (one word or phrase a line, `#` comments); operators add
files with NAME_WORD_LIST_PATHS. Matching ignores case, accents and Arabic diacritics,
tatweel and hamza forms, look-alike Cyrillic and Greek letters, common digit swaps,
stretched letters and letters spaced or dotted apart, but compares whole words only: a
listed word inside a longer one ("Scunthorpe", "Zubaidi") is not a match.
"""

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app

BUILT_IN = Path(__file__).resolve().parent / "name_words"
EXTENSION_KEY = "rally.name_words"

# Spellings of one Arabic letter (teh marbuta as heh, alef maksura as yeh, Persian kaf
# and yeh, alef wasla); tatweel only stretches a word. Hamza seats are split off by NFKD.
_ARABIC = {"ة": "ه", "ى": "ي", "ک": "ك", "ی": "ي", "ٱ": "ا", "\u0640": None}
# Cyrillic and Greek letters that look like Latin ones, as used to slip past filters.
_LOOK_ALIKES = dict(zip("асеорхуіјѕкмтнвαεικνορτυ", "aceopxyijskmthbaeikvoptu", strict=True))
_FOLD = str.maketrans({**_ARABIC, **_LOOK_ALIKES})
# Digits and signs standing in for letters, inside a word that has letters.
_LEET = str.maketrans(
    {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)
_DIGITS = re.compile(r"\d+")
_ONE_AS = ("i", "l")  # "1" stands in for either
# A word: letters and digits, the signs above, "!" before a letter ("sh!t").
_PIECE = re.compile(r"(?:[^\W_]|[@$]|!(?=[^\W_]))+")
_DROPPED = {"Mn", "Mc", "Me", "Cf"}
_STRETCHED = re.compile(r"(.)\1{2,}")  # the same letter three times or more


def fold(text: str) -> str:
    """Text as the word list compares it: no case, accents, diacritics or letter variants."""
    decomposed = unicodedata.normalize("NFKD", text)
    # Marks (accents, tashkeel) and format characters (zero-width joiners) go.
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) not in _DROPPED)
    return bare.casefold().translate(_FOLD)


def _words(text: str) -> list[list[str]]:
    """The folded text's words, grouped by the whitespace-separated chunk they came from."""
    return [pieces for chunk in fold(text).split() if (pieces := _PIECE.findall(chunk))]


def _spellings(word: str) -> set[str]:
    """The ways to read one word: digit swaps undone or dropped, stretched letters shortened."""
    if not any(ch.isalpha() for ch in word):
        return {word}
    swapped = word.translate(_LEET)
    readings = {swapped.replace("1", one) for one in _ONE_AS} | {_DIGITS.sub("", word)}
    for reading in [r for r in readings if _STRETCHED.search(r)]:  # seldom any
        readings |= {_STRETCHED.sub(r"\1" * keep, reading) for keep in (1, 2)}
    return readings


def _readings(name: str) -> list[list[str]]:
    """Word sequences a reader could see in `name`, one per way of splitting it."""
    chunks = _words(name)
    split = [piece for pieces in chunks for piece in pieces]
    joined = ["".join(pieces) for pieces in chunks]  # "f.u.c.k" and "fu-ck" as one word
    spaced = []  # runs of single letters ("f u c k") read as one word
    for piece in split:
        if len(piece) == 1 and spaced and spaced[-1][1]:
            spaced[-1] = (spaced[-1][0] + piece, True)
        else:
            spaced.append((piece, len(piece) == 1))
    return [split, joined, [word for word, _ in spaced]]


class WordList:
    """Listed words and phrases, matched as whole words of a name."""

    def __init__(self, entries: Iterable[str]):
        phrases = {" ".join(p for ws in _words(entry) for p in ws) for entry in entries}
        phrases.discard("")
        self.size = len(phrases)
        # Longest first, so a phrase wins over a word it starts with; spaces bound words.
        alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        self._pattern = re.compile(f" (?:{alternatives}) ") if phrases else None

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> "WordList":
        """Read each file: one word or phrase a line; blank lines and `#` comments skipped."""
        entries = []
        for path in paths:
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    entries.append(line)
        return cls(entries)

    def matches(self, name: str) -> bool:
        """Whether any reading of `name` contains a listed word or phrase as whole words."""
        if self._pattern is None:
            return False
        for words in _readings(name):
            for variant in _word_variants(words):
                if self._pattern.search(f" {' '.join(variant)} "):
                    return True
        return False


def _word_variants(words: list[str]) -> Iterable[list[str]]:
    # Each word read the same way across the name (1 as i everywhere, or l everywhere): a
    # handful of variants, not every combination.
    spellings = [sorted(_spellings(word)) for word in words]
    longest = max((len(options) for options in spellings), default=0)
    for index in range(longest):
        yield [options[min(index, len(options) - 1)] for options in spellings]


def init_app(app: Flask) -> None:
    """Read the built-in and configured word lists once; a missing file stops start-up."""
    paths = sorted(BUILT_IN.glob("*.txt")) + [Path(p) for p in app.config["NAME_WORD_LIST_PATHS"]]
    app.extensions[EXTENSION_KEY] = WordList.from_files(paths)


def name_needs_review(name: str) -> bool:
    """Whether `name` matches the word list, so the team should see it before the public."""
    return current_app.extensions[EXTENSION_KEY].matches(name)
