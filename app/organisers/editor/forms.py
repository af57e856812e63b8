"""The editor's forms: a new campaign, its settings, one language's texts, languages, unpublish."""

from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError

from app.campaigns.loader import (
    BODY_MAX,
    EMAIL_MAX,
    SLUG_PATTERN,
    SUMMARY_MAX,
    TARGET_MAX,
    THANK_YOU_MAX,
    TITLE_MAX,
    email_domain_patterns,
    normalise_lines,
)
from app.core.display_text import isolate_ltr
from app.core.i18n import is_known_language, language_option
from app.signatures.forms import TypedForm, at_most, readable_text

# Offered in the "add a language" list; any language code Babel knows is accepted.
OFFERED_LANGUAGES = (
    "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fa", "fi",
    "fr", "ga", "gl", "he", "hi", "hr", "hu", "hy", "id", "it", "ja", "ka", "ko", "ku", "lt",
    "lv", "mk", "ms", "mt", "nb", "nl", "pa", "pl", "ps", "pt", "ro", "ru", "sk", "sl", "so",
    "sq", "sr", "sv", "sw", "ta", "th", "ti", "tr", "uk", "ur", "vi", "yo", "zh",
)  # fmt: skip
GOAL_MAX = 100_000_000


def language_choices(exclude=()) -> list[tuple[str, str, dict[str, str]]]:
    """The languages to choose from, each by its own name, in the order of those names."""
    codes = dict.fromkeys([*current_app.config["LANGUAGES"], *OFFERED_LANGUAGES])
    return sorted(
        (language_option(code) for code in codes if code not in exclude),
        key=lambda choice: choice[1].casefold(),
    )


def one_line(value):
    """Title-like text: surrounding space trimmed and line breaks joined into spaces."""
    return " ".join(value.split()) if isinstance(value, str) else value


def lines(value):
    """Markdown as typed: line breaks made uniform, surrounding blank lines trimmed."""
    return normalise_lines(value) if isinstance(value, str) else value


def required(message):
    """A value is needed."""

    def check(form, field):
        if not field.data:
            raise StopValidation(message)

    return check


def a_language(form, field):
    """A language code Babel knows (en, ar, pt-BR ...)."""
    code = (field.data or "").strip()
    field.data = code
    if not code:
        raise StopValidation(_l("Choose a language."))
    if len(code) > 12 or not is_known_language(code):
        raise StopValidation(_l("Choose a language from the list."))


def a_slug(form, field):
    """Lowercase letters, digits and hyphens, as in the web address."""
    if field.data and not SLUG_PATTERN.match(field.data):
        raise StopValidation(
            _l(
                "Use only lowercase letters a to z, digits and hyphens, starting and ending "
                "with a letter or digit (at most 100 characters)."
            )
        )


def a_goal(form, field):
    """A whole number of signatures, at least 1."""
    text = (field.data or "").strip().replace(",", "").replace(" ", "")
    if not text:
        raise StopValidation(_l("Enter a goal: the number of signatures you aim for."))
    if not text.isdigit():
        raise StopValidation(_l("Enter the goal as a whole number, like 1000."))
    number = int(text)
    if not 1 <= number <= GOAL_MAX:
        raise StopValidation(_l("Enter a goal between 1 and 100,000,000."))
    field.data = str(number)


def a_date(form, field):
    """A date as YYYY-MM-DD (what a date input sends), or nothing."""
    if not field.data:
        return
    try:
        date.fromisoformat(field.data.strip())
    except ValueError as error:
        raise StopValidation(_l("Enter the date as year-month-day, like 2027-06-30.")) from error


def not_in_the_future(form, field):
    """A date that has come (deliveries are recorded after they happen)."""
    if field.data and date.fromisoformat(field.data.strip()) > date.today():
        raise StopValidation(_l("The date cannot be in the future."))


def email_domains(form, field):
    """Domains such as uni.ac.uk or *.uni.ac.uk, separated by spaces or commas."""
    try:
        email_domain_patterns(field.data or "")
    except ValueError as error:
        raise ValidationError(
            _l(
                "Write domains such as %(domain)s or %(subdomains)s, separated by spaces.",
                domain=isolate_ltr("uni.ac.uk"),
                subdomains=isolate_ltr("*.uni.ac.uk"),
            )
        ) from error


def an_optional_email(form, field):
    """An email address, or nothing."""
    if not field.data:
        return
    try:
        field.data = validate_email(field.data, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValidationError(_l("Enter a valid email address, like name@example.com.")) from error


def title_field():
    """The campaign's title in one language."""
    return StringField(
        _l("Title"),
        filters=[one_line],
        validators=[required(_l("Enter a title.")), at_most(TITLE_MAX), readable_text],
    )


def summary_field():
    """One paragraph under the title."""
    return TextAreaField(
        _l("Summary"),
        filters=[one_line],
        validators=[required(_l("Enter a summary.")), at_most(SUMMARY_MAX), readable_text],
    )


# The petition text is the page's longest: a box about twelve lines tall shows a few
# paragraphs at once (a browser's default is two lines).
BODY_ROWS = 12


def body_field():
    """The petition text in Markdown."""
    return TextAreaField(
        _l("Petition text (Markdown)"),
        filters=[lines],
        validators=[at_most(BODY_MAX)],
        render_kw={"rows": BODY_ROWS},
    )


def target_name_field():
    """Who the petition asks."""
    return StringField(
        _l("Who the petition asks"),
        filters=[one_line],
        validators=[
            required(_l("Enter who the petition asks.")),
            at_most(TARGET_MAX),
            readable_text,
        ],
    )


class NewCampaignForm(TypedForm):
    """What a draft needs to exist: its first language's texts, whom it asks, a goal."""

    language = SelectField(_l("Language"), validate_choice=False, validators=[a_language])
    title = title_field()
    slug = StringField(_l("Web address"), filters=[one_line], validators=[a_slug])
    summary = summary_field()
    body_markdown = body_field()
    target_name = target_name_field()
    goal = StringField(_l("Goal (signatures)"), default="1000", validators=[a_goal])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class SettingsForm(TypedForm):
    """Slug, goal, deadline, the target's email, required sign-form fields, default language."""

    slug = StringField(
        _l("Web address"),
        filters=[one_line],
        validators=[required(_l("Enter a web address.")), a_slug],
    )
    goal = StringField(_l("Goal (signatures)"), validators=[a_goal])
    deadline = StringField(_l("Deadline"), filters=[one_line], validators=[a_date])
    target_email = StringField(
        _l("Email address of whom the petition asks"),
        filters=[one_line],
        validators=[at_most(EMAIL_MAX), an_optional_email],
    )
    allowed_email_domains = StringField(
        _l("Only addresses at these email domains may sign"),
        filters=[one_line],
        validators=[at_most(1000), email_domains],
    )
    require_postcode = BooleanField(_l("Signers must give their postcode or town"))
    require_country = BooleanField(_l("Signers must give their country"))
    default_language = SelectField(_l("Default language"), validate_choice=False)

    def validate_default_language(self, field):
        """One of the campaign's languages."""
        if field.data not in {choice[0] for choice in field.choices}:
            raise ValidationError(_l("Choose one of this campaign's languages."))


class TextForm(TypedForm):
    """One language's texts: field names match the translation's columns."""

    title = title_field()
    summary = summary_field()
    body_markdown = body_field()
    thank_you_markdown = TextAreaField(
        _l("Thank-you message (Markdown)"),
        filters=[lines],
        validators=[at_most(THANK_YOU_MAX)],
        render_kw={"rows": 6},
    )
    target_name = target_name_field()
    target_role = StringField(
        _l("Their role"), filters=[one_line], validators=[at_most(TARGET_MAX), readable_text]
    )
    target_institution = StringField(
        _l("Their institution"),
        filters=[one_line],
        validators=[at_most(TARGET_MAX), readable_text],
    )


class AddLanguageForm(TypedForm):
    """A language to add to the campaign."""

    language = SelectField(_l("Add a language"), validate_choice=False, validators=[a_language])


class UnpublishForm(TypedForm):
    """Why a site admin takes the campaign off the public site."""

    reason = TextAreaField(
        _l("Reason (the campaign's team sees it)"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[required(_l("Enter the reason.")), at_most(1000), readable_text],
    )


class DeliveryForm(TypedForm):
    """When and to whom the petition was handed over, with a note for the public page."""

    delivered_on = StringField(
        _l("Date of delivery"),
        filters=[one_line],
        validators=[required(_l("Enter the date of delivery.")), a_date, not_in_the_future],
    )
    delivered_to = StringField(
        _l("Delivered to"),
        filters=[one_line],
        validators=[required(_l("Enter whom it was delivered to.")), at_most(300), readable_text],
    )
    note = TextAreaField(
        _l("Note (shown on the public page)"),
        filters=[lines],
        validators=[at_most(2000), readable_text],
    )
    tell_signers = BooleanField(_l("Email the news to signers who agreed to be contacted"))
