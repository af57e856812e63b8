"""Export forms: a CSV (columns, states, dates, BOM), a PDF (language, names only), a re-login."""

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.exports.csv_export import COLUMNS, DEFAULT_COLUMNS, DEFAULT_STATES, CsvOptions
from app.organisers.accounts.forms import password_field
from app.signatures.forms import TypedForm, at_most, strip
from app.signatures.models import STATES

COLUMN_LABELS = {
    "number": _l("Number"),
    "name": _l("Name"),
    "email": _l("Email address"),
    "postcode": _l("Postcode or town"),
    "country": _l("Country"),
    "state": _l("State"),
    "signed_at": _l("Signed at"),
    "confirmed_at": _l("Confirmed at"),
    "public": _l("Shown publicly"),
    "contact_consent": _l("Agreed to be contacted"),
    "language": _l("Language"),
    "source": _l("Share channel (source)"),
    "referrer": _l("Referrer code (a signer's or an ally's)"),
    "ally_contact_consent": _l("Agreed to be contacted by the ally"),
}
STATE_LABELS = {
    "pending": _l("Waiting for confirmation"),
    "confirmed": _l("Confirmed"),
    "held": _l("Held for review"),
    "invalidated": _l("Invalidated"),
}


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DayField(DateField):
    """A day (YYYY-MM-DD, a date input in browsers), with our own message when it is not one."""

    def process_formdata(self, valuelist):
        """Read the typed day; a wrong one is an error next to the field."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a date like 2025-03-31.")) from None


class CsvExportForm(TypedForm):
    """Which columns and which signatures go into a CSV file."""

    columns = CheckboxesField(
        _l("Columns"),
        choices=[SelectChoice(key, label) for key, label in COLUMN_LABELS.items()],
        default=list(DEFAULT_COLUMNS),
    )
    states = CheckboxesField(
        _l("Signatures"),
        choices=[SelectChoice(state, STATE_LABELS[state]) for state in STATES],
        default=list(DEFAULT_STATES),
    )
    confirmed_from = DayField(_l("Confirmed from"), validators=[Optional()])
    confirmed_to = DayField(_l("Confirmed until"), validators=[Optional()])
    bom = BooleanField(_l("Start the file with a byte order mark (for Excel)"))

    def validate_columns(self, field):
        """At least one column."""
        if not field.data:
            raise ValidationError(_l("Choose at least one column."))

    def validate_states(self, field):
        """At least one state."""
        if not field.data:
            raise ValidationError(_l("Choose at least one kind of signature."))

    def validate_confirmed_to(self, field):
        """Not before the start of the range."""
        start: date | None = self.confirmed_from.data
        if field.data and start and field.data < start:
            raise ValidationError(_l("The end date must not be before the start date."))

    def options(self, all_emails: bool) -> dict:
        """The choices as Export.options stores them."""
        return CsvOptions(
            columns=tuple(c for c in COLUMNS if c in self.columns.data),
            states=tuple(s for s in STATES if s in self.states.data),
            confirmed_from=self.confirmed_from.data,
            confirmed_to=self.confirmed_to.data,
            bom=bool(self.bom.data),
            all_emails=all_emails,
        ).to_json()


class PdfExportForm(TypedForm):
    """The delivery document's language, and whether it lists names only."""

    language = SelectField(_l("Language of the document"), validators=[InputRequired()])
    names_only = BooleanField(_l("Names only (no postcodes or towns)"))

    def options(self) -> dict:
        """The choices as Export.options stores them."""
        return {"language": self.language.data, "names_only": bool(self.names_only.data)}


class ConfirmIdentityForm(TypedForm):
    """The password again, and a two-step code when two-step login is on."""

    password = password_field(_l("Password"), _l("Enter your password."))
    code = StringField(
        _l("Code from your authenticator app"), filters=[strip], validators=[at_most(32)]
    )
