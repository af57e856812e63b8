"""ISO 3166-1 countries, named in the reader's language and sorted as that reader expects."""

import unicodedata
from functools import lru_cache

import pycountry
from babel import Locale
from markupsafe import escape


def _sort_key(name: str) -> str:
    """A name folded for ordering: case and accents ignored, so Å sorts with A and أ with ا."""
    # NFD splits Å into A + ring and أ/إ/آ into ا + hamza/madda; dropping the marks groups them
    # (and drops Arabic vowel signs such as the damma in عُمان) without needing ICU.
    decomposed = unicodedata.normalize("NFD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold()


@lru_cache(maxsize=16)
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name) for every ISO 3166-1 country, named in `language` and sorted by name."""
    territories = Locale.parse(language).territories
    countries = []
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        countries.append((country.alpha_2, territories.get(country.alpha_2, english)))
    # The full name breaks ties between names that fold alike, so the order never depends on
    # pycountry's listing order.
    return tuple(sorted(countries, key=lambda item: (_sort_key(item[1]), item[1], item[0])))


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Every valid country code (the same in every language)."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@lru_cache(maxsize=16)
def country_options_html(language: str, placeholder: str) -> str:
    """The <option> list for one language, rendered once: 250 options per page view add up."""
    options = [f'<option value="">{escape(placeholder)}</option>']
    options += [
        f'<option value="{code}">{escape(name)}</option>'
        for code, name in country_choices(language)
    ]
    return "".join(options)
