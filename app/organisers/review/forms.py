"""The review desk's forms: the filter, a bulk action, an undo; the site's signing lists."""

from datetime import UTC

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from app.core.display_text import isolate_ltr
from app.organisers.review.actions import REASON_MAX
from app.organisers.review.selection import FilterNeeded, ReviewFilter
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


class SigningListEntryForm(TypedForm):
    """A block or allow list entry for signing, added by a site admin."""

    list_name = SelectField(
        _l("List"),
        default="block",
        choices=[
            SelectChoice("block", _l("Block")),
            SelectChoice("allow", _l("Allow (no rule applies)")),
        ],
    )
    kind = SelectField(
        _l("What it matches"),
        default="domain",
        choices=[
            SelectChoice(
                "domain",
                _l(
                    "Email domain (globs such as %(example)s)", example=isolate_ltr("*.example.com")
                ),
            ),
            SelectChoice(
                "network",
                _l(
                    "IP address or range (CIDR, such as %(example)s)",
                    example=isolate_ltr("203.0.113.0/24"),
                ),
            ),
            SelectChoice("email", _l("One email address")),
        ],
    )
    pattern = StringField(
        _l("Domain, range or address"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[InputRequired(_l("Enter a domain, a range or an address.")), Length(max=254)],
    )
    action = SelectField(
        _l("For a block entry"),
        default="hold",
        choices=[
            SelectChoice("hold", _l("Hold for review (stored, not counted until released)")),
            SelectChoice("refuse", _l("Refuse (nothing stored; the signer sees the usual page)")),
        ],
    )
    note = StringField(_l("Note (why)"), validators=[Length(max=500)])
