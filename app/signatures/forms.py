"""The sign form, the confirm form (details the email owner checks) and the resend form."""

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import request
from flask_babel import get_locale, lazy_ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import html_params

from app.campaigns.loader import email_domain_allowed
from app.campaigns.models import required_sign_fields
from app.core.countries import country_codes, country_options_html
from app.core.display_text import contains_link, has_visible_letter, remove_invisible
from app.core.i18n import wtforms_translations

NAME_MAX = 200
POSTCODE_MAX = 30
EMAIL_MAX = 254


def ally_question_label(name: str, question: str) -> str:
    """An ally's contact question as the widget and the confirm page word it, naming the ally."""
    return _("%(ally)s asks: %(question)s", ally=name, question=question)


class CountrySelect:
    """A <select> widget that reuses the rendered options and marks the chosen one."""

    def __call__(self, field, **kwargs):
        """The <select> HTML for `field`, with its current value selected."""
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


def shown_text(value):
    """Text others will see: invisible and direction-changing characters removed."""
    return remove_invisible(value) if isinstance(value, str) else value


def a_real_name(form, field):
    """A name someone could read: a visible letter, and nothing a mail client shows as a link.

    Names go into emails sent to other people (contains_link says what counts). A name
    already refused as too long is not read further: its length is the error to fix.
    """
    if not field.data or field.errors:
        return
    if not has_visible_letter(field.data):
        raise StopValidation(_l("Enter your name in letters."))
    if contains_link(field.data):
        raise StopValidation(
            _l(
                "Enter your name without a web or email address. "
                "If it has a full stop, leave a space after it."
            )
        )


def no_link(form, field):
    """Refuse a web or email address where a town or postcode belongs (see contains_link)."""
    if field.data and not field.errors and contains_link(field.data):
        raise StopValidation(_l("Enter your postcode or town without a web or email address."))


def has_unreadable_characters(value: str) -> bool:
    """Whether `value` holds control characters or bytes that were not valid UTF-8 (U+FFFD)."""
    return "\ufffd" in value or any(unicodedata.category(ch) in {"Cc", "Cs", "Co"} for ch in value)


def readable_text(form, field):
    """Refuse control characters and bytes that were not valid UTF-8 (decoded as U+FFFD)."""
    if has_unreadable_characters(field.data or ""):
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


def text_field(label, missing_message, limit: int, *extra_validators, shown=False) -> StringField:
    """A trimmed text input: required when the campaign asks, at most `limit` characters.

    `shown` text (names, towns) also loses invisible and direction-changing characters.
    """
    return StringField(
        label,
        filters=[shown_text, strip] if shown else [strip],
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


class TypedForm(FlaskForm):
    """A form that reads only typed fields: a field sent as a file part counts as missing.

    CSRFProtect checks every POST before any view runs, so the form does not check again.
    """

    class Meta:
        """Form options: no CSRF check of its own, WTForms' messages read once a process."""

        csrf = False

        def get_translations(self, form):
            """WTForms' messages in the interface language (Flask-WTF's, but kept)."""
            return wtforms_translations

    def __init__(self, *args, **kwargs):
        if not args and "formdata" not in kwargs and request.method == "POST":
            kwargs["formdata"] = request.form
        super().__init__(*args, **kwargs)


class DetailsForm(TypedForm):
    """Name, locality, country and the two choices: what a signature shows and allows."""

    name = text_field(_l("Full name"), _l("Enter your name."), NAME_MAX, a_real_name, shown=True)
    postcode = text_field(
        _l("Postcode or town"),
        _l("Enter your postcode or town."),
        POSTCODE_MAX,
        no_link,
        shown=True,
    )
    country = SelectField(
        _l("Country"),
        validators=[required_when_asked(_l("Choose your country."))],
        validate_choice=False,
        widget=CountrySelect(),
    )
    public = BooleanField(_l("Show my name and town on this page"))
    contact_consent = BooleanField(_l("The organisers may email me about this campaign"))

    def __init__(self, *args, required_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.required_fields = set(required_sign_fields(required_fields))
        self.country.placeholder = _l("Choose your country")

    def validate_country(self, field):
        """Only ISO 3166-1 codes."""
        if field.data and field.data not in country_codes():
            raise ValidationError(_l("Choose a country from the list."))

    def consent_wording(self) -> dict[str, str]:
        """The two choices as worded on this page, in its language, to keep with the answer."""
        return {
            "public": str(self.public.label.text),
            "contact_consent": str(self.contact_consent.label.text),
        }


class SignForm(DetailsForm):
    """The sign form: the details plus the email address to confirm them from.

    Two fields are for the fraud rules, never shown as errors: `website`, a honeypot that
    people never see (scripts that fill every field do), and `rendered`, the signed stamp
    of when the page was rendered.
    """

    email = email_field()
    # Only addresses at these domains may sign, when the campaign says so (else any).
    allowed_email_domains: tuple[str, ...] = ()
    website = StringField(_l("Leave this field empty"), filters=[lambda v: (v or "")[:200]])
    rendered = HiddenField(filters=[lambda v: (v or "")[:400]])

    def ally_contact_answer(self) -> bool | None:
        """The answer to an ally's contact question: None, the campaign page asks none."""
        return None

    @classmethod
    def for_page(cls, page) -> "SignForm":
        """The sign form of a campaign page: its required fields and allowed domains."""
        form = cls(required_fields=page.required_fields)
        form.allowed_email_domains = page.allowed_email_domains
        return form

    def validate_email(self, field):
        """An address at one of the campaign's allowed domains, when it has any.

        Not a fraud rule: the restriction is public, and a real supporter typing their
        private address needs to be told which one to use.
        """
        domain = (field.data or "").rpartition("@")[2]
        if not email_domain_allowed(domain, self.allowed_email_domains):
            shown = ", ".join(
                dict.fromkeys(d.removeprefix("*.") for d in self.allowed_email_domains)
            )
            raise ValidationError(
                _l("This petition is for addresses at %(domains)s only.", domains=shown)
            )


class ConfirmForm(DetailsForm):
    """The confirm page's form: the details as signed, for the email owner to check.

    The choices (public, contact_consent, the ally's question) are asked afresh, unticked:
    whoever filled in the sign form may not own the mailbox, and a box ticked for someone
    is not their consent (GDPR; the CJEU's Planet49 ruling). Only what the owner ticks on
    this page is recorded. When the signature answered an ally's contact question, the
    question is asked again (`ask_ally`), so its owner makes that choice too.
    """

    ally_contact_consent = BooleanField()
    asks_ally = False
    # What the page fills in from the signature; never a choice.
    PREFILLED = ("name", "postcode", "country")

    @classmethod
    def prefilled(cls, details) -> dict:
        """The form data that shows `details` (a ChosenDetails) to check, choices unmade."""
        return {name: getattr(details, name) for name in cls.PREFILLED}

    def ask_ally(self, label: str | None) -> None:
        """Ask the ally's question, worded `label` (see ally_question_label); None: no question."""
        if label:
            self.asks_ally = True
            self.ally_contact_consent.label.text = label

    def ally_contact_answer(self) -> bool | None:
        """The answer to the ally's question; None when the page did not ask one."""
        return bool(self.ally_contact_consent.data) if self.asks_ally else None

    def consent_wording(self) -> dict[str, str]:
        """The choices as worded on this page, the ally's question too when it was asked."""
        wording = super().consent_wording()
        if self.asks_ally:
            wording["ally_contact"] = str(self.ally_contact_consent.label.text)
        return wording


class ResendForm(TypedForm):
    """Ask for a fresh confirmation email; the address must be typed again."""

    email = email_field()
    required_fields = {"email"}
