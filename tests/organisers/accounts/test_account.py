"""The account page: change the password (other sessions end), see and end sessions."""

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.organisers.accounts.passwords import verify_password
from app.organisers.models import Organiser, OrganiserSession
from tests.factories import (
    ORGANISER_PASSWORD,
    form_as_shown,
    log_in_as,
    log_in_with_form,
    make_organiser_with_password,
)
from tests.helpers import body_of, deliver

NEW = "another long passphrase"


def change_password(client, current=ORGANISER_PASSWORD, new=NEW, again=None):
    data = form_as_shown(client.get("/account").get_data(as_text=True))
    data.update(current_password=current, new_password=new, confirm_password=again or new)
    return client.post("/account", data=data)


def session_ids():
    return set(db.session.execute(select(OrganiserSession.id)).scalars())


def test_changing_the_password_keeps_this_session_and_ends_the_others(client, smtp):
    organiser = make_organiser_with_password(email="ada@example.org")
    elsewhere = client.application.test_client()
    log_in_as(elsewhere, organiser)
    log_in_with_form(client, "ada@example.org")
    page = client.get("/account")
    assert page.headers["Cache-Control"] == "no-store"
    assert "Log out everywhere else" in page.get_data(as_text=True)

    response = change_password(client)
    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302
    assert len(session_ids()) == 1
    db.session.expire_all()
    organiser = db.session.get(Organiser, organiser.id)
    assert verify_password(organiser.password_hash, NEW)
    deliver()
    assert "was just changed" in body_of(smtp.messages_to("ada@example.org")[-1])


def test_a_wrong_current_password_changes_nothing(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    log_in_with_form(client, "ada@example.org")
    response = change_password(client, current="not my password")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "current password is not right" in html
    assert NEW not in html and "not my password" not in html
    db.session.expire_all()
    assert verify_password(
        db.session.get(Organiser, organiser.id).password_hash, ORGANISER_PASSWORD
    )
    weak = change_password(client, new="short")
    assert weak.status_code == 400 and "at least 12" in weak.get_data(as_text=True)


def test_ending_one_other_session_or_all_of_them(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    phone, laptop = client.application.test_client(), client.application.test_client()
    phone_id, laptop_id = log_in_as(phone, organiser), log_in_as(laptop, organiser)
    mine = log_in_as(client, organiser)
    html = client.get("/account").get_data(as_text=True)
    # Session ids are login secrets: the page names sessions by a digest instead.
    assert phone_id not in html and laptop_id not in html and mine not in html

    from app.organisers.accounts.services import session_handle

    data = {"csrf_token": form_as_shown(html)["csrf_token"]}
    client.post("/account/sessions", data={**data, "session": session_handle(phone_id)})
    assert session_ids() == {laptop_id, mine}
    # Naming this very session does not end it.
    client.post("/account/sessions", data={**data, "session": session_handle(mine)})
    assert session_ids() == {laptop_id, mine}
    client.post("/account/sessions", data=data)
    assert session_ids() == {mine}
    assert phone.get("/account").status_code == 302 and laptop.get("/account").status_code == 302
    assert client.get("/account").status_code == 200


def test_someone_elses_session_cannot_be_ended(client):
    mine = make_organiser_with_password(email="ada@example.org")
    theirs = make_organiser_with_password(email="bob@example.org")
    from app.organisers.accounts.services import session_handle

    their_session = log_in_as(client.application.test_client(), theirs)
    log_in_as(client, mine)
    data = {
        "csrf_token": form_as_shown(client.get("/account").get_data(as_text=True))["csrf_token"]
    }
    client.post("/account/sessions", data={**data, "session": session_handle(their_session)})
    assert their_session in session_ids()
    client.post("/account/sessions", data=data)
    assert their_session in session_ids()
    assert (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "organiser.sessions_ended")
        )
        .scalars()
        .all()
    )


def test_account_pages_need_a_login(client):
    for path in ("/account", "/account/two-factor", "/admin/settings"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_unconfirmed_organiser_can_have_the_link_sent_again(client, smtp):
    from app.organisers.accounts.lookup import find_organiser
    from tests.helpers import emailed_link, path_of

    make_organiser_with_password(email="ada@example.org", confirmed=False)
    log_in_with_form(client, "ada@example.org")
    html = client.get("/account").get_data(as_text=True)
    assert "Send the link again" in html
    token = form_as_shown(html)["csrf_token"]
    assert client.post("/account/confirm-email", data={"csrf_token": token}).status_code == 303
    link = path_of(emailed_link(smtp, "ada@example.org", "/signup/confirm/")).split("?")[0]
    page = client.get(link).get_data(as_text=True)
    client.post(link, data={"csrf_token": form_as_shown(page)["csrf_token"]})
    db.session.expire_all()
    assert find_organiser("ada@example.org").email_confirmed
    assert "Send the link again" not in client.get("/account").get_data(as_text=True)
