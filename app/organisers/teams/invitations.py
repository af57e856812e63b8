"""Invitations: sending and withdrawing them, and what their emailed links open or accept."""

import enum
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app.core.audit import record_event
from app.core.database import is_row_id, utcnow
from app.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from app.extensions import db
from app.organisers.models import Invitation, Membership, Organisation, Organiser, Role
from app.organisers.teams.emails import queue_invitation_email
from app.organisers.teams.errors import AlreadyMember, InvitationNotSent, MemberNotFound
from app.organisers.teams.membership import find_membership

# The salt of invitation links: a token made for anything else never reads as one.
INVITATION_TOKEN = "rally.organisation.invitation"


def pending_invitations(organisation: Organisation, now: datetime | None = None):
    """Invitations not yet accepted, withdrawn or expired, newest first."""
    now = now or utcnow()
    oldest = now - current_app.config["INVITATION_MAX_AGE"]
    return (
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation.id,
                Invitation.token_nonce.is_not(None),
                Invitation.created_at > oldest,
            )
            .order_by(Invitation.id.desc())
        )
        .scalars()
        .all()
    )


def invite_member(
    organisation: Organisation,
    inviter: Organiser,
    email: str,
    role: Role,
    now: datetime | None = None,
    language: str | None = None,
) -> Invitation:
    """Invite `email` with `role` and queue the email; an earlier invitation's link stops working.

    AlreadyMember when the address is a member's; InvitationNotSent (and nothing saved)
    when the address has had its emails for the day. The email is written in the invited
    organiser's language if they have an account, else in `language` (the inviter's page).
    """
    now = now or utcnow()
    email = email.strip().lower()
    role = Role(role)
    existing = db.session.execute(
        select(Organiser).where(func.lower(Organiser.email) == email)
    ).scalar_one_or_none()
    if existing is not None and find_membership(organisation.id, existing.id) is not None:
        db.session.rollback()
        raise AlreadyMember(email)
    # Re-inviting replaces the earlier invitation: its link no longer finds a row.
    db.session.execute(
        delete(Invitation).where(
            Invitation.organisation_id == organisation.id,
            func.lower(Invitation.email) == email,
            Invitation.accepted_at.is_(None),
        )
    )
    invitation = Invitation(
        organisation_id=organisation.id,
        email=email,
        role=role,
        invited_by_id=inviter.id,
        token_nonce=secrets.token_hex(16),
        created_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    token = make_token(INVITATION_TOKEN, {"i": invitation.id, "n": invitation.token_nonce})
    language = existing.language if existing is not None else language or inviter.language
    if not queue_invitation_email(invitation, organisation, inviter, token, language, now):
        db.session.rollback()
        raise InvitationNotSent(email)
    record_event(
        "invitation.created",
        "invitation",
        invitation.id,
        actor_id=inviter.id,
        organisation_id=organisation.id,
        email=email,
        role=str(role),
    )
    db.session.commit()
    return invitation


def withdraw_invitation(organisation: Organisation, actor: Organiser, invitation_id: int) -> None:
    """Withdraw a pending invitation: its link stops working."""
    invitation = db.session.execute(
        select(Invitation).where(
            Invitation.id == invitation_id,
            Invitation.organisation_id == organisation.id,
            Invitation.accepted_at.is_(None),
        )
    ).scalar_one_or_none()
    if invitation is None:
        db.session.rollback()
        raise MemberNotFound(invitation_id)
    record_event(
        "invitation.withdrawn",
        "invitation",
        invitation.id,
        actor_id=actor.id,
        organisation_id=organisation.id,
        email=invitation.email,
        role=invitation.role,
    )
    db.session.delete(invitation)
    db.session.commit()


class InvitationResult(enum.StrEnum):
    """What opening or accepting an invitation link came to."""

    READY = "ready"  # genuine and unused: the page shows the Accept button
    ACCEPTED = "accepted"
    ALREADY_MEMBER = "already_member"
    OTHER_ADDRESS = "other_address"  # sent to an address that is not the organiser's
    INVALID = "invalid"  # tampered, for another purpose, used, withdrawn or replaced
    EXPIRED = "expired"


@dataclass
class InvitationOutcome:
    """The result, with what the page shows about the invitation when it is genuine."""

    result: InvitationResult
    invitation: Invitation | None = None
    organisation: Organisation | None = None


def check_invitation(
    token: str, organiser: Organiser | None = None, now: datetime | None = None
) -> InvitationOutcome:
    """What the invitation page shows for `token` (and for `organiser`, if logged in)."""
    outcome, _nonce, found = _invitation_for_token(token, now or utcnow())
    if organiser is not None:
        outcome = _for_organiser(outcome, found, organiser)
    db.session.rollback()
    return outcome


def accept_invitation(
    token: str, organiser: Organiser, now: datetime | None = None
) -> InvitationOutcome:
    """Join the organisation a genuine, unused invitation names, with its role.

    Only the organiser whose address was invited may accept: the link could be forwarded,
    seen over a shoulder or leaked from a mailbox, and joining is the one thing it grants.
    The invitation is used up in one UPDATE that matches its nonce, so two tabs (or two
    clicks) cannot both accept it.
    """
    now = now or utcnow()
    outcome, nonce, found = _invitation_for_token(token, now)
    outcome = _for_organiser(outcome, found, organiser)
    invitation, organisation = outcome.invitation, outcome.organisation
    if outcome.result == InvitationResult.OTHER_ADDRESS:
        record_event(
            "invitation.other_address",
            "invitation",
            invitation.id,
            actor_id=organiser.id,
            organisation_id=organisation.id,
            email=invitation.email,
            accepting_email=organiser.email,
        )
        db.session.commit()
        return outcome
    # The invited person, a member already (added some other way), uses the link up so it
    # stops being pending; another member's click leaves it for the person it was sent to.
    usable = nonce is not None and (
        outcome.result == InvitationResult.READY
        or (
            outcome.result == InvitationResult.ALREADY_MEMBER
            and _same_address(organiser.email, invitation.email)
        )
    )
    if not usable:
        db.session.rollback()
        return outcome
    used = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.token_nonce == nonce)
        .values(token_nonce=None, accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        db.session.rollback()
        return InvitationOutcome(InvitationResult.INVALID)
    if outcome.result == InvitationResult.READY:
        db.session.add(
            Membership(
                organisation_id=organisation.id, organiser_id=organiser.id, role=invitation.role
            )
        )
        outcome = InvitationOutcome(InvitationResult.ACCEPTED, invitation, organisation)
    record_event(
        "invitation.accepted",
        "invitation",
        invitation.id,
        actor_id=organiser.id,
        organisation_id=organisation.id,
        email=invitation.email,
        accepting_email=organiser.email,
        role=invitation.role,
        already_member=outcome.result == InvitationResult.ALREADY_MEMBER,
    )
    try:
        db.session.commit()
    except IntegrityError:
        # The organiser joined by another way in the meantime: they are a member already.
        db.session.rollback()
        return InvitationOutcome(InvitationResult.ALREADY_MEMBER, None, organisation)
    return outcome


def _for_organiser(
    outcome: InvitationOutcome, found: tuple | None, organiser: Organiser
) -> InvitationOutcome:
    """The outcome for this logged-in organiser.

    Members are shown their organisation, also from a used or expired (but genuine) link:
    whoever clicks it again after joining should land there, not on an error. Others may
    accept only an invitation sent to their own address.
    """
    if found is None:
        return outcome
    invitation, organisation = found
    if find_membership(organisation.id, organiser.id) is not None:
        return InvitationOutcome(InvitationResult.ALREADY_MEMBER, invitation, organisation)
    if outcome.result != InvitationResult.READY:
        return outcome
    if not _same_address(organiser.email, invitation.email):
        return InvitationOutcome(InvitationResult.OTHER_ADDRESS, invitation, organisation)
    return outcome


def _same_address(one: str, other: str) -> bool:
    return one.strip().lower() == other.strip().lower()


def _invitation_for_token(token: str, now: datetime):
    """(outcome, nonce if the link is in force, (invitation, organisation) the token names).

    The invitation is returned for genuine tokens even when used or expired, so members can
    be recognised; the outcome carries it only when the link is in force.
    """
    max_age = current_app.config["INVITATION_MAX_AGE"]
    expired = False
    try:
        payload = read_token(INVITATION_TOKEN, token, max_age)
    except TokenExpired as error:
        payload, expired = error.payload, True
    except TokenInvalid:
        return InvitationOutcome(InvitationResult.INVALID), None, None
    invitation_id, nonce = payload.get("i"), payload.get("n")
    if not is_row_id(invitation_id) or not isinstance(nonce, str) or not nonce.isascii():
        return InvitationOutcome(InvitationResult.INVALID), None, None
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        return InvitationOutcome(InvitationResult.INVALID), None, None
    found = invitation, db.session.get(Organisation, invitation.organisation_id)
    if invitation.token_nonce is None or not hmac.compare_digest(invitation.token_nonce, nonce):
        return InvitationOutcome(InvitationResult.INVALID), None, found
    # The row's own age too, so the database's clock also decides what expired.
    if expired or invitation.created_at + max_age <= now:
        return InvitationOutcome(InvitationResult.EXPIRED), None, found
    return InvitationOutcome(InvitationResult.READY, *found), nonce, found
