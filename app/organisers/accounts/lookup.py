"""Finding an organiser's account by its address, and whether it may publish yet."""

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from app.extensions import db
from app.organisers.models import Organiser


def normalise_email(email: str) -> str:
    """The login name: the address as email-validator normalises it, lowercased.

    Text that is no address is only trimmed and lowercased (it matches no account).
    """
    email = (email or "").strip()
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        pass
    return email.lower()


def find_organiser(email: str) -> Organiser | None:
    """The account with this address, if any."""
    return db.session.execute(
        select(Organiser).where(Organiser.email == normalise_email(email))
    ).scalar_one_or_none()


def can_publish(organiser: Organiser) -> bool:
    """Only an organiser who confirmed their address may publish a campaign."""
    return organiser.email_confirmed
