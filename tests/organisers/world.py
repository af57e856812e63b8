"""One organisation with a member of each role and a row of each kind that a route names."""

from dataclasses import dataclass

from app.exports.models import Export
from app.extensions import db
from app.organisers.models import Invitation, Membership, Role
from app.organisers.review.models import ReviewAction
from app.signatures.models import SigningListEntry
from tests.factories import (
    make_ally,
    make_campaign,
    make_member,
    make_organisation,
    make_organiser,
    make_signature,
)


@dataclass
class World:
    """One organisation with a member of each role, its campaign, and people outside it."""

    values: dict
    people: dict


def build_world() -> World:
    """The world every route's guard is tried in: its ids fill any route's address."""
    owner = make_organiser()
    organisation = make_organisation(owner=owner, slug="team")
    people = {
        "owner": owner,
        "editor": make_member(organisation, role=Role.EDITOR),
        "viewer": make_member(organisation, role=Role.VIEWER),
        "outsider": make_member(make_organisation(slug="elsewhere"), role=Role.OWNER),
        "admin": make_organiser(admin=True),
    }
    campaign = make_campaign(organisation=organisation, languages=("en", "ar"), status="draft")
    viewer_membership = db.session.execute(
        db.select(Membership).where(Membership.organiser_id == people["viewer"].id)
    ).scalar_one()
    invitation = Invitation(
        organisation_id=organisation.id, email="new@example.org", role="viewer", token_nonce="n"
    )
    db.session.add(invitation)
    # Not finished: a download answers with its status page (the guard is what is checked).
    export = Export(campaign_id=campaign.id, kind="csv", requested_by_id=owner.id)
    db.session.add(export)
    entry = SigningListEntry(list_name="block", kind="domain", pattern="*.spam.example")
    db.session.add(entry)
    action = ReviewAction(campaign_id=campaign.id, kind="invalidate", reason="r", count=0)
    db.session.add(action)
    db.session.commit()
    signature = make_signature(campaign)
    ally = make_ally(campaign)
    values = {
        "org_slug": organisation.slug,
        "campaign_id": campaign.id,
        "membership_id": viewer_membership.id,
        "invitation_id": invitation.id,
        "language": "ar",
        "export_id": export.id,
        "signature_id": signature.id,
        "entry_id": entry.id,
        "action_id": action.id,
        "ally_id": ally.id,
    }
    return World(values=values, people=people)
