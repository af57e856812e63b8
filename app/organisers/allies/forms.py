"""Forms of the allies pages: an ally's details, and who may frame the campaign's widget."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, StopValidation, ValidationError

from app.campaigns.allies import NotAnOrigin, normalise_origin
from app.core.display_text import contains_web_address, isolate_ltr
from app.organisers.teams.forms import name_field
from app.signatures.attribution import CODE
from app.signatures.forms import (
    TypedForm,
    at_most,
    has_unreadable_characters,
    readable_text,
    shown_text,
    strip,
)

CODE_MAX = 40
QUESTION_MAX = 300
SITES_MAX = 20
SITES_TEXT_MAX = 4000
_SEPARATORS = re.compile(r"[\s,]+")


def one_line(value):
    """Text meant as one line (a question): line breaks and runs of spaces become one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def readable_lines(form, field):
    """Like readable_text, but line breaks and tabs between entries are fine."""
    value = (field.data or "").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if has_unreadable_characters(value):
        raise StopValidation(_l("This contains characters we cannot read. Please retype it."))


def a_referrer_code(form, field):
    """Letters, digits, hyphens and underscores, as links carry them (attribution.CODE)."""
    if not CODE.fullmatch(field.data or ""):
        raise StopValidation(
            _l("Use only letters, digits, hyphens (-) and underscores (_), without spaces.")
        )


def no_web_address(form, field):
    """Widget text: no web address for someone to be sent to."""
    if field.data and contains_web_address(field.data):
        raise ValidationError(_l("Write the question without a web address."))


def site_list(text: str) -> list[str]:
    """The origins written one per line (or separated by spaces or commas), normalised.

    Raises ValueError with the first entry that is not a web site's origin.
    """
    sites: dict[str, None] = {}
    for entry in _SEPARATORS.split(text or ""):
        if entry:
            try:
                sites[normalise_origin(entry)] = None
            except NotAnOrigin as error:
                raise ValueError(entry) from error
    return list(sites)


def allowed_sites(form, field):
    """Each entry a web site's origin (https://example.org), at most SITES_MAX of them."""
    try:
        sites = site_list(field.data)
    except ValueError as error:
        raise StopValidation(
            _l(
                "“%(entry)s” is not a web site's address. Write each site as its address "
                "only, like %(example)s: no path after it, no *, no other scheme.",
                entry=isolate_ltr(str(error)[:100]),
                example=isolate_ltr("https://example.org"),
            )
        ) from error
    if len(sites) > SITES_MAX:
        raise StopValidation(_l("Give at most %(num)d sites.", num=SITES_MAX))
    field.sites = sites


def sites_field() -> TextAreaField:
    """The sites that may frame the widget, one per line (optional)."""
    return TextAreaField(
        _l("Sites that may show the widget"),
        filters=[strip],
        validators=[at_most(SITES_TEXT_MAX), readable_lines, allowed_sites],
    )


def question_field() -> TextAreaField:
    """The ally's optional "may we contact you?" question."""
    return TextAreaField(
        _l("Question to ask in the widget"),
        filters=[shown_text, one_line],
        validators=[at_most(QUESTION_MAX), readable_text, no_web_address],
    )


class EditAllyForm(TypedForm):
    """An ally's name, the sites that may show its widget, and its optional question."""

    name = name_field()
    sites = sites_field()
    contact_question = question_field()

    def site_list(self) -> list[str]:
        """The validated sites, normalised (empty when none were given)."""
        return getattr(self.sites, "sites", [])


class AllyForm(EditAllyForm):
    """A new ally: its details plus the referrer code its links and widget will carry."""

    # Declared again so the fields keep the page's order (name, code, sites, question).
    name = name_field()
    code = StringField(
        _l("Referrer code"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter a referrer code.")),
            at_most(CODE_MAX),
            a_referrer_code,
        ],
    )
    sites = sites_field()
    contact_question = question_field()


class FramingForm(TypedForm):
    """Whether only the allies' sites may show the campaign's widget."""

    widget_allies_only = BooleanField(_l("Only the allies' sites may show the widget"))
