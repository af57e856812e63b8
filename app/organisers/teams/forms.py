"""Forms of the organisation pages: create, rename, delete, invite, change a member's role."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, StopValidation, ValidationError

from app.core.display_text import contains_web_address, has_visible_letter
from app.organisers.models import Role
from app.signatures.forms import (
    EMAIL_MAX,
    TypedForm,
    at_most,
    email_address,
    readable_text,
    shown_text,
    strip,
)

NAME_MAX = 200
SLUG_MAX = 100
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Paths under /organisations/ that an organisation's address would hide.
RESERVED_SLUGS = frozenset({"new"})

ROLE_NAMES = {
    Role.VIEWER: _l("Viewer"),
    Role.EDITOR: _l("Editor"),
    Role.OWNER: _l("Owner"),
}
ROLE_DESCRIPTIONS = {
    Role.VIEWER: _l("Viewers see the campaigns' figures."),
    Role.EDITOR: _l("Editors also edit campaigns and see who signed."),
    Role.OWNER: _l("Owners also manage members, invitations and the organisation itself."),
}


def role_name(role) -> str:
    """A role's name in the page's language (the stored value if it is not a known role)."""
    try:
        return str(ROLE_NAMES[Role(role)])
    except ValueError:
        return str(role)


def role_choices() -> list[tuple[str, str]]:
    """The roles for a <select>, lowest first."""
    return [(str(role), ROLE_NAMES[role]) for role in Role]


def a_role(form, field):
    """One of the three roles."""
    if field.data not in {str(role) for role in Role}:
        raise StopValidation(_l("Choose a role from the list."))


def slug_from_name(name: str) -> str:
    """An address made from a name: ASCII letters and digits joined by hyphens (may be empty)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def an_organisation_name(form, field):
    """A name people can read, with no web address to carry into emails or an ally's widget."""
    if not has_visible_letter(field.data or ""):
        raise StopValidation(_l("Enter the organisation's name in letters."))
    if contains_web_address(field.data):
        raise StopValidation(_l("Enter the name without a web address."))


def name_field() -> StringField:
    """The organisation's name: required, at most 200 characters."""
    return StringField(
        _l("Name of the organisation"),
        filters=[shown_text, strip],
        validators=[
            DataRequired(_l("Enter the organisation's name.")),
            at_most(NAME_MAX),
            readable_text,
            an_organisation_name,
        ],
    )


class OrganisationForm(TypedForm):
    """A new organisation: its name and its address (made from the name when left empty)."""

    name = name_field()
    slug = StringField(
        _l("Web address"),
        filters=[strip, lambda value: value.lower() if isinstance(value, str) else value],
    )

    def validate_slug(self, field):
        """Lowercase letters, digits and hyphens; made from the name when left empty."""
        if not field.data:
            field.data = slug_from_name(self.name.data or "")
            if not field.data and not self.name.errors and self.name.data:
                raise ValidationError(
                    _l("Choose a web address using letters a to z, digits and hyphens.")
                )
        if not field.data:
            return
        if len(field.data) > SLUG_MAX:
            raise ValidationError(at_most(SLUG_MAX).message)
        if not SLUG_PATTERN.match(field.data):
            raise ValidationError(
                _l(
                    "Use only lowercase letters a to z, digits and single hyphens between them, "
                    "like green-street-residents."
                )
            )
        if field.data in RESERVED_SLUGS:
            raise ValidationError(_l("This web address is taken. Choose another."))


class RenameForm(TypedForm):
    """A new name for the organisation."""

    name = name_field()


class DeleteForm(TypedForm):
    """Deleting asks for the organisation's address, typed, so it is never a slip."""

    confirm_slug = StringField(
        _l("Type the organisation's web address to confirm"), filters=[strip]
    )

    def __init__(self, *args, slug: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_slug = slug

    def validate_confirm_slug(self, field):
        """It must be the organisation's own address."""
        if field.data != self.expected_slug:
            raise ValidationError(
                _l("Type %(slug)s exactly to delete the organisation.", slug=self.expected_slug)
            )


class InviteForm(TypedForm):
    """Who to invite, and with which role."""

    email = StringField(
        _l("Email address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the email address to invite.")),
            at_most(EMAIL_MAX),
            readable_text,
            email_address,
        ],
    )
    role = SelectField(
        _l("Role"), default=str(Role.VIEWER), validators=[a_role], validate_choice=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class RoleForm(TypedForm):
    """A member's new role."""

    role = SelectField(_l("Role"), validators=[a_role], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()
