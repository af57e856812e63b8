"""The team's one-click name decisions: hide, show, allow, keep hidden; audited, at once public."""

import html as html_module
import re

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.signatures.models import (
    CONFIRMED,
    NAME_APPROVED,
    NAME_CLEAR,
    NAME_HELD,
    NAME_HIDDEN,
    PENDING,
    Signature,
)
from tests.campaign_page import recent_names, shown_count
from tests.factories import (
    csrf_token,
    log_in_as,
    make_campaign,
    make_campaign_team,
    make_organisation,
    make_organiser,
    make_signature,
)


@pytest.fixture
def config_overrides():
    # The public page is cached for a minute: a decision must still show at once.
    return {"PAGE_CACHE_SECONDS": 60}


@pytest.fixture
def team(app):
    return make_campaign_team()


def list_path(campaign, query="") -> str:
    return f"/dashboard/campaigns/{campaign.id}/signatures{query}"


def press(client, campaign, signature, action, query=""):
    """Press a row's button on the signature list, as a browser would."""
    page = client.get(list_path(campaign, query)).get_data(as_text=True)
    match = re.search(rf'action="([^"]*/signatures/{signature.id}/{action}[^"]*)"', page)
    assert match, f"no {action} button for signature {signature.id}"
    token = csrf_token(client, list_path(campaign, query))
    return client.post(html_module.unescape(match.group(1)), data={"csrf_token": token})


def moderation(signature) -> str:
    db.session.expire_all()
    return db.session.get(Signature, signature.id).name_moderation


def events(action) -> list[AuditEvent]:
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_hiding_takes_a_name_off_the_public_page_at_once_and_showing_brings_it_back(client, team):
    campaign = team["campaign"]
    signature = make_signature(campaign, state=CONFIRMED, name="Ada Lovelace", public=True)
    visitor = client.application.test_client()
    assert recent_names(visitor) == ["Ada Lovelace"]  # now cached for a minute

    log_in_as(client, team["editor"])
    response = press(client, campaign, signature, "hide-name")
    assert response.status_code == 303
    back = f"/signatures?state=confirmed#signature-{signature.id}"
    assert response.headers["Location"].endswith(back)
    assert moderation(signature) == NAME_HIDDEN
    assert recent_names(visitor) == []
    assert shown_count(visitor, "c") == 1  # still counted

    press(client, campaign, signature, "show-name")
    assert moderation(signature) == NAME_APPROVED
    assert recent_names(visitor) == ["Ada Lovelace"]

    [hidden], [shown] = events("signature.name_hidden"), events("signature.name_shown")
    assert (hidden.subject_type, hidden.subject_id) == ("signature", signature.id)
    assert hidden.actor_id == team["editor"].id
    assert hidden.organisation_id == team["organisation"].id
    assert hidden.detail == {"campaign_id": campaign.id, "previous": NAME_CLEAR}
    assert shown.detail["previous"] == NAME_HIDDEN
    assert "Ada" not in str(hidden.detail)  # the log outlives the anonymised name


def test_names_to_review_lists_held_names_of_confirmed_public_signers(client, team):
    campaign = team["campaign"]
    held = make_signature(campaign, state=CONFIRMED, name="fuck you", public=True)
    make_signature(campaign, state=CONFIRMED, name="shit head", public=False)
    make_signature(campaign, state=PENDING, name="bitch", public=True)
    make_signature(campaign, state=CONFIRMED, name="Ada", public=True)
    log_in_as(client, team["owner"])

    figures = client.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    everything = client.get(list_path(campaign)).get_data(as_text=True)
    assert "Names to review (1)" in figures and "Names to review (1)" in everything
    review = client.get(list_path(campaign, "?review=names")).get_data(as_text=True)
    assert re.findall(r"<tr[^>]*>\s*<td><bdi>([^<]*)</bdi>", review) == ["fuck you"]
    assert recent_names(client) == ["Ada"]

    response = press(client, campaign, held, "allow-name", "?review=names")
    assert "review=names" in response.headers["Location"]  # back to the same list
    assert moderation(held) == NAME_APPROVED
    assert sorted(recent_names(client)) == ["Ada", "fuck you"]
    assert "No names to review." in client.get(list_path(campaign, "?review=names")).get_data(
        as_text=True
    )
    [approved] = events("signature.name_approved")
    assert approved.detail["previous"] == NAME_HELD


def test_keep_hidden_turns_a_held_name_into_a_hidden_one(client, team):
    campaign = team["campaign"]
    held = make_signature(campaign, state=CONFIRMED, name="wanker", public=True)
    log_in_as(client, team["editor"])
    page = client.get(list_path(campaign, "?review=names")).get_data(as_text=True)
    assert "Allow name" in page and "Keep hidden" in page
    press(client, campaign, held, "hide-name", "?review=names")
    assert moderation(held) == NAME_HIDDEN
    assert "Show name" in client.get(list_path(campaign)).get_data(as_text=True)


def test_another_campaigns_signature_is_not_found(client, team):
    elsewhere = make_campaign(organisation=make_organisation(owner=make_organiser()))
    foreign = make_signature(elsewhere, state=CONFIRMED, public=True)
    log_in_as(client, team["owner"])
    token = csrf_token(client, list_path(team["campaign"]))
    path = f"/dashboard/campaigns/{team['campaign'].id}/signatures/{foreign.id}/hide-name"
    assert client.post(path, data={"csrf_token": token}).status_code == 404
    assert moderation(foreign) == NAME_CLEAR


def test_viewers_and_forged_posts_change_nothing(client, team):
    campaign = team["campaign"]
    signature = make_signature(campaign, state=CONFIRMED, public=True)
    path = f"/dashboard/campaigns/{campaign.id}/signatures/{signature.id}/hide-name"
    log_in_as(client, team["owner"])
    assert client.post(path).status_code == 400  # no CSRF token (case 30)
    log_in_as(client, team["viewer"])
    token = csrf_token(client, "/account")
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert moderation(signature) == NAME_CLEAR
    assert events("signature.name_hidden") == []


def test_the_review_list_reads_the_small_partial_index(app, team):
    from sqlalchemy import event

    from app.organisers.dashboard.services import signature_page
    from tests.helpers import ON_POSTGRES

    make_signature(team["campaign"], state=CONFIRMED, name="shit", public=True)
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert len(signature_page(team["campaign"], names_to_review=True).rows) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        db.session.commit()
    statement, parameters = next(c for c in captured if "LIMIT" in c[0].upper())
    if ON_POSTGRES:
        pytest.skip("PostgreSQL chooses by its statistics")
    with db.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert "ix_signatures_names_to_review" in " ".join(str(row) for row in plan)
