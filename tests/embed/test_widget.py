"""The widget page: compact, in the language asked for, and free of cookies (case 30)."""

import os
import secrets
import time

import pytest

from app import create_app
from app.embed.services import widget_post_refusal
from app.extensions import db
from app.signatures.fraud.stamps import seconds_since_render
from tests.factories import form_as_shown, make_campaign, make_closed_campaign, sign_form
from tests.helpers import app_config

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def test_the_widget_shows_title_count_progress_and_the_sign_form(client):
    campaign = make_campaign(slug="c", goal=250)
    response = client.get("/embed/c")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1" in html and "Test campaign (en)" in html
    assert "of 250 needed" in html and "<progress" in html
    fields = form_as_shown(html)
    assert {"form_token", "rendered", "referrer", "website", "name", "email"} <= set(fields)
    assert "csrf_token" not in fields
    assert seconds_since_render(fields["rendered"], campaign.id) is not None
    assert 'action="/embed/c/sign"' in html
    # No site header or footer: no organiser login link inside someone else's page.
    assert "/login" not in html


@pytest.mark.parametrize("config_overrides", [{"PAGE_CACHE_SECONDS": 60}])
def test_each_rendering_gets_a_fresh_token_and_stamp_even_with_the_page_cache_on(client):
    """A shared rendering has slots, not a token: a cached token would grow old for everyone."""
    campaign = make_campaign(slug="c")
    first = form_as_shown(client.get("/embed/c").get_data(as_text=True))
    time.sleep(1.1)  # the token and the stamp carry a time in whole seconds
    second = form_as_shown(client.get("/embed/c").get_data(as_text=True))
    assert first["form_token"] != second["form_token"]
    assert client.get("/embed/c").headers["Cache-Control"] == "no-store"
    assert seconds_since_render(first["rendered"], campaign.id) >= 1
    assert seconds_since_render(second["rendered"], campaign.id) < 1


@pytest.mark.parametrize("config_overrides", [{"PAGE_CACHE_SECONDS": 60}])
def test_each_widget_address_and_count_gets_its_own_rendering(client):
    """The shared rendering is keyed by all it shows: language, referrer, count."""
    campaign = make_campaign(slug="c", languages=("en", "ar"))
    assert 'action="/embed/c/sign"' in client.get("/embed/c").get_data(as_text=True)
    html = client.get("/embed/c?lang=ar&referrer=ally-42").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html and "Test campaign (ar)" in html
    assert form_as_shown(html)["referrer"] == "ally-42"
    assert 'action="/embed/c/sign?lang=ar"' in html
    english = client.get("/embed/c?referrer=ally-7").get_data(as_text=True)
    assert form_as_shown(english)["referrer"] == "ally-7" and "Test campaign (en)" in english
    # The slots never reach a visitor.
    assert "slot-" not in html + english
    assert seconds_since_render(form_as_shown(english)["rendered"], campaign.id) is not None


@pytest.mark.skipif(not TEST_REDIS_URL, reason="needs Redis: set TEST_REDIS_URL")
def test_with_redis_a_rendering_made_by_another_process_gets_this_ones_token(app, tmp_path):
    """Workers share renderings through Redis: every one must fill in the same slots."""
    shared = {
        "REDIS_URL": TEST_REDIS_URL,
        "PAGE_CACHE_PREFIX": f"rally-test:{secrets.token_hex(4)}:",
        "PAGE_CACHE_SECONDS": 60,
    }
    first, second = (create_app(app_config(tmp_path, **shared)) for _ in range(2))
    campaign_id = make_campaign(slug="c").id
    db.session.rollback()  # no read transaction of ours in the way of the signing below
    try:
        assert first.test_client().get("/embed/c").status_code == 200
        assert first.test_client().get("/c/c").status_code == 200
        widget = second.test_client().get("/embed/c").get_data(as_text=True)
        visitor = second.test_client()
        page = visitor.get("/c/c").get_data(as_text=True)

        assert "slot-" not in widget + page
        with second.app_context():
            token = form_as_shown(widget)["form_token"]
            assert widget_post_refusal(campaign_id, token, None, None) == ""
        csrf_token = form_as_shown(page)["csrf_token"]
        signed = visitor.post("/c/c/sign", data={"csrf_token": csrf_token, **sign_form()})
        assert signed.status_code == 303
    finally:
        with first.app_context():
            first.extensions["rally.page_cache"].clear()
        for other in (first, second):
            with other.app_context():
                db.engine.dispose()


def test_the_widget_sets_and_needs_no_cookie(app):
    """Case 30: no session, no CSRF cookie, not even the remembered language."""
    make_campaign(slug="c", languages=("en", "ar"))
    client = app.test_client(use_cookies=False)
    for path in ("/embed/c", "/embed/c?lang=ar", "/embed/c/check-inbox?lang=ar"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.getlist("Set-Cookie") == [], path


def test_arabic_widget_is_right_to_left_in_arabic(client):
    make_campaign(slug="c", languages=("en", "ar"))
    html = client.get("/embed/c?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "Test campaign (ar)" in html
    assert 'action="/embed/c/sign?lang=ar"' in html


def test_a_referrer_code_goes_into_the_form_and_a_malformed_one_does_not(client):
    make_campaign(slug="c")
    shown = form_as_shown(client.get("/embed/c?referrer=ally-42").get_data(as_text=True))
    assert shown["referrer"] == "ally-42"
    # The link to the full page keeps the attribution for who signs there instead.
    html = client.get("/embed/c?referrer=ally-42").get_data(as_text=True)
    assert 'href="/c/c?lang=en&amp;source=embed&amp;referrer=ally-42"' in html
    for bad in ("a" * 41, "<script>", "ally 42", "ally.42"):
        shown = form_as_shown(
            client.get("/embed/c", query_string={"referrer": bad}).get_data(as_text=True)
        )
        assert shown["referrer"] == "", bad


def test_a_closed_campaign_shows_no_form(client):
    make_closed_campaign(slug="c")
    html = client.get("/embed/c").get_data(as_text=True)
    assert "This petition is closed" in html and "form_token" not in html


def test_an_unknown_campaign_is_a_404(client):
    assert client.get("/embed/no-such-campaign").status_code == 404
