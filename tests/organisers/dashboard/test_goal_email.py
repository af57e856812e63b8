"""The team hears once, by email, when a campaign reaches its goal."""

from queue import SimpleQueue

import pytest
from sqlalchemy import select, text

from app.campaigns.goals import (
    MARGIN_KEY,
    announce_goal_and_count,
    announce_reached_goals,
    recheck_margin,
)
from app.campaigns.models import Campaign
from app.core.outbox import send_due_emails
from app.extensions import db
from app.organisers.models import Role
from app.signatures.confirmation import confirm_signature
from app.signatures.models import CONFIRMED, PENDING, Signature
from app.signatures.signing import ChosenDetails, confirmation_token
from tests.factories import (
    make_campaign,
    make_member,
    make_organisation,
    make_organiser,
    make_signature,
)
from tests.helpers import BASE_URL
from tests.parallel import run_in_parallel

WORDING = {"public": "Show my name", "contact_consent": "Email me"}


def confirm_in_parallel(app, campaign, how_many: int) -> None:
    """Confirm `how_many` new pending signatures at the same moment, through the service."""
    tokens = SimpleQueue()
    for _ in range(how_many):
        tokens.put(confirmation_token(make_signature(campaign, state=PENDING)))

    def confirm():
        with app.app_context():
            details = ChosenDetails(name="Ada Lovelace", postcode="N1 9GU", country="GB")
            confirm_signature(tokens.get(), details, WORDING, "en")
            db.session.remove()

    assert run_in_parallel(how_many, confirm) == []


def goal_mails(smtp) -> list:
    send_due_emails()
    return [m for m in smtp.messages if m["Subject"].startswith("Goal reached")]


def test_reaching_the_goal_emails_owners_and_editors_once(app, smtp):
    owner = make_organiser(email="owner@example.org")
    organisation = make_organisation(owner=owner)
    editor = make_member(organisation, role=Role.EDITOR, email="editor@example.org")
    make_member(organisation, role=Role.VIEWER, email="viewer@example.org")
    campaign = make_campaign(slug="parks", organisation=organisation, goal=6)
    for _ in range(2):
        make_signature(campaign, state=CONFIRMED)

    confirm_in_parallel(app, campaign, 3)  # 5 of 6: not yet
    assert goal_mails(smtp) == []
    confirm_in_parallel(app, campaign, 6)  # racing past the goal

    mails = goal_mails(smtp)
    assert sorted(m["To"] for m in mails) == sorted([owner.email, editor.email])
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert f"{BASE_URL}/dashboard/campaigns/{campaign.id}" in body
    assert "Test campaign (en)" in mails[0]["Subject"] and "6" in body
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).goal_announced == 6

    # More confirmations: no more mail about that goal.
    confirm_in_parallel(app, campaign, 2)
    assert len(goal_mails(smtp)) == 2


def test_a_raised_goal_is_announced_again_once_reached(app, smtp):
    owner = make_organiser(email="owner@example.org")
    campaign = make_campaign(slug="parks", organisation=make_organisation(owner=owner), goal=2)
    confirm_in_parallel(app, campaign, 2)
    assert len(goal_mails(smtp)) == 1
    db.session.execute(select(Campaign)).scalar_one().goal = 4
    db.session.commit()
    confirm_in_parallel(app, campaign, 1)
    assert len(goal_mails(smtp)) == 1
    confirm_in_parallel(app, campaign, 3)
    mails = goal_mails(smtp)
    assert len(mails) == 2 and "4" in mails[-1].get_body(preferencelist=("plain",)).get_content()


def test_campaigns_of_the_site_admins_email_the_admins(app, smtp):
    admin = make_organiser(email="admin@example.org", admin=True)
    make_organiser(email="someone@example.org")
    campaign = make_campaign(slug="parks", goal=1)
    confirm_in_parallel(app, campaign, 1)
    assert [m["To"] for m in goal_mails(smtp)] == [admin.email]
    assert (
        db.session.execute(
            select(Signature.state).where(Signature.campaign_id == campaign.id)
        ).scalar_one()
        == CONFIRMED
    )


def test_the_periodic_catch_up_announces_a_goal_its_confirmations_missed(app, smtp):
    """A confirmation racing a large release can miss the goal: the minute job does not."""
    owner = make_organiser(email="owner@example.org")
    campaign = make_campaign(slug="parks", organisation=make_organisation(owner=owner), goal=3)
    other = make_campaign(slug="other", organisation=make_organisation(owner=owner), goal=9)
    for _ in range(3):
        make_signature(campaign, state=CONFIRMED)  # counted, but announced by no one
    make_signature(other, state=CONFIRMED)
    assert goal_mails(smtp) == []

    assert announce_reached_goals() == 1
    assert [m["To"] for m in goal_mails(smtp)] == [owner.email]
    assert announce_reached_goals() == 0
    assert len(goal_mails(smtp)) == 1


def test_a_confirmation_checks_again_after_committing_only_near_the_goal(app):
    """Far under the goal nothing hidden can reach it: no second transaction."""
    app.config["GOAL_RECHECK_MARGIN"] = 2
    app.extensions.pop(MARGIN_KEY, None)
    campaign = make_campaign(slug="parks", goal=5)
    with app.test_request_context():
        assert announce_goal_and_count(campaign.id) == (False, 0)  # 0 < 5 - 2
        for _ in range(3):
            make_signature(campaign, state=CONFIRMED)
        assert announce_goal_and_count(campaign.id) == (None, 3)  # near: check again
    db.session.rollback()


def test_the_margin_is_the_connections_postgresql_allows(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL (CI does)")
    app.extensions.pop(MARGIN_KEY, None)
    with app.app_context():
        allowed = int(db.session.execute(text("SHOW max_connections")).scalar())
        assert recheck_margin() == allowed > 0
