"""Creating, finding, renaming and deleting organisations; each function commits its own work."""

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.campaigns.models import Campaign
from app.core.audit import record_event
from app.extensions import db
from app.organisers.models import Invitation, Membership, Organisation, Organiser, Role
from app.organisers.teams.errors import HasCampaigns, SlugTaken
from app.organisers.teams.membership import lock_organisation


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
    lock_organisation(organisation_id)
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
