"""Accounts made by the command line: confirmed, with no password until its link sets one."""

from datetime import datetime

from email_validator import validate_email

from app.core.audit import record_event
from app.core.database import utcnow
from app.extensions import db
from app.organisers.accounts.lookup import find_organiser, normalise_email
from app.organisers.models import Organiser


class AccountExists(Exception):
    """An account with this address exists already."""


def create_organiser(email: str, admin: bool = False, now: datetime | None = None) -> Organiser:
    """A confirmed account without a password (the command line prints a link to set one)."""
    validate_email(email, check_deliverability=False)  # EmailNotValidError says why not
    email = normalise_email(email)
    if find_organiser(email) is not None:
        raise AccountExists(email)
    organiser = Organiser(email=email, is_admin=admin, email_confirmed_at=now or utcnow())
    db.session.add(organiser)
    db.session.flush()
    record_event("organiser.created_by_command", "organiser", organiser.id, admin=admin)
    db.session.commit()
    return organiser
