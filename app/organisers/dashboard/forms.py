"""Dashboard forms: the review desk's filter, bulk action and undo; the share page's choices."""

from datetime import UTC

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, Regexp

from app.core.i18n import language_option
from app.organisers.review import REASON_MAX, FilterNeeded, ReviewFilter
from app.signatures.attribution import CODE
from app.signatures.forms import TypedForm, at_most, strip

HELD_RULES = {
    "same_ip": _l("Many from one IP address"),
    "same_network": _l("Many from one network"),
    "same_domain": _l("Many from one email domain"),
    "same_name": _l("The same name many times"),
    "honeypot": _l("Filled in a hidden field"),
    "too_fast": _l("Sent too fast to have been typed"),
    "no_render_stamp": _l("Sent without loading the page"),
    "disposable": _l("Throwaway email address"),
    "blocked": _l("On the block list"),
}
HASH = Regexp(r"^[0-9a-fA-F]{1,32}$", message=_l("Paste a value from the lists above."))
WHEN = "%Y-%m-%dT%H:%M"


class WhenField(DateTimeLocalField):
    """A UTC date and time (a datetime-local input), with our own message for a wrong one."""

    def process_formdata(self, valuelist):
        """Read the typed time; a wrong one is an error next to the field."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a date and time like 2026-03-31T14:00.")) from None


def rule_name(rule: str) -> str:
    """A fraud rule's name in the page's language (the stored value if it is not known)."""
    return str(HELD_RULES.get(rule or "", rule or _l("No rule recorded")))


class FilterForm(TypedForm):
    """Which signatures a bulk action applies to."""

    ip_hash = StringField(_l("IP address (hashed)"), [Optional(), HASH], filters=[strip])
    network_hash = StringField(_l("Network (hashed)"), [Optional(), HASH], filters=[strip])
    email_domain = StringField(_l("Email domain"), [Optional(), at_most(253)], filters=[strip])
    since = WhenField(_l("Signed from (UTC)"), [Optional()], format=[WHEN, WHEN + ":%S"])
    until = WhenField(_l("Signed before (UTC)"), [Optional()], format=[WHEN, WHEN + ":%S"])
    # Any rule name is accepted: rules added later are filtered on before they get a label.
    held_rule = SelectField(
        _l("Held by the rule"), [Optional(), at_most(30)], validate_choice=False
    )
    name_pattern = StringField(_l("Name contains"), [Optional(), at_most(200)], filters=[strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice("", _l("Any"))]
        choices += [SelectChoice(rule, label) for rule, label in HELD_RULES.items()]
        if self.held_rule.data and self.held_rule.data not in HELD_RULES:
            choices.append(SelectChoice(self.held_rule.data, self.held_rule.data))
        self.held_rule.choices = choices

    def review_filter(self) -> ReviewFilter | None:
        """The filter the fields describe; None (with an error) when none is set."""
        try:
            return ReviewFilter(
                ip_hash=self.ip_hash.data or "",
                network_hash=self.network_hash.data or "",
                email_domain=self.email_domain.data or "",
                since=self.since.data.replace(tzinfo=UTC) if self.since.data else None,
                until=self.until.data.replace(tzinfo=UTC) if self.until.data else None,
                held_rule=self.held_rule.data or "",
                name_pattern=self.name_pattern.data or "",
            )
        except FilterNeeded:
            self.form_errors.append(
                _l("Choose at least one condition: an action never applies to every signature.")
            )
            return None

    def given(self) -> bool:
        """Whether any field was filled in (an empty form is no mistake yet)."""
        return any(
            field.raw_data and any(value.strip() for value in field.raw_data)
            for field in self
            if field.name in FILTER_FIELDS
        )


FILTER_FIELDS = (
    "ip_hash",
    "network_hash",
    "email_domain",
    "since",
    "until",
    "held_rule",
    "name_pattern",
)


class ActionForm(FilterForm):
    """A bulk action on the filtered signatures, and why."""

    reason = TextAreaField(
        _l("Why"),
        [DataRequired(_l("Say why, for the record.")), at_most(REASON_MAX)],
        filters=[strip],
    )
    kind = SelectField(
        _l("Action"),
        [InputRequired(_l("Choose an action."))],
        choices=[
            SelectChoice("invalidate", _l("Invalidate")),
            SelectChoice("release", _l("Release")),
        ],
    )


class UndoForm(TypedForm):
    """Undo a bulk action, and why."""

    reason = StringField(
        _l("Why undo it"),
        [DataRequired(_l("Say why, for the record.")), at_most(REASON_MAX)],
        filters=[strip],
    )


class ShareOptionsForm(TypedForm):
    """The "Share and embed" page's choices (read from the address): language, ally, channel."""

    language = SelectField(_l("Language of the links and the widget"), validate_choice=True)
    referrer = SelectField(_l("Credit the signatures to"), default="", validate_choice=True)
    source = StringField(
        _l("Your own channel code"),
        [
            Optional(),
            Regexp(
                CODE.pattern + "$",
                message=_l("Use up to 40 letters, digits, hyphens or underscores."),
            ),
        ],
        # Stored lower-case, as links' ?source= codes are (attribution.touch_from_query).
        filters=[strip, lambda value: value.lower() if isinstance(value, str) else value],
    )

    def __init__(self, *args, languages=(), default_language="", allies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [language_option(code) for code in languages]
        self.referrer.choices = [("", _l("Nobody (the team itself)")), *allies]
        if not self.language.data:
            self.language.data = default_language
