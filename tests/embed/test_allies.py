"""Allies and the widget: who may frame it (case 27), and an ally's own contact question."""

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.signatures.models import ConsentRecord, Signature
from app.signatures.signing import confirmation_token
from tests.embed.widget_pages import (
    assert_frameable_by_any_site,
    assert_unframeable,
    sign_in_widget,
)
from tests.factories import (
    confirm_with_click,
    form_as_shown,
    make_ally,
    make_campaign,
    submit_signature,
)
from tests.helpers import BASE_URL

QUESTION = "May Riverside Parents email you about our school campaigns?"
SHOWN = f"Riverside Parents asks: {QUESTION}"
SAME_ORIGIN = {"Origin": BASE_URL, "Sec-Fetch-Site": "same-origin"}


def frame_ancestors(response) -> str:
    match = re.search(r"frame-ancestors ([^;]+)", response.headers["Content-Security-Policy"])
    return match.group(1)


def restricted_campaign():
    campaign = make_campaign(slug="c")
    campaign.widget_allies_only = True
    db.session.commit()
    return campaign


# Case 27 ----------------------------------------------------------------------------


def test_a_restricted_widget_may_be_framed_by_exactly_the_allies_sites(client):
    campaign = restricted_campaign()
    make_ally(campaign, code="a", sites=["https://parents.example.org", "http://localhost:8080"])
    make_ally(campaign, code="b", sites=["https://choir.example", "https://parents.example.org"])
    make_ally(make_campaign(slug="other"), code="z", sites=["https://elsewhere.example"])
    for path in ("/embed/c", "/embed/c?referrer=a", "/embed/c/check-inbox"):
        response = client.get(path)
        assert response.status_code == 200
        assert frame_ancestors(response) == (
            "'self' https://parents.example.org http://localhost:8080 https://choir.example"
        ), path
        assert "X-Frame-Options" not in response.headers


def test_a_restricted_widget_with_no_ally_site_may_be_framed_by_this_site_only(client):
    campaign = restricted_campaign()
    make_ally(campaign, sites=[])
    response = client.get("/embed/c")
    assert response.status_code == 200
    assert frame_ancestors(response) == "'self'"


def test_a_stored_site_that_is_not_an_origin_never_reaches_the_header(client):
    campaign = restricted_campaign()
    make_ally(campaign, sites=["https://ok.example", "https://evil.example;script-src", "*"])
    assert frame_ancestors(client.get("/embed/c")) == "'self' https://ok.example"


def test_an_unrestricted_widget_may_be_framed_by_any_site(client):
    campaign = make_campaign(slug="c")
    make_ally(campaign, sites=["https://parents.example.org"])
    assert_frameable_by_any_site(client.get("/embed/c"))


def test_a_refused_widget_post_keeps_the_campaigns_framing(client):
    campaign = restricted_campaign()
    make_ally(campaign, sites=["https://parents.example.org"])
    response = client.post("/embed/c/sign", data={"name": "x"}, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert frame_ancestors(response) == "'self' https://parents.example.org"


@pytest.mark.parametrize("path", ["/", "/c/c", "/embed/missing", "/embed/missing/check-inbox"])
def test_other_pages_and_errors_of_a_restricted_campaign_still_refuse_framing(client, path):
    campaign = restricted_campaign()
    make_ally(campaign, sites=["https://parents.example.org"])
    assert_unframeable(client.get(path))


# The ally's question ----------------------------------------------------------------


def test_the_question_shows_only_for_an_allys_code_that_has_one(client):
    campaign = make_campaign(slug="c")
    make_ally(campaign, code="riverside", contact_question=QUESTION)
    make_ally(campaign, name="Quiet Allies", code="quiet")
    make_ally(make_campaign(slug="d"), code="elsewhere", contact_question="Other question?")
    html = client.get("/embed/c?referrer=riverside").get_data(as_text=True)
    assert SHOWN in html and 'name="ally_contact_consent"' in html
    for query in ("", "?referrer=quiet", "?referrer=elsewhere", "?referrer=unknown"):
        html = client.get("/embed/c" + query).get_data(as_text=True)
        assert "asks:" not in html and "ally_contact_consent" not in html, query
    # The campaign page itself never asks it, even through the ally's link.
    html = client.get("/c/c?referrer=riverside").get_data(as_text=True)
    assert "ally_contact_consent" not in html


def consent_records(signature) -> dict[str, tuple[bool, str]]:
    rows = db.session.execute(
        select(ConsentRecord).where(ConsentRecord.signature_id == signature.id)
    ).scalars()
    return {row.choice: (row.given, row.wording) for row in rows}


def sign_for_ally(client, **fields) -> Signature:
    response = sign_in_widget(
        client, query="?referrer=riverside", headers=SAME_ORIGIN, email="ada@example.org", **fields
    )
    assert response.status_code == 303
    return db.session.execute(select(Signature)).scalar_one()


def test_the_answer_is_kept_and_recorded_at_confirmation_apart_from_the_campaigns(app):
    campaign = make_campaign(slug="c")
    make_ally(campaign, code="riverside", contact_question=QUESTION)
    client = app.test_client(use_cookies=False)
    signature = sign_for_ally(client, ally_contact_consent="y")
    assert signature.ally_contact_consent is True and signature.contact_consent is False
    assert signature.referrer == "riverside"

    path = f"/confirm/{confirmation_token(signature)}"
    browser = app.test_client()
    page = browser.get(path).get_data(as_text=True)
    # Asked again, unticked: only the mailbox owner's own tick is consent.
    assert SHOWN in page and "ally_contact_consent" not in form_as_shown(page)
    assert confirm_with_click(browser, path, ally_contact_consent="y").status_code == 200
    records = consent_records(signature)
    assert records["ally_contact"] == (True, SHOWN)
    assert records["contact_consent"] == (False, "The organisers may email me about this campaign")
    assert set(records) == {"public", "contact_consent", "ally_contact"}


def test_the_owner_may_change_the_answer_when_confirming(app):
    campaign = make_campaign(slug="c")
    make_ally(campaign, code="riverside", contact_question=QUESTION)
    signature = sign_for_ally(app.test_client(use_cookies=False), ally_contact_consent="y")
    browser = app.test_client()
    path = f"/confirm/{confirmation_token(signature)}"
    confirm_with_click(browser, path, ally_contact_consent=None, contact_consent="y")
    db.session.refresh(signature)
    assert (signature.ally_contact_consent, signature.contact_consent) == (False, True)
    records = consent_records(signature)
    assert records["ally_contact"] == (False, SHOWN)
    assert records["contact_consent"][0] is True


def test_no_ally_record_without_a_question(app, client):
    campaign = make_campaign(slug="c")
    make_ally(campaign, code="riverside")
    submit_signature(client, "c", email="bo@example.org")
    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.ally_contact_consent is None
    confirm_with_click(client, f"/confirm/{confirmation_token(signature)}")
    assert set(consent_records(signature)) == {"public", "contact_consent"}


def test_a_question_removed_before_confirmation_is_not_asked_nor_recorded(app):
    campaign = make_campaign(slug="c")
    ally = make_ally(campaign, code="riverside", contact_question=QUESTION)
    signature = sign_for_ally(app.test_client(use_cookies=False), ally_contact_consent="y")
    ally.contact_question = ""
    db.session.commit()
    browser = app.test_client()
    path = f"/confirm/{confirmation_token(signature)}"
    assert "asks:" not in browser.get(path).get_data(as_text=True)
    confirm_with_click(browser, path)
    db.session.refresh(signature)
    assert signature.ally_contact_consent is None
    assert "ally_contact" not in consent_records(signature)
