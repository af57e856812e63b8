"""The review desk pages: figures for the team, actions for editors and owners only."""

import re

import pytest
from sqlalchemy import func, select

from app.campaigns.counts import confirmed_counts
from app.extensions import db
from app.organisers.models import Role
from app.organisers.review.models import ReviewAction
from app.signatures.models import CONFIRMED, HELD, INVALIDATED, Signature
from app.signatures.services import recount_campaign
from tests.factories import (
    csrf_token,
    log_in_as,
    make_campaign,
    make_campaign_team,
    make_held_signature,
    make_member,
    make_organisation,
    make_organiser,
    make_signature,
)

BAD_IP = "ab12cd34" + "0" * 24


@pytest.fixture
def team(app):
    team = make_campaign_team("parks", owner=make_organiser(email="owner@example.org"), goal=500)
    campaign = team["campaign"]
    bad = []
    for state in (CONFIRMED, CONFIRMED, CONFIRMED):
        bad.append(make_signature(campaign, state=state))
    bad += [make_held_signature(campaign, rule="same_ip") for _ in range(2)]
    for signature in bad:
        signature.ip_hash = BAD_IP
    make_signature(campaign, state=CONFIRMED, name="Zelda Real")
    db.session.commit()
    recount_campaign(campaign)
    return {**team, "bad": bad}


def review_path(campaign, query="") -> str:
    return f"/dashboard/campaigns/{campaign.id}/review{query}"


def act(client, campaign, **data):
    token = csrf_token(client, f"/dashboard/campaigns/{campaign.id}/review?ip_hash={BAD_IP}")
    return client.post(
        f"/dashboard/campaigns/{campaign.id}/review/actions", data={"csrf_token": token, **data}
    )


def public_count(client, slug) -> int:
    html = client.get(f"/c/{slug}").get_data(as_text=True)
    return int(re.search(r'<progress max="\d+" value="(\d+)"', html).group(1))


def count(campaign) -> int:
    return confirmed_counts([campaign.id])[campaign.id]


def test_the_campaign_page_links_to_the_review_desk(client, team):
    log_in_as(client, team["viewer"])
    html = client.get(f"/dashboard/campaigns/{team['campaign'].id}").get_data(as_text=True)
    assert review_path(team["campaign"]) in html


def test_viewers_see_figures_but_no_action_forms(client, team):
    campaign = team["campaign"]
    log_in_as(client, team["viewer"])
    response = client.get(review_path(campaign, f"?ip_hash={BAD_IP}"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "<svg" in html and 'id="held-table"' in html
    assert "ab12cd34" in html and BAD_IP not in html.replace(f"ip_hash={BAD_IP}", "")
    assert "/review/actions" not in html and 'name="reason"' not in html
    assert "Zelda" not in html


def test_a_viewer_cannot_act(client, team):
    campaign = team["campaign"]
    log_in_as(client, team["viewer"])
    token = csrf_token(client, "/account")
    response = client.post(
        f"/dashboard/campaigns/{campaign.id}/review/actions",
        data={"csrf_token": token, "ip_hash": BAD_IP, "reason": "x", "kind": "invalidate"},
    )
    assert response.status_code == 403
    assert count(campaign) == 4


def test_an_outsider_gets_404(client, team):
    outsider = make_member(make_organisation(slug="elsewhere"), role=Role.OWNER)
    log_in_as(client, outsider)
    assert client.get(review_path(team["campaign"])).status_code == 404


def test_the_filter_shows_what_is_selected_by_state(client, team):
    log_in_as(client, team["editor"])
    html = client.get(review_path(team["campaign"], f"?ip_hash={BAD_IP}")).get_data(as_text=True)
    assert re.search(r'id="matching-confirmed">3<', html)
    assert re.search(r'id="matching-held">2<', html)
    assert f'name="ip_hash" value="{BAD_IP}"' in html  # carried into the action form


def test_an_action_without_a_condition_is_refused_case_22(client, team):
    campaign = team["campaign"]
    log_in_as(client, team["editor"])
    response = act(client, campaign, reason="clean up", kind="invalidate")
    assert response.status_code == 400
    assert "Choose at least one condition" in response.get_data(as_text=True)
    assert count(campaign) == 4
    assert db.session.execute(select(func.count()).select_from(ReviewAction)).scalar() == 0


def test_an_action_without_a_reason_shows_the_error_next_to_the_field(client, team):
    campaign = team["campaign"]
    log_in_as(client, team["editor"])
    response = act(client, campaign, ip_hash=BAD_IP, reason=" ", kind="invalidate")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'<p class="field__error" id="reason-error">.*Say why', html, re.S)
    assert 'aria-describedby="reason-hint reason-error"' in html
    assert count(campaign) == 4


def test_invalidate_then_undo_through_the_page(app, client, team):
    app.config["PAGE_CACHE_SECONDS"] = 60
    campaign = team["campaign"]
    assert public_count(app.test_client(), "parks") == 4  # now cached
    log_in_as(client, team["owner"])

    response = act(client, campaign, ip_hash=BAD_IP, reason="one laptop", kind="invalidate")

    assert response.status_code == 303
    assert count(campaign) == 1
    assert public_count(app.test_client(), "parks") == 1  # the cache was cleared
    states = [db.session.get(Signature, s.id).state for s in team["bad"]]
    assert states == [INVALIDATED] * 5
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "one laptop" in html and "owner@example.org" in html
    action = db.session.execute(select(ReviewAction)).scalar_one()

    undo_path = f"/dashboard/campaigns/{campaign.id}/review/actions/{action.id}/undo"
    token = csrf_token(client, review_path(campaign))
    assert client.post(undo_path, data={"csrf_token": token}).status_code == 400
    response = client.post(undo_path, data={"csrf_token": token, "reason": "real people"})
    assert response.status_code == 303
    assert count(campaign) == 4
    assert public_count(app.test_client(), "parks") == 4
    again = client.post(undo_path, data={"csrf_token": token, "reason": "twice"})
    assert again.status_code == 409
    assert count(campaign) == 4


def test_release_through_the_page_counts_once(client, team):
    campaign = team["campaign"]
    log_in_as(client, team["editor"])
    for _ in range(2):
        response = act(client, campaign, held_rule="same_ip", reason="checked", kind="release")
        assert response.status_code == 303
    assert count(campaign) == 6
    held = db.session.execute(
        select(func.count()).where(Signature.campaign_id == campaign.id, Signature.state == HELD)
    ).scalar()
    assert held == 0


def test_another_campaigns_action_cannot_be_undone_from_here(client, team):
    campaign = team["campaign"]
    other = make_campaign(organisation=team["organisation"])
    make_signature(other, state=CONFIRMED, name="Spam Bot")
    log_in_as(client, team["owner"])
    act(client, campaign, name_pattern="zelda", reason="test", kind="invalidate")
    action = db.session.execute(select(ReviewAction)).scalar_one()
    token = csrf_token(client, review_path(campaign))
    path = f"/dashboard/campaigns/{other.id}/review/actions/{action.id}/undo"
    assert client.post(path, data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_a_cross_site_post_is_refused(client, team):
    campaign = team["campaign"]
    log_in_as(client, team["owner"])
    response = client.post(
        f"/dashboard/campaigns/{campaign.id}/review/actions",
        data={"ip_hash": BAD_IP, "reason": "x", "kind": "invalidate"},
    )
    assert response.status_code == 400
    assert count(campaign) == 4


def test_the_page_reads_right_to_left_in_arabic(client, team):
    log_in_as(client, team["owner"])
    html = client.get(review_path(team["campaign"], "?lang=ar")).get_data(as_text=True)
    assert 'dir="rtl"' in html
    # Hashes and domains keep their own direction inside the right-to-left page.
    assert '<code><bdi dir="ltr">ab12cd34</bdi></code>' in html


def test_a_condition_with_an_error_selects_nothing(client, team):
    campaign = team["campaign"]
    log_in_as(client, team["editor"])
    response = act(
        client, campaign, ip_hash=BAD_IP, since="yesterday", reason="burst", kind="invalidate"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="since-error"' in html and 'id="action-form"' not in html
    assert count(campaign) == 4
