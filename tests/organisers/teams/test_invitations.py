"""Inviting by email and accepting: single use, for the invited address only, expiring."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.outbox import send_due_emails
from app.core.tokens import CONFIRM_SIGNATURE, make_token
from app.extensions import db
from app.organisers.models import Invitation, Membership, Role
from app.organisers.teams.invitations import (
    INVITATION_TOKEN,
    InvitationResult,
    accept_invitation,
    invite_member,
    pending_invitations,
)
from app.organisers.teams.membership import remove_member
from tests.factories import (
    form_as_shown,
    log_in_as,
    make_campaign,
    make_invitation_link,
    make_member,
    make_organisation,
    make_organiser,
    post_with_csrf,
)
from tests.helpers import BASE_URL


@pytest.fixture
def team(app):
    """An organisation "team" with its owner."""
    owner = make_organiser(email="owner@example.org")
    organisation = make_organisation(owner=owner, slug="team", name="The Team")
    return organisation, owner


def invite(client, email, role="editor", slug="team"):
    page = f"/organisations/{slug}/members"
    return post_with_csrf(
        client, f"/organisations/{slug}/invitations", page, {"email": email, "role": role}
    )


def emailed_link(smtp, address) -> str:
    """The invitation link in the latest email to `address`, as written."""
    send_due_emails()
    body = smtp.messages_to(address)[-1].get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S+/invitations/\S+", body)
    assert match, body
    return match.group(0)


def path_of(link: str) -> str:
    return link.removeprefix(BASE_URL)


def accept(client, path):
    """Open the invitation page and press Accept, like a person would."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    data = form_as_shown(page.get_data(as_text=True))
    return client.post(path.split("?")[0], data=data)


def membership_of(organisation, organiser):
    db.session.expire_all()
    return db.session.execute(
        select(Membership).where(
            Membership.organisation_id == organisation.id,
            Membership.organiser_id == organiser.id,
        )
    ).scalar_one_or_none()


def events(action):
    db.session.expire_all()
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_an_invited_organiser_accepts_and_joins_with_the_role(app, client, smtp, team):
    organisation, owner = team
    log_in_as(client, owner)
    response = invite(client, "New.Person@Example.org", role="editor")
    assert response.status_code == 303
    assert "The invitation is on its way." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    link = emailed_link(smtp, "new.person@example.org")
    [message] = smtp.messages
    assert link.startswith(BASE_URL + "/invitations/")
    assert "The Team" in message["Subject"]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert link in html and "owner@example.org" in html and "Editor" in html
    [created] = events("invitation.created")
    assert created.detail == {"email": "new.person@example.org", "role": "editor"}
    assert created.actor_id == owner.id and created.organisation_id == organisation.id

    # The owner sees it waiting.
    assert "new.person@example.org" in client.get("/organisations/team").get_data(as_text=True)

    invitee = make_organiser(email="new.person@example.org")
    other_browser = app.test_client()
    # Not logged in: the page says to log in first, and comes back here after.
    anonymous = other_browser.get(path_of(link)).get_data(as_text=True)
    assert "The Team" in anonymous and "Editor" in anonymous and "log in" in anonymous
    invitation_path = path_of(link).split("?")[0]
    assert f'href="/login?next={invitation_path}"' in anonymous
    assert "Accept the invitation" not in anonymous

    log_in_as(other_browser, invitee)
    response = accept(other_browser, path_of(link))
    assert response.status_code == 303 and response.headers["Location"] == "/organisations/team"
    assert membership_of(organisation, invitee).role == Role.EDITOR
    [accepted] = events("invitation.accepted")
    assert accepted.actor_id == invitee.id and accepted.organisation_id == organisation.id
    assert accepted.detail["email"] == accepted.detail["accepting_email"] == invitee.email
    invitation = db.session.execute(select(Invitation)).scalar_one()
    assert invitation.token_nonce is None and invitation.accepted_at is not None
    assert other_browser.get("/organisations/team").status_code == 200

    # Opening the link again as a member just leads to the organisation.
    again = other_browser.get(path_of(link))
    assert again.status_code == 303 and again.headers["Location"] == "/organisations/team"


def test_a_used_link_does_not_work_again(app, client, smtp, team):
    organisation, owner = team
    invitee = make_organiser(email="once@example.org")
    log_in_as(client, owner)
    invite(client, "once@example.org", role="owner")
    path = path_of(emailed_link(smtp, "once@example.org"))
    other_browser = app.test_client()
    log_in_as(other_browser, invitee)
    accept(other_browser, path)
    # Removed later, they cannot rejoin with the old link.
    remove_member(organisation, owner, membership_of(organisation, invitee).id)
    page = other_browser.get(path)
    assert page.status_code == 400
    assert "This invitation link is not valid or has expired" in page.get_data(as_text=True)
    response = post_with_csrf(other_browser, path.split("?")[0], "/organisations/new")
    assert response.status_code == 400 and membership_of(organisation, invitee) is None


def test_two_tabs_cannot_both_accept(app, team):
    organisation, owner = team
    invitee = make_organiser(email="tabs@example.org")
    invitation = invite_member(organisation, owner, "tabs@example.org", Role.VIEWER)
    token = make_token(INVITATION_TOKEN, {"i": invitation.id, "n": invitation.token_nonce})
    first = accept_invitation(token, invitee)
    assert first.result == InvitationResult.ACCEPTED
    remove_member(organisation, owner, membership_of(organisation, invitee).id)
    assert accept_invitation(token, invitee).result == InvitationResult.INVALID
    assert membership_of(organisation, invitee) is None


def invitation_token(organisation, owner, email="late@example.org", purpose=INVITATION_TOKEN):
    invitation = invite_member(organisation, owner, email, Role.VIEWER)
    return make_token(purpose, {"i": invitation.id, "n": invitation.token_nonce}), invitation


def test_an_expired_link_is_refused(app, client, team):
    organisation, owner = team
    invitee = make_organiser(email="late@example.org")
    token, invitation = invitation_token(organisation, owner)
    next_week = utcnow() + app.config["INVITATION_MAX_AGE"] + timedelta(minutes=1)
    assert accept_invitation(token, invitee, now=next_week).result == (InvitationResult.EXPIRED)
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(created_at=utcnow() - timedelta(days=8))
    )
    db.session.commit()
    log_in_as(client, invitee)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 410
    assert "not valid or has expired" in page.get_data(as_text=True)
    assert post_with_csrf(client, f"/invitations/{token}", "/organisations/new").status_code == 410
    assert membership_of(organisation, invitee) is None
    # No longer listed as waiting.
    assert pending_invitations(organisation) == []


@pytest.mark.parametrize("config_overrides", [{"INVITATION_MAX_AGE": timedelta(seconds=-1)}])
def test_the_token_itself_expires(app, client, team):
    organisation, owner = team
    invitee = make_organiser(email="late@example.org")
    token, _ = invitation_token(organisation, owner)
    assert accept_invitation(token, invitee).result == InvitationResult.EXPIRED
    assert membership_of(organisation, invitee) is None


@pytest.mark.parametrize("mangle", ["tampered", "truncated", "other purpose", "garbage"])
def test_a_tampered_or_foreign_link_is_refused(app, client, team, mangle):
    organisation, owner = team
    invitee = make_organiser(email="late@example.org")
    token, invitation = invitation_token(organisation, owner)
    if mangle == "tampered":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif mangle == "truncated":
        token = token[:-10]
    elif mangle == "other purpose":
        # Genuine, signed by us, same payload: made for confirming a signature.
        token = make_token(CONFIRM_SIGNATURE, {"i": invitation.id, "n": invitation.token_nonce})
    else:
        token = "not-a-token"
    log_in_as(client, invitee)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 400
    assert "This invitation link is not valid or has expired" in page.get_data(as_text=True)
    assert post_with_csrf(client, f"/invitations/{token}", "/organisations/new").status_code == 400
    assert membership_of(organisation, invitee) is None
    assert events("invitation.accepted") == []


def test_an_invitation_for_another_address_is_refused(app, client, smtp, team):
    organisation, owner = team
    log_in_as(client, owner)
    invite(client, "intended@example.org")
    path = path_of(emailed_link(smtp, "intended@example.org"))
    someone_else = make_organiser(email="forwarded-to@example.org")
    other_browser = app.test_client()
    log_in_as(other_browser, someone_else)
    page = other_browser.get(path)
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "This invitation was sent to another address" in html
    assert "Accept the invitation" not in html
    response = post_with_csrf(other_browser, path.split("?")[0], "/organisations/new")
    assert response.status_code == 403 and membership_of(organisation, someone_else) is None
    [event] = events("invitation.other_address")
    assert event.detail == {
        "email": "intended@example.org",
        "accepting_email": "forwarded-to@example.org",
    }
    # The invitation still works for the person it was sent to.
    intended = make_organiser(email="intended@example.org")
    log_in_as(other_browser, intended)
    assert accept(other_browser, path).status_code == 303
    assert membership_of(organisation, intended).role == Role.EDITOR


def test_inviting_a_member_is_a_form_error(client, team):
    organisation, owner = team
    make_member(organisation, role=Role.VIEWER, email="already@example.org")
    log_in_as(client, owner)
    response = invite(client, "Already@example.org")
    assert response.status_code == 400
    assert "This address belongs to a member of the organisation." in response.get_data(
        as_text=True
    )
    assert db.session.execute(select(Invitation)).first() is None


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("", "viewer", "Enter the email address to invite."),
        ("not-an-address", "viewer", "Enter a valid email address"),
        ("ok@example.org", "admin", "Choose a role from the list."),
    ],
)
def test_invite_form_errors(client, team, email, role, message):
    _, owner = team
    log_in_as(client, owner)
    response = invite(client, email, role=role)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.execute(select(Invitation)).first() is None


def test_inviting_again_replaces_the_earlier_link(app, client, smtp, team):
    organisation, owner = team
    log_in_as(client, owner)
    invite(client, "twice@example.org", role="viewer")
    first = path_of(emailed_link(smtp, "twice@example.org"))
    invite(client, "twice@example.org", role="owner")
    second = path_of(emailed_link(smtp, "twice@example.org"))
    assert first != second
    assert len(pending_invitations(organisation)) == 1
    invitee = make_organiser(email="twice@example.org")
    other_browser = app.test_client()
    log_in_as(other_browser, invitee)
    assert other_browser.get(first).status_code == 400
    assert accept(other_browser, second).status_code == 303
    assert membership_of(organisation, invitee).role == Role.OWNER


def test_a_withdrawn_invitation_no_longer_works(app, client, smtp, team):
    organisation, owner = team
    log_in_as(client, owner)
    invite(client, "withdrawn@example.org")
    path = path_of(emailed_link(smtp, "withdrawn@example.org"))
    invitation = db.session.execute(select(Invitation)).scalar_one()
    response = post_with_csrf(
        client,
        f"/organisations/team/invitations/{invitation.id}/withdraw",
        "/organisations/team/members",
    )
    assert response.status_code == 303
    [event] = events("invitation.withdrawn")
    assert event.detail["email"] == "withdrawn@example.org" and event.actor_id == owner.id
    invitee = make_organiser(email="withdrawn@example.org")
    log_in_as(client, invitee)
    assert client.get(path).status_code == 400
    assert membership_of(organisation, invitee) is None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_viewers_and_editors_cannot_invite_or_withdraw(client, team, role):
    organisation, owner = team
    pending = invite_member(organisation, owner, "pending@example.org", Role.VIEWER)
    member = make_member(organisation, role=role)
    log_in_as(client, member)
    assert client.get("/organisations/team/members").status_code == 403
    response = post_with_csrf(
        client,
        "/organisations/team/invitations",
        "/organisations/team",
        {"email": "friend@example.org", "role": "owner"},
    )
    assert response.status_code == 403
    response = post_with_csrf(
        client, f"/organisations/team/invitations/{pending.id}/withdraw", "/organisations/team"
    )
    assert response.status_code == 403
    emails = db.session.execute(select(Invitation.email)).scalars().all()
    assert emails == ["pending@example.org"]


@pytest.mark.parametrize(
    "config_overrides", [{"RATELIMIT_ENABLED": True, "RATELIMIT_INVITE": "2 per hour"}]
)
def test_invitations_are_rate_limited_per_organiser(client, team):
    _, owner = team
    log_in_as(client, owner)
    assert invite(client, "a@example.org").status_code == 303
    # A mistake corrected does not use up the limit.
    assert invite(client, "not-an-address").status_code == 400
    assert invite(client, "b@example.org").status_code == 303
    response = invite(client, "c@example.org")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and 'value="c@example.org"' in html
    emails = db.session.execute(select(Invitation.email)).scalars().all()
    assert sorted(emails) == ["a@example.org", "b@example.org"]
    # Another owner (another key) is not held back.
    other_owner = make_organiser()
    make_organisation(owner=other_owner, slug="elsewhere")
    log_in_as(client, other_owner)
    assert invite(client, "c@example.org", slug="elsewhere").status_code == 303


@pytest.mark.parametrize("config_overrides", [{"MAX_EMAILS_PER_ADDRESS_PER_DAY": 1}])
def test_an_address_over_its_daily_emails_keeps_its_earlier_invitation(client, team):
    _, owner = team
    log_in_as(client, owner)
    assert invite(client, "capped@example.org").status_code == 303
    first = db.session.execute(select(Invitation)).scalar_one()
    response = invite(client, "capped@example.org", role="owner")
    assert response.status_code == 429
    assert "Try again tomorrow" in response.get_data(as_text=True)
    db.session.expire_all()
    [kept] = db.session.execute(select(Invitation)).scalars().all()
    assert kept.id == first.id and kept.token_nonce is not None and kept.role == "editor"


def test_anonymous_accept_goes_to_log_in(app, team):
    organisation, owner = team
    token, _ = invitation_token(organisation, owner)
    make_campaign(slug="any")
    client = app.test_client()
    response = post_with_csrf(client, f"/invitations/{token}", "/c/any")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert db.session.execute(select(Invitation.accepted_at)).scalar_one() is None


def test_a_member_opening_a_live_invitation_is_led_to_the_organisation(client, team):
    organisation, owner = team
    path = make_invitation_link(organisation, owner, email="pending@example.org")
    # Added some other way while the invitation waited.
    member = make_member(organisation, role=Role.VIEWER, email="pending@example.org")
    colleague = make_member(organisation, role=Role.VIEWER)
    log_in_as(client, colleague)
    # A colleague pressing Accept on a forwarded link is led in, and the link stays live.
    response = post_with_csrf(client, path, "/organisations/new")
    assert response.status_code == 303 and response.headers["Location"] == "/organisations/team"
    assert len(pending_invitations(organisation)) == 1
    log_in_as(client, member)
    # Opening it changes nothing (mail scanners open links too)...
    response = client.get(path)
    assert response.status_code == 303 and response.headers["Location"] == "/organisations/team"
    assert len(pending_invitations(organisation)) == 1
    # ...the invited person pressing Accept uses it up, without changing their role.
    response = post_with_csrf(client, path, "/organisations/new")
    assert response.status_code == 303
    assert pending_invitations(organisation) == []
    assert membership_of(organisation, member).role == Role.VIEWER


def test_the_email_is_in_the_language_of_an_invited_organiser(app, client, smtp, team):
    organisation, owner = team
    invitee = make_organiser(email="arabic@example.org")
    invitee.language = "ar"
    db.session.commit()
    log_in_as(client, owner)
    invite(client, "arabic@example.org")
    link = emailed_link(smtp, "arabic@example.org")
    assert link.endswith("?lang=ar")
    assert 'dir="rtl"' in smtp.messages[-1].get_body(preferencelist=("html",)).get_content()
