"""The sign form and the resend-confirmation form."""

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import get_locale, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import html_params

from app.core.countries import country_codes, country_options_html

NAME_MAX = 200
POSTCODE_MAX = 30
EMAIL_MAX = 254


class CountrySelect:
    """A <select> widget that reuses the rendered options and marks the chosen one."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        language = str(get_locale() or "en")
        options = country_options_html(language, str(field.placeholder))
        if field.data:
            chosen = f'<option value="{escape(field.data)}">'
            options = options.replace(chosen, chosen[:-1] + " selected>", 1)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


def at_most(limit: int) -> Length:
    """A length limit whose message agrees with the number in every language."""
    return Length(
        max=limit,
        message=lazy_ngettext(
            "Use at most %(num)d character.", "Use at most %(num)d characters.", limit
        ),
    )


def strip(value):
    """Trim surrounding white space from typed text."""
    return value.strip() if isinstance(value, str) else value


def readable_text(form, field):
    """Refuse control characters and bytes that were not valid UTF-8 (decoded as U+FFFD)."""
    value = field.data or ""
    if "\ufffd" in value or any(unicodedata.category(ch) in {"Cc", "Cs", "Co"} for ch in value):
        raise StopValidation(_l("This contains characters we cannot read. Please retype it."))


def required_when_asked(message):
    """Required when the campaign lists the field under [form] required."""

    def check(form, field):
        if field.name in form.required_fields and not field.data:
            raise StopValidation(message)

    return check


def email_address(form, field):
    """A syntactically valid address; no DNS lookups, so signing never waits on the network."""
    try:
        result = validate_email(field.data, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(_l("Enter a valid email address, like name@example.com.")) from error
    field.data = result.normalized


def text_field(label, missing_message, limit: int, *extra_validators) -> StringField:
    """A trimmed text input: required when the campaign asks, at most `limit` characters."""
    return StringField(
        label,
        filters=[strip],
        validators=[
            required_when_asked(missing_message),
            at_most(limit),
            readable_text,
            *extra_validators,
        ],
    )


def email_field() -> StringField:
    """The email input both forms use: required, at most 254 characters, valid syntax."""
    return text_field(
        _l("Email address"), _l("Enter your email address."), EMAIL_MAX, email_address
    )


class CsrfByApp:
    # CSRFProtect checks every POST before any view runs; checking again per form is waste.
    csrf = False


class SignForm(FlaskForm):
    """Name, email, locality, country and the two opt-ins."""

    Meta = CsrfByApp

    name = text_field(_l("Full name"), _l("Enter your name."), NAME_MAX)
    email = email_field()
    postcode = text_field(_l("Postcode or town"), _l("Enter your postcode or town."), POSTCODE_MAX)
    country = SelectField(
        _l("Country"),
        validators=[required_when_asked(_l("Choose your country."))],
        validate_choice=False,
        widget=CountrySelect(),
    )
    public = BooleanField(_l("Show my name and town on this page"))
    contact_consent = BooleanField(_l("The organisers may email me about this campaign"))

    def __init__(self, *args, required_fields=("name", "email"), **kwargs):
        super().__init__(*args, **kwargs)
        self.required_fields = set(required_fields) | {"name", "email"}
        self.country.placeholder = _l("Choose your country")

    def validate_country(self, field):
        if field.data and field.data not in country_codes():
            raise ValidationError(_l("Choose a country from the list."))


class ResendForm(FlaskForm):
    """Ask for a fresh confirmation email; the address must be typed again."""

    Meta = CsrfByApp

    email = email_field()
    required_fields = {"email"}
