"""The widget's sign form: the campaign page's, plus its form token, referrer and ally question."""

from wtforms import BooleanField, HiddenField

from app.campaigns.allies import AllyQuestion
from app.signatures.attribution import CODE
from app.signatures.forms import SignForm, ally_question_label


def referrer_code(value) -> str:
    """An ally's referrer code, as share links carry them (attribution.CODE), else ""."""
    return value if isinstance(value, str) and CODE.fullmatch(value) else ""


class EmbedSignForm(SignForm):
    """The sign form as the widget sends it.

    `form_token` stands in for the CSRF token (services.py); `referrer` is the code of the
    site that embedded the widget, kept with the signature. Neither is ever shown as an
    error: a referrer code that is not one is simply dropped. When the code is an ally's
    with a contact question, `ally_contact_consent` asks it (see `ask_ally`).
    """

    form_token = HiddenField(filters=[lambda v: (v or "")[:400]])
    referrer = HiddenField(filters=[referrer_code])
    ally_contact_consent = BooleanField()
    # Whether the ally's question is on the form (and so answered, yes or no).
    asks_ally = False

    def ask_ally(self, ally: AllyQuestion | None) -> None:
        """Put the ally's contact question on the form, if it has one."""
        if ally is not None and ally.contact_question:
            self.asks_ally = True
            label = ally_question_label(ally.name, ally.contact_question)
            self.ally_contact_consent.label.text = label

    def ally_contact_answer(self) -> bool | None:
        """The answer to the ally's question; None when the form did not ask one."""
        return bool(self.ally_contact_consent.data) if self.asks_ally else None
