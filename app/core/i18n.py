"""Language choice (?lang=, remembered cookie, Accept-Language), text direction and catalogues."""

import logging
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError, support
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, request
from flask_babel import get_locale
from wtforms.i18n import messages_path

from app.core.display_text import isolate, ltr

log = logging.getLogger("rally.i18n")

LANGUAGE_COOKIE = "lang"
# Set in a request whose ?lang= is not the visitor's choice to keep (the embed widget).
LANGUAGE_NOT_REMEMBERED = "rally.language_not_remembered"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def preferred_language(available, default: str) -> str:
    """Pick from `available`: ?lang= first, then the remembered choice, then Accept-Language."""
    available = list(available)
    for candidate in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in available:
            return candidate
    return request.accept_languages.best_match(available) or default


def page_language() -> str:
    """The language of this request's pages and emails."""
    return str(get_locale() or "en")


def select_locale() -> str:
    """Flask-Babel locale selector: the interface language for this request."""
    config = current_app.config
    return preferred_language(config["LANGUAGES"], config["BABEL_DEFAULT_LOCALE"])


@lru_cache(maxsize=16)
def _wtforms_catalogue(language: str):
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class WTFormsTranslations:
    """WTForms' own messages in the interface language, each catalogue read once a process.

    Flask-WTF reads the catalogue from disk again in every request that builds a form;
    forms on the signing path take this instead (Meta.get_translations).
    """

    def gettext(self, string):
        """`string` in this request's interface language."""
        return _wtforms_catalogue(str(get_locale())).ugettext(string)

    def ngettext(self, singular, plural, n):
        """The singular or plural of a message, for `n`, in the interface language."""
        return _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()


@lru_cache(maxsize=64)
def og_locale(language: str) -> str:
    """Open Graph's form of a language, language_TERRITORY, with CLDR's likeliest territory."""
    try:
        locale = Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return language
    if locale.territory:
        return f"{locale.language}_{locale.territory}"
    likely = get_global("likely_subtags").get(locale.language, "")
    territory = likely.split("_")[-1] if likely.count("_") >= 1 else ""
    return f"{locale.language}_{territory}" if territory.isupper() else locale.language


@lru_cache(maxsize=64)
def text_direction(language: str) -> str:
    """'rtl' for right-to-left languages such as Arabic, otherwise 'ltr'."""
    try:
        return Locale.parse(language).text_direction
    except (UnknownLocaleError, ValueError):
        return "ltr"


@lru_cache(maxsize=64)
def language_name(language: str) -> str:
    """The language's own name for itself (العربية, English), for the language switcher."""
    try:
        return Locale.parse(language).get_display_name(language).capitalize()
    except (UnknownLocaleError, ValueError):
        return language


def language_option(language: str) -> tuple[str, str, dict[str, str]]:
    """A language as a menu's (value, label, attributes): in its own name, lang and dir."""
    # Each language named in itself, as the switcher does: a reader finds their own
    # language whatever the interface speaks; `lang` has screen readers pronounce it so.
    return language, language_name(language), {"lang": language, "dir": text_direction(language)}


@lru_cache(maxsize=256)
def is_known_language(code: str) -> bool:
    """True when Babel knows the language code."""
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def dont_remember_language() -> None:
    """Set no language cookie for this request: its ?lang= is a page's setting, not a choice."""
    request.environ[LANGUAGE_NOT_REMEMBERED] = True


def remember_language(response):
    """Keep an explicit ?lang= choice in a cookie, when the site's interface speaks it."""
    chosen = request.args.get("lang")
    if (
        chosen
        and not request.environ.get(LANGUAGE_NOT_REMEMBERED)
        and chosen in current_app.config["LANGUAGES"]
        and chosen != request.cookies.get(LANGUAGE_COOKIE)
    ):
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        response.vary.add("Cookie")
    return response


def compile_catalogues(translations_dir: Path = TRANSLATIONS) -> None:
    """Compile each messages.po into messages.mo when the .mo is missing or older.

    Run at build and test time (`make`, the test suite), not when the app starts.
    """
    for po_path in translations_dir.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        try:
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError:
            # A read-only install keeps whatever .mo it shipped with.
            continue


def init_app(app: Flask) -> None:
    """Expose i18n helpers to templates and remember language choices."""
    from flask_babel import format_date, format_number, refresh

    for language in app.config["LANGUAGES"]:
        if language != "en" and not (TRANSLATIONS / language / "LC_MESSAGES/messages.mo").exists():
            log.warning("No compiled catalogue for %r: run `make translations-compile`", language)
    # The locale is cached on the app context, which a request may share with its caller
    # (tests, CLI): choose it afresh for every request.
    app.before_request(refresh)
    app.after_request(remember_language)
    app.jinja_env.filters["format_count"] = format_number
    app.jinja_env.filters["isolate"] = isolate
    app.jinja_env.filters["ltr"] = ltr
    app.jinja_env.filters["format_date_long"] = lambda value: format_date(value, "long")

    @app.context_processor
    def i18n_context():
        from flask_babel import get_locale

        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "interface_language": locale,
            "interface_direction": text_direction(locale),
            "text_direction": text_direction,
            "og_locale": og_locale,
            "language_name": language_name,
        }
