"""Dashboard forms: the share page's choices; the signature list's query string."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from app.core.database import is_row_id
from app.core.i18n import language_option
from app.signatures.attribution import CODE
from app.signatures.forms import TypedForm, strip
from app.signatures.models import CONFIRMED, STATES


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


REVIEW_NAMES = "names"  # ?review= for the names the word list held


def _row_id(query, name: str) -> int | None:
    value = query.get(name, type=int)
    return value if is_row_id(value) else None


def signature_list_args(query) -> dict:
    """The signature list's filters and page from a query string, checked, None dropped."""
    state = query.get("state", CONFIRMED)
    before = _row_id(query, "before")
    args = {
        "state": state if state in STATES else CONFIRMED,
        "q": query.get("q", "")[:200] or None,
        "review": REVIEW_NAMES if query.get("review") == REVIEW_NAMES else None,
        "before": before,
        "after": None if before else _row_id(query, "after"),
    }
    return {name: value for name, value in args.items() if value is not None}
