"""Password reset: same answer for every address, single-use links that a new password voids."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.outbox import OutboxEmail
from app.core.tokens import make_token
from app.extensions import db
from app.organisers.accounts.links import CONFIRM_EMAIL, RESET_PASSWORD, reset_token
from app.organisers.accounts.passwords import verify_password
from app.organisers.models import Organiser, OrganiserSession
from tests.factories import (
    csrf_token,
    form_as_shown,
    log_in_as,
    log_in_with_form,
    make_organiser_with_password,
)
from tests.helpers import BASE_URL, body_of, deliver, emailed_link, path_of

NEW = "a completely new passphrase"


def ask_for_reset(client, email):
    return client.post("/reset", data={"csrf_token": csrf_token(client, "/reset"), "email": email})


def set_password(client, path, password=NEW, again=None):
    page = client.get(path)
    if page.status_code != 200:
        return page
    data = form_as_shown(page.get_data(as_text=True))
    data.update(new_password=password, confirm_password=again or password)
    return client.post(path.split("?")[0], data=data)


def without_tokens(html):
    return re.sub(r'value="[^"]+"', "", html)


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, smtp):
    make_organiser_with_password(email="ada@example.org")
    known, unknown = (
        ask_for_reset(client, "ada@example.org"),
        ask_for_reset(client, "no@example.org"),
    )
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.get_data(as_text=True)) == without_tokens(
        unknown.get_data(as_text=True)
    )
    assert "If an account exists" in known.get_data(as_text=True)
    deliver()
    assert [m["To"] for m in smtp.messages] == ["ada@example.org"]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(client, smtp):
    organiser = make_organiser_with_password(email="ada@example.org", confirmed=False)
    other_browser = client.application.test_client()
    log_in_as(other_browser, organiser)
    log_in_as(client, organiser)
    ask_for_reset(client, "ada@example.org")
    link = emailed_link(smtp, "ada@example.org", "/reset/")
    assert link.startswith(BASE_URL + "/reset/")

    response = set_password(client, path_of(link))
    assert response.status_code == 200 and "Your password is saved" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    organiser = db.session.get(Organiser, organiser.id)
    assert verify_password(organiser.password_hash, NEW)
    assert organiser.password_changed_at is not None
    # They proved the mailbox is theirs.
    assert organiser.email_confirmed
    assert db.session.execute(select(OrganiserSession)).first() is None
    assert other_browser.get("/account").status_code == 302
    assert client.get("/account").status_code == 302
    deliver()
    assert "was just changed" in body_of(smtp.messages_to("ada@example.org")[-1])
    # Single use: the link is void now the password changed.
    again = client.get(path_of(link))
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    assert log_in_with_form(client, "ada@example.org", NEW).status_code == 303


def test_a_password_change_voids_an_earlier_link(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    token = reset_token(organiser)
    log_in_with_form(client, "ada@example.org")
    data = form_as_shown(client.get("/account").get_data(as_text=True))
    data.update(
        current_password="correct horse battery staple",
        new_password=NEW,
        confirm_password=NEW,
    )
    assert client.post("/account", data=data).status_code == 303
    assert client.get(f"/reset/{token}").status_code == 410


@pytest.mark.parametrize("config_overrides", [{"PASSWORD_RESET_MAX_AGE": timedelta(seconds=-1)}])
def test_an_expired_link_is_refused(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    response = set_password(client, f"/reset/{reset_token(organiser)}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert verify_password(
        db.session.get(Organiser, organiser.id).password_hash, "correct horse battery staple"
    )


def test_tokens_made_for_another_purpose_or_tampered_are_refused(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    payload = {"id": organiser.id, "email": organiser.email}
    confirm_token = make_token(CONFIRM_EMAIL, payload)
    assert client.get(f"/reset/{confirm_token}").status_code == 404
    assert client.get(f"/signup/confirm/{reset_token(organiser)}").status_code == 404
    forged = make_token(RESET_PASSWORD, {"id": organiser.id, "pw": "0" * 16})
    assert client.get(f"/reset/{forged}").status_code == 410
    assert client.get(f"/reset/{reset_token(organiser)}x").status_code == 404


def test_the_new_password_must_follow_the_rules(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    path = f"/reset/{reset_token(organiser)}"
    response = set_password(client, path, "short")
    assert response.status_code == 400 and "at least 12" in response.get_data(as_text=True)
    response = set_password(client, path, NEW, again=NEW + "x")
    assert response.status_code == 400 and "not the same" in response.get_data(as_text=True)
    assert db.session.execute(select(OutboxEmail)).first() is None


def test_the_reset_link_is_built_from_base_url_whatever_the_host(client, smtp):
    make_organiser_with_password(email="ada@example.org")
    evil = "http://evil.example"
    data = form_as_shown(client.get("/reset", base_url=evil).get_data(as_text=True))
    data["email"] = "ada@example.org"
    assert (
        client.post(
            "/reset", data=data, base_url=evil, headers={"Host": "evil.example"}
        ).status_code
        == 200
    )
    link = emailed_link(smtp, "ada@example.org", "/reset/")
    assert link.startswith(BASE_URL + "/reset/") and "evil" not in link
