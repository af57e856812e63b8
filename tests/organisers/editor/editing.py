"""An organisation with an editor, logged in, and the campaign settings form as it shows."""

from sqlalchemy import select

from app.campaigns.models import Campaign
from app.extensions import db
from app.organisers.models import Role
from tests.factories import form_as_shown, log_in_as, make_member, make_organisation


def editor_team():
    """The organisation "friends" and an editor in it."""
    organisation = make_organisation(slug="friends")
    editor = make_member(organisation, role=Role.EDITOR)
    return organisation, editor


def editor_client(client, team):
    """`client`, logged in as the team's editor."""
    log_in_as(client, team[1])
    return client


def campaign_named(slug) -> Campaign:
    """The campaign with this slug, read afresh."""
    db.session.expire_all()
    return db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one()


def settings_of(client, campaign):
    """The settings page's path and its form's fields as shown."""
    path = f"/dashboard/campaigns/{campaign.id}/edit"
    return path, form_as_shown(client.get(path).get_data(as_text=True))
