"""Creating, renaming and deleting organisations; who may see their pages."""

import logging

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.organisers.models import Membership, Organisation, Role
from app.organisers.teams.forms import slug_from_name
from tests.factories import (
    log_in_as,
    make_campaign,
    make_member,
    make_organisation,
    make_organiser,
    post_with_csrf,
)
from tests.html import parse


def create(client, **data):
    return post_with_csrf(client, "/organisations/new", "/organisations/new", data)


def events(action):
    db.session.expire_all()
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_creator_becomes_owner_and_the_creation_is_audited(client):
    organiser = make_organiser()
    log_in_as(client, organiser)
    response = create(client, name="Green Street Residents", slug="")
    assert response.status_code == 303
    assert response.headers["Location"] == "/organisations/green-street-residents"
    organisation = db.session.execute(select(Organisation)).scalar_one()
    assert organisation.name == "Green Street Residents"
    membership = db.session.execute(select(Membership)).scalar_one()
    assert (membership.organiser_id, membership.role) == (organiser.id, Role.OWNER)
    [event] = events("organisation.created")
    assert event.organisation_id == organisation.id and event.actor_id == organiser.id
    page = client.get("/organisations/green-street-residents")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Green Street Residents" in html and organiser.email in html and "Owner" in html


def test_a_typed_slug_is_used_and_a_taken_one_is_a_form_error(client):
    make_organisation(slug="tenants-union")
    log_in_as(client, make_organiser())
    response = create(client, name="Tenants", slug="Tenants-Union")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This web address is taken. Choose another." in html
    assert 'class="error-summary"' in html and 'aria-invalid="true"' in html
    assert create(client, name="Tenants", slug="tenants-union-2").status_code == 303
    assert db.session.execute(
        select(Organisation).where(Organisation.slug == "tenants-union-2")
    ).scalar_one()


def test_a_slug_made_from_a_taken_name_is_shown_to_edit(client):
    make_organisation(slug="tenants-union")
    log_in_as(client, make_organiser())
    html = create(client, name="Tenants’ Union", slug="").get_data(as_text=True)
    assert "This web address is taken" in html and 'value="tenants-union"' in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "slug": "x"}, "Enter the organisation's name."),
        ({"name": "   ", "slug": "x"}, "Enter the organisation's name."),
        ({"name": "n" * 201, "slug": "x"}, "Use at most 200 characters."),
        ({"name": "Visit https://evil.example", "slug": "x"}, "without a web address"),
        ({"name": "Fine", "slug": "Not Fine!"}, "Use only lowercase letters"),
        ({"name": "Fine", "slug": "new"}, "This web address is taken"),
        ({"name": "جمعية السكان", "slug": ""}, "Choose a web address using letters a to z"),
    ],
)
def test_bad_names_and_slugs_are_form_errors(client, data, message):
    log_in_as(client, make_organiser())
    response = create(client, **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(Organisation)).first() is None


def test_slugs_from_names():
    assert slug_from_name("  Café de la Gare -- Lyon ") == "cafe-de-la-gare-lyon"
    assert slug_from_name("جمعية") == ""
    assert len(slug_from_name("a" * 300)) == 100


def test_anonymous_visitors_are_sent_to_log_in(client):
    organisation = make_organisation(slug="team")
    for path in ("/organisations/new", "/organisations/team", "/organisations/team/audit"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    response = client.post("/organisations/new", data={"name": "X"})
    assert response.status_code in (302, 400)
    assert db.session.execute(select(Organisation)).scalar_one().id == organisation.id


@pytest.mark.parametrize(
    "suffix", ["", "/members", "/audit", "/settings"], ids=["page", "members", "audit", "settings"]
)
def test_members_of_another_organisation_get_404_and_are_logged(client, caplog, suffix):
    owner = make_organiser()
    make_organisation(owner=owner, slug="ours")
    theirs = make_organisation(slug="theirs")
    make_member(theirs, role=Role.OWNER)
    log_in_as(client, owner)
    with caplog.at_level(logging.WARNING, logger="rally.access"):
        response = client.get("/organisations/theirs" + suffix)
    assert response.status_code == 404
    assert any("theirs" in record.getMessage() for record in caplog.records)
    [event] = events("access.denied")
    assert event.actor_id == owner.id and event.detail["path"] == "/organisations/theirs" + suffix
    # An address no organisation has looks exactly the same.
    assert client.get("/organisations/nobody" + suffix).status_code == 404


def test_site_admins_are_outsiders_too(client):
    make_organisation(slug="theirs", owner=make_organiser())
    log_in_as(client, make_organiser(admin=True))
    assert client.get("/organisations/theirs").status_code == 404


def test_viewers_see_members_but_not_owner_pages(client):
    owner = make_organiser(email="owner@example.org")
    organisation = make_organisation(owner=owner, slug="team")
    viewer = make_member(organisation, role=Role.VIEWER)
    log_in_as(client, viewer)
    html = client.get("/organisations/team").get_data(as_text=True)
    assert "owner@example.org" in html and viewer.email in html
    assert "Pending invitations" not in html and "/organisations/team/members" not in html
    for page in ("members", "audit", "settings"):
        assert client.get(f"/organisations/team/{page}").status_code == 403


def test_editors_and_owners_start_a_campaign_from_the_organisation_page(client):
    owner = make_organiser()
    organisation = make_organisation(owner=owner, slug="team")
    new_campaign = 'main a[href="/organisations/team/campaigns/new"]'
    for organiser, links in (
        (owner, 1),
        (make_member(organisation, role=Role.EDITOR), 1),
        (make_member(organisation, role=Role.VIEWER), 0),
    ):
        log_in_as(client, organiser)
        page = parse(client.get("/organisations/team").text)
        assert page.texts(new_campaign) == ["New campaign"] * links


def rename(client, slug, name):
    page = f"/organisations/{slug}/settings"
    return post_with_csrf(client, f"/organisations/{slug}/rename", page, {"name": name})


def test_owners_rename_with_an_audit_line(client):
    owner = make_organiser()
    organisation = make_organisation(owner=owner, slug="team", name="Old Name")
    log_in_as(client, owner)
    assert rename(client, "team", "").status_code == 400
    assert rename(client, "team", "New Name").status_code == 303
    db.session.refresh(organisation)
    assert organisation.name == "New Name" and organisation.slug == "team"
    [event] = events("organisation.renamed")
    assert event.detail == {"old_name": "Old Name", "new_name": "New Name"}
    assert event.organisation_id == organisation.id and event.actor_id == owner.id


def test_editors_cannot_rename_or_delete(client):
    organisation = make_organisation(owner=make_organiser(), slug="team", name="Kept")
    editor = make_member(organisation, role=Role.EDITOR)
    log_in_as(client, editor)
    token_page = "/organisations/team"
    response = post_with_csrf(client, "/organisations/team/rename", token_page, {"name": "X"})
    assert response.status_code == 403
    response = post_with_csrf(
        client, "/organisations/team/delete", token_page, {"confirm_slug": "team"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).name == "Kept"


def delete(client, slug, typed):
    page = f"/organisations/{slug}/settings"
    return post_with_csrf(client, f"/organisations/{slug}/delete", page, {"confirm_slug": typed})


def test_delete_needs_the_slug_typed_and_no_campaigns(client):
    owner = make_organiser()
    organisation = make_organisation(owner=owner, slug="team")
    make_member(organisation, role=Role.VIEWER)
    campaign = make_campaign(organisation=organisation)
    log_in_as(client, owner)

    response = delete(client, "team", "TEAM")
    assert response.status_code == 400 and "Type team exactly" in response.get_data(as_text=True)

    response = delete(client, "team", "team")
    assert response.status_code == 409
    assert "still has campaigns" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id) is not None

    db.session.delete(db.session.merge(campaign))
    db.session.commit()
    response = delete(client, "team", "team")
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    db.session.expire_all()
    assert db.session.execute(select(Organisation)).first() is None
    assert db.session.execute(select(Membership)).first() is None
    [event] = events("organisation.deleted")
    assert event.organisation_id == organisation.id and event.actor_id == owner.id
    assert client.get("/organisations/team").status_code == 404
