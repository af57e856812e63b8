"""Emailed account links: their purposes, their tokens, and what reading one came to."""

import enum
from dataclasses import dataclass

from app.core.tokens import make_token
from app.organisers.accounts.passwords import fingerprint
from app.organisers.models import Organiser

CONFIRM_EMAIL = "rally.organiser.confirm_email"
RESET_PASSWORD = "rally.organiser.reset_password"
# Links printed by `flask organisers create`: their own purpose, so they may live longer.
SET_PASSWORD = "rally.organiser.set_password"


def confirm_token(organiser: Organiser) -> str:
    """The token of the link that confirms the organiser's address."""
    return make_token(CONFIRM_EMAIL, {"id": organiser.id, "email": organiser.email})


def reset_token(organiser: Organiser, purpose: str = RESET_PASSWORD) -> str:
    """A link token bound to the current password: any password change voids it."""
    return make_token(purpose, {"id": organiser.id, "pw": fingerprint(organiser.password_hash)})


class LinkResult(enum.Enum):
    """What an emailed account link is worth."""

    VALID = "valid"
    DONE = "done"  # already used: the address is confirmed, or the password changed
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass
class LinkOutcome:
    """The result of reading a link, with its organiser when the link is genuine."""

    result: LinkResult
    organiser: Organiser | None = None
    setting_first_password: bool = False
