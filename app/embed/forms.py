"""The widget's sign form: the campaign page's, plus its form token and referrer code."""

from wtforms import HiddenField

from app.signatures.attribution import CODE
from app.signatures.forms import SignForm


def referrer_code(value) -> str:
    """An ally's referrer code, as share links carry them (attribution.CODE), else ""."""
    return value if isinstance(value, str) and CODE.fullmatch(value) else ""


class EmbedSignForm(SignForm):
    """The sign form as the widget sends it.

    `form_token` stands in for the CSRF token (services.py); `referrer` is the code of the
    site that embedded the widget, kept with the signature. Neither is ever shown as an
    error: a referrer code that is not one is simply dropped.
    """

    form_token = HiddenField(filters=[lambda v: (v or "")[:400]])
    referrer = HiddenField(filters=[referrer_code])
