"""Organisations: creating, renaming and deleting them, members and roles, invitations, the log.

Every function here owns its transaction: it commits what it did with its audit event,
or rolls back and raises.
"""

import enum
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app.campaigns.models import Campaign, CampaignTranslation
from app.core.audit import AuditEvent, record_event
from app.core.database import is_row_id, utcnow
from app.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from app.extensions import db
from app.organisers.models import Invitation, Membership, Organisation, Organiser, Role
from app.organisers.teams.emails import queue_invitation_email

# The salt of invitation links: a token made for anything else never reads as one.
INVITATION_TOKEN = "rally.organisation.invitation"


class TeamError(Exception):
    """A change refused for a reason the person asking can understand."""


class SlugTaken(TeamError):
    """Another organisation already has this address."""


class AlreadyMember(TeamError):
    """The invited address belongs to a member of the organisation."""


class InvitationNotSent(TeamError):
    """The address has had its emails for today; nothing was saved."""


class LastOwner(TeamError):
    """The change would leave the organisation without an owner."""


class MemberNotFound(TeamError):
    """No such membership (or invitation) in this organisation."""


class HasCampaigns(TeamError):
    """An organisation with campaigns cannot be deleted."""


def create_organisation(organiser: Organiser, name: str, slug: str) -> Organisation:
    """Create an organisation with `organiser` as its owner; SlugTaken if the slug is used."""
    organisation = Organisation(name=name, slug=slug)
    db.session.add(organisation)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise SlugTaken(slug) from error
    db.session.add(
        Membership(organisation_id=organisation.id, organiser_id=organiser.id, role=Role.OWNER)
    )
    record_event(
        "organisation.created",
        "organisation",
        organisation.id,
        actor_id=organiser.id,
        organisation_id=organisation.id,
        name=name,
        slug=slug,
    )
    db.session.commit()
    return organisation


def organisation_by_slug(slug: str) -> Organisation | None:
    """The organisation at this address, if any."""
    return db.session.execute(
        select(Organisation).where(Organisation.slug == slug)
    ).scalar_one_or_none()


def rename_organisation(organisation: Organisation, actor: Organiser, name: str) -> None:
    """Give the organisation a new name (its address, the slug, stays)."""
    old_name = organisation.name
    if name == old_name:
        return
    organisation.name = name
    record_event(
        "organisation.renamed",
        "organisation",
        organisation.id,
        actor_id=actor.id,
        organisation_id=organisation.id,
        old_name=old_name,
        new_name=name,
    )
    db.session.commit()


def delete_organisation(organisation: Organisation, actor: Organiser) -> None:
    """Delete an organisation with its members and invitations; HasCampaigns if it has any."""
    organisation_id, slug, name = organisation.id, organisation.slug, organisation.name
    _lock_organisation(organisation_id)
    campaigns = db.session.execute(
        select(func.count())
        .select_from(Campaign)
        .where(Campaign.organisation_id == organisation_id)
    ).scalar_one()
    if campaigns:
        db.session.rollback()
        raise HasCampaigns(campaigns)
    db.session.execute(delete(Invitation).where(Invitation.organisation_id == organisation_id))
    db.session.delete(organisation)  # its memberships go with it (cascade)
    # The log keeps plain ids, so this line outlives the organisation it names.
    record_event(
        "organisation.deleted",
        "organisation",
        organisation_id,
        actor_id=actor.id,
        organisation_id=organisation_id,
        name=name,
        slug=slug,
    )
    try:
        db.session.commit()
    except IntegrityError as error:
        # A campaign was moved into the organisation meanwhile: ON DELETE RESTRICT said no.
        db.session.rollback()
        raise HasCampaigns(1) from error


def members_of(organisation: Organisation) -> list[tuple[Membership, Organiser]]:
    """The organisation's memberships with their organisers: owners first, then by address."""
    rows = db.session.execute(
        select(Membership, Organiser)
        .join(Organiser, Organiser.id == Membership.organiser_id)
        .where(Membership.organisation_id == organisation.id)
        .order_by(Organiser.email)
    ).all()
    return sorted(((m, o) for m, o in rows), key=lambda row: -Role(row[0].role).rank)


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
    if existing is not None and _membership(organisation.id, existing.id) is not None:
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
    if _membership(organisation.id, organiser.id) is not None:
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


def change_member_role(
    organisation: Organisation, actor: Organiser, membership_id: int, role: Role
) -> Membership:
    """Give a member another role; LastOwner if that would leave no owner."""
    role = Role(role)
    membership, email = _member_for_change(organisation, membership_id)
    old_role = Role(membership.role)
    if old_role == role:
        db.session.rollback()
        return membership
    if old_role == Role.OWNER and _owner_count(organisation.id) <= 1:
        db.session.rollback()
        raise LastOwner(membership_id)
    membership.role = role
    record_event(
        "member.role_changed",
        "membership",
        membership.id,
        actor_id=actor.id,
        organisation_id=organisation.id,
        email=email,
        old_role=str(old_role),
        new_role=str(role),
    )
    db.session.commit()
    return membership


def remove_member(organisation: Organisation, actor: Organiser, membership_id: int) -> None:
    """Take a member out of the organisation; LastOwner if they are its only owner."""
    membership, email = _member_for_change(organisation, membership_id)
    role = Role(membership.role)
    if role == Role.OWNER and _owner_count(organisation.id) <= 1:
        db.session.rollback()
        raise LastOwner(membership_id)
    record_event(
        "member.removed",
        "membership",
        membership.id,
        actor_id=actor.id,
        organisation_id=organisation.id,
        email=email,
        role=str(role),
    )
    db.session.delete(membership)
    db.session.commit()


def _member_for_change(organisation: Organisation, membership_id: int):
    # Membership changes of one organisation take turns, so two owners demoting each
    # other at the same moment cannot both see "another owner is left".
    _lock_organisation(organisation.id)
    row = db.session.execute(
        select(Membership, Organiser.email)
        .join(Organiser, Organiser.id == Membership.organiser_id)
        .where(Membership.id == membership_id, Membership.organisation_id == organisation.id)
    ).first()
    if row is None:
        db.session.rollback()
        raise MemberNotFound(membership_id)
    return row


def _lock_organisation(organisation_id: int) -> None:
    # FOR UPDATE on PostgreSQL; SQLite transactions here begin IMMEDIATE, one writer at a time.
    db.session.execute(
        select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()
    )


def _owner_count(organisation_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organisation_id == organisation_id, Membership.role == Role.OWNER)
    ).scalar_one()


def _membership(organisation_id: int, organiser_id: int) -> Membership | None:
    return db.session.execute(
        select(Membership).where(
            Membership.organisation_id == organisation_id,
            Membership.organiser_id == organiser_id,
        )
    ).scalar_one_or_none()


@dataclass
class AuditLine:
    """One event of the organisation's log, with who did it (None: a deleted account)."""

    event: AuditEvent
    actor_email: str | None


@dataclass
class AuditPage:
    """A page of the log, newest first; `next_before_id` continues it (None: the end).

    `campaign_titles` names the organisation's campaigns its events are about, by id.
    """

    lines: list[AuditLine]
    next_before_id: int | None
    campaign_titles: dict[int, str] = field(default_factory=dict)


def audit_campaign_id(event: AuditEvent) -> int | None:
    """The campaign an event is about: its subject, or the campaign its details name."""
    if event.subject_type == "campaign":
        return event.subject_id
    campaign_id = (event.detail or {}).get("campaign_id")
    return campaign_id if isinstance(campaign_id, int) else None


def organisation_campaign_titles(
    organisation: Organisation, campaign_ids, language: str
) -> dict[int, str]:
    """The titles of those of `campaign_ids` that are this organisation's, in `language`.

    A campaign without a text in `language` is named in its default language; one that
    is gone (or is not this organisation's) has no title here.
    """
    rows = db.session.execute(
        select(
            CampaignTranslation.campaign_id,
            CampaignTranslation.language,
            CampaignTranslation.title,
            Campaign.default_language,
        )
        .join(Campaign, Campaign.id == CampaignTranslation.campaign_id)
        .where(
            Campaign.organisation_id == organisation.id,
            Campaign.id.in_(list(campaign_ids)),
        )
    ).all()
    titles: dict[int, str] = {}
    for campaign_id, text_language, title, default_language in rows:
        if text_language == language or (
            text_language == default_language and campaign_id not in titles
        ):
            titles[campaign_id] = title
    return titles


def organisation_audit_page(
    organisation: Organisation,
    before_id: int | None = None,
    limit: int = 50,
    language: str = "en",
) -> AuditPage:
    """The organisation's events older than `before_id`, newest first (keyset on id).

    The campaigns they are about are named in `language` where they have a text in it.
    """
    query = (
        select(AuditEvent, Organiser.email)
        .outerjoin(Organiser, Organiser.id == AuditEvent.actor_id)
        .where(AuditEvent.organisation_id == organisation.id)
        .order_by(AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = db.session.execute(query).all()
    lines = [AuditLine(event, email) for event, email in rows[:limit]]
    next_before_id = lines[-1].event.id if len(rows) > limit else None
    campaign_ids = {audit_campaign_id(line.event) for line in lines} - {None}
    titles = organisation_campaign_titles(organisation, campaign_ids, language)
    return AuditPage(lines, next_before_id, titles)
