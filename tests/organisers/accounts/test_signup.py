"""Sign-up: email confirmation by a deliberate POST, and no way to learn who has an account."""

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.organisers.accounts.lookup import can_publish, find_organiser
from app.organisers.models import Organiser
from tests.factories import csrf_token, form_as_shown, make_organiser_with_password
from tests.helpers import BASE_URL, body_of, deliver, emailed_link, path_of

PASSWORD = "a long and unusual passphrase"


def sign_up(client, email, password=PASSWORD, again=None):
    token = csrf_token(client, "/signup")
    return client.post(
        "/signup",
        data={
            "csrf_token": token,
            "email": email,
            "new_password": password,
            "confirm_password": password if again is None else again,
        },
    )


def test_sign_up_emails_a_link_that_confirms_only_on_post(client, smtp):
    response = sign_up(client, "New.Person@Example.org")
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    organiser = find_organiser("new.person@example.org")
    assert organiser.email == "new.person@example.org" and not organiser.email_confirmed
    assert not can_publish(organiser)
    assert organiser.password_hash.startswith("$argon2id$")

    link = emailed_link(smtp, "new.person@example.org", "/signup/confirm/")
    assert link.startswith(BASE_URL + "/signup/confirm/")
    # A mail scanner opening the link confirms nothing.
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Confirm my email address" in page.get_data(as_text=True)
    db.session.expire_all()
    assert not find_organiser("new.person@example.org").email_confirmed

    data = form_as_shown(page.get_data(as_text=True))
    confirmed = client.post(path_of(link).split("?")[0], data=data)
    assert confirmed.status_code == 200
    assert "Your email address is confirmed" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    organiser = find_organiser("new.person@example.org")
    assert organiser.email_confirmed and can_publish(organiser)
    # Pressing again is harmless.
    again = client.post(path_of(link).split("?")[0], data=data)
    assert again.status_code == 200


def test_a_confirm_link_for_another_purpose_or_tampered_is_refused(client, smtp):
    sign_up(client, "x@example.org")
    link = path_of(emailed_link(smtp, "x@example.org", "/signup/confirm/")).split("?")[0]
    assert client.get(link[:-3] + "abc").status_code == 404
    assert client.get("/signup/confirm/not-a-token").status_code == 404


def test_signing_up_with_a_taken_address_reveals_nothing_and_tells_the_owner(client, smtp):
    make_organiser_with_password(email="taken@example.org")
    taken = sign_up(client, "taken@example.org")
    fresh = sign_up(client, "fresh@example.org")
    assert taken.status_code == fresh.status_code == 200

    def without_token(html):
        import re

        return re.sub(r'value="[^"]+"', "", html)

    assert without_token(taken.get_data(as_text=True)) == without_token(
        fresh.get_data(as_text=True)
    )
    assert len(db.session.execute(select(Organiser)).scalars().all()) == 2
    deliver()
    note = body_of(smtp.messages_to("taken@example.org")[-1])
    assert "You already have an account" in note and BASE_URL + "/reset" in note
    assert "/signup/confirm/" in body_of(smtp.messages_to("fresh@example.org")[-1])
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "organiser.signup_existing" in actions


def test_the_link_is_built_from_base_url_whatever_the_host_header(client, smtp):
    evil = "http://evil.example"
    page = client.get("/signup", base_url=evil).get_data(as_text=True)
    data = form_as_shown(page)
    data.update(email="host@example.org", new_password=PASSWORD, confirm_password=PASSWORD)
    assert client.post("/signup", data=data, base_url=evil).status_code == 200
    link = emailed_link(smtp, "host@example.org", "/signup/confirm/")
    assert link.startswith(BASE_URL + "/") and "evil.example" not in link


def test_weak_passwords_are_refused_and_never_shown_again(client):
    cases = {
        "short pass": "at least 12",
        "Qwerty123456": "too common",
        "longnameperson-secret": "your email address",
        "x" * 129: "at most 128",
    }
    for password, message in cases.items():
        response = sign_up(client, "longnameperson@example.org", password)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and message in html, password
        assert password not in html
        assert 'value="longnameperson@example.org"' in html
    mismatch = sign_up(client, "someone@example.org", PASSWORD, again=PASSWORD + "!")
    assert "not the same" in mismatch.get_data(as_text=True)
    assert db.session.execute(select(Organiser)).first() is None


def test_a_next_path_is_kept_through_sign_up_to_the_login_link(client):
    page = client.get("/signup?next=/invitations/abc").get_data(as_text=True)
    assert 'action="/signup?next=/invitations/abc"' in page
    data = form_as_shown(page)
    data.update(email="n@example.org", new_password=PASSWORD, confirm_password=PASSWORD)
    sent = client.post("/signup?next=/invitations/abc", data=data).get_data(as_text=True)
    assert 'href="/login?next=/invitations/abc"' in sent
    outside = client.get("/signup?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in outside
