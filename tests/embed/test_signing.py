"""Signing in the widget without any cookie (case 28), and what a widget POST must carry (29)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.outbox import OutboxEmail
from app.extensions import db
from app.signatures.models import PENDING, Signature
from tests.embed.widget_pages import sign_in_widget, widget_form
from tests.factories import form_as_shown, make_campaign, make_closed_campaign, sign_form
from tests.helpers import BASE_URL


def rows(model=Signature) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def cookieless(app):
    """A browser in a third-party frame: every cookie blocked, both ways."""
    return app.test_client(use_cookies=False)


def test_signing_with_no_cookies_stores_an_embed_signature_with_its_referrer(cookieless):
    make_campaign(slug="c")
    response = sign_in_widget(
        cookieless,
        query="?referrer=ally-7",
        # What a browser sends for a form posted inside our own frame.
        headers={"Origin": BASE_URL, "Sec-Fetch-Site": "same-origin"},
        email="ada@example.org",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/embed/c/check-inbox?referrer=ally-7"
    assert response.headers.getlist("Set-Cookie") == []
    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.state == PENDING and signature.email == "ada@example.org"
    assert (signature.source, signature.referrer) == ("embed", "ally-7")
    assert rows(OutboxEmail) == 1
    inbox = cookieless.get(response.headers["Location"])
    assert inbox.status_code == 200 and "Check your inbox" in inbox.get_data(as_text=True)


def test_a_browser_that_sends_no_fetch_metadata_signs_with_the_token_alone(cookieless):
    make_campaign(slug="c")
    assert sign_in_widget(cookieless).status_code == 303
    assert db.session.execute(select(Signature.source, Signature.referrer)).one() == ("embed", "")


def test_the_campaign_page_still_records_no_source(client):
    from tests.factories import submit_signature

    make_campaign(slug="c")
    assert submit_signature(client, "c").status_code == 303
    assert db.session.execute(select(Signature.source, Signature.referrer)).one() == ("", "")


def test_an_arabic_widget_signs_in_arabic_and_stays_arabic(cookieless):
    make_campaign(slug="c", languages=("en", "ar"))
    response = sign_in_widget(cookieless, query="?lang=ar")
    assert response.headers["Location"] == "/embed/c/check-inbox?lang=ar"
    assert db.session.execute(select(Signature.language)).scalar_one() == "ar"
    html = cookieless.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


def test_a_tampered_referrer_is_dropped_not_stored(cookieless):
    make_campaign(slug="c")
    assert sign_in_widget(cookieless, referrer="<b>x</b>").status_code == 303
    assert db.session.execute(select(Signature.referrer)).scalar_one() == ""


def test_form_errors_show_next_to_the_fields_in_the_widget(cookieless):
    make_campaign(slug="c")
    response = sign_in_widget(cookieless, name="", email="not-an-email")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="name-error"' in html and 'id="email-error"' in html
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    shown = form_as_shown(html)
    assert shown["form_token"] and shown["email"] == "not-an-email"
    assert rows() == 0


def test_the_widget_posts_without_a_csrf_token_only_to_its_own_view(cookieless):
    """The CSRF exemption is the widget's alone: the campaign page's form still needs one."""
    make_campaign(slug="c")
    assert cookieless.post("/c/c/sign", data=sign_form()).status_code == 400
    assert rows() == 0


def test_a_campaign_that_closed_after_the_widget_loaded_says_so(app, cookieless):
    make_campaign(slug="c")
    fields = widget_form(cookieless)
    make_closed_campaign(slug="c")
    response = cookieless.post("/embed/c/sign", data={**fields, **sign_form()})
    assert response.status_code == 400
    assert "closed before your signature" in response.get_data(as_text=True)
    assert rows() == 0


# Case 29 ---------------------------------------------------------------------------------


def assert_refused(response):
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert rows() == 0 and rows(OutboxEmail) == 0


def test_no_token_is_refused(cookieless):
    make_campaign(slug="c")
    fields = widget_form(cookieless)
    del fields["form_token"]
    assert_refused(cookieless.post("/embed/c/sign", data={**fields, **sign_form()}))


def test_a_forged_token_is_refused(cookieless):
    make_campaign(slug="c")
    fields = widget_form(cookieless)
    fields["form_token"] = fields["form_token"][:-2] + "xx"
    assert_refused(cookieless.post("/embed/c/sign", data={**fields, **sign_form()}))


def test_another_campaigns_token_is_refused(cookieless):
    make_campaign(slug="c")
    make_campaign(slug="other")
    other = widget_form(cookieless, "/embed/other")
    fields = {**widget_form(cookieless), "form_token": other["form_token"]}
    assert_refused(cookieless.post("/embed/c/sign", data={**fields, **sign_form()}))


def test_an_expired_token_is_refused(app, cookieless):
    make_campaign(slug="c")
    fields = widget_form(cookieless)
    app.config["EMBED_FORM_TOKEN_MAX_AGE"] = timedelta(seconds=-1)
    assert_refused(cookieless.post("/embed/c/sign", data={**fields, **sign_form()}))


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": BASE_URL + ":8080"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": BASE_URL, "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_post_from_another_site_is_refused_even_with_a_valid_token(cookieless, headers):
    make_campaign(slug="c")
    assert_refused(sign_in_widget(cookieless, headers=headers))


def test_the_refusal_is_shown_in_the_frame_with_a_way_back(cookieless):
    make_campaign(slug="c")
    response = cookieless.post("/embed/c/sign?lang=ar", data={**sign_form(), "referrer": "ally-1"})
    assert response.status_code == 400
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert 'href="/embed/c?lang=ar&amp;referrer=ally-1"' in response.get_data(as_text=True)
