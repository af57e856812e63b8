"""An organisation's members: listing, changing roles, removing, never leaving it ownerless."""

from sqlalchemy import func, select

from app.core.audit import record_event
from app.extensions import db
from app.organisers.models import Membership, Organisation, Organiser, Role
from app.organisers.teams.errors import LastOwner, MemberNotFound


def members_of(organisation: Organisation) -> list[tuple[Membership, Organiser]]:
    """The organisation's memberships with their organisers: owners first, then by address."""
    rows = db.session.execute(
        select(Membership, Organiser)
        .join(Organiser, Organiser.id == Membership.organiser_id)
        .where(Membership.organisation_id == organisation.id)
        .order_by(Organiser.email)
    ).all()
    return sorted(((m, o) for m, o in rows), key=lambda row: -Role(row[0].role).rank)


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
    lock_organisation(organisation.id)
    row = db.session.execute(
        select(Membership, Organiser.email)
        .join(Organiser, Organiser.id == Membership.organiser_id)
        .where(Membership.id == membership_id, Membership.organisation_id == organisation.id)
    ).first()
    if row is None:
        db.session.rollback()
        raise MemberNotFound(membership_id)
    return row


def lock_organisation(organisation_id: int) -> None:
    """Hold the organisation's row until the transaction ends: its changes take turns."""
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


def find_membership(organisation_id: int, organiser_id: int) -> Membership | None:
    """The organiser's membership of the organisation, if they are a member."""
    return db.session.execute(
        select(Membership).where(
            Membership.organisation_id == organisation_id,
            Membership.organiser_id == organiser_id,
        )
    ).scalar_one_or_none()
