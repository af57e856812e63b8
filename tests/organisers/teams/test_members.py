"""Members' roles: owners change and remove them, an organisation always keeps an owner."""

import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.core.audit import AuditEvent, record_event
from app.extensions import db
from app.organisers.models import Membership, Organiser, Role
from app.organisers.teams.audit_log import organisation_audit_page
from app.organisers.teams.errors import LastOwner
from app.organisers.teams.membership import change_member_role, remove_member
from tests.factories import (
    log_in_as,
    log_in_with_form,
    make_campaign,
    make_member,
    make_organisation,
    make_organiser,
    make_organiser_with_password,
    post_with_csrf,
)
from tests.html import parse
from tests.parallel import run_in_parallel

MEMBERS = "/organisations/team/members"


@pytest.fixture
def team(app):
    owner = make_organiser(email="owner@example.org")
    organisation = make_organisation(owner=owner, slug="team", name="The Team")
    return organisation, owner


def membership(organisation, organiser) -> Membership | None:
    db.session.expire_all()
    return db.session.execute(
        select(Membership).where(
            Membership.organisation_id == organisation.id,
            Membership.organiser_id == organiser.id,
        )
    ).scalar_one_or_none()


def change_role(client, member_row, role):
    return post_with_csrf(
        client, f"{MEMBERS}/{member_row.id}/role", "/organisations/new", {"role": role}
    )


def remove(client, member_row):
    return post_with_csrf(client, f"{MEMBERS}/{member_row.id}/remove", "/organisations/new")


def test_owner_changes_a_role_and_the_audit_log_says_who(client, team):
    organisation, owner = team
    editor = make_member(organisation, role=Role.EDITOR, email="ed@example.org")
    log_in_as(client, owner)
    page = client.get(MEMBERS)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "ed@example.org" in page.get_data(as_text=True)
    response = change_role(client, membership(organisation, editor), "owner")
    assert response.status_code == 303
    assert membership(organisation, editor).role == Role.OWNER
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "member.role_changed")
    ).scalars()
    assert event.detail == {"email": "ed@example.org", "old_role": "editor", "new_role": "owner"}
    assert event.actor_id == owner.id and event.organisation_id == organisation.id

    log = client.get("/organisations/team/audit")
    assert log.status_code == 200 and log.headers["Cache-Control"] == "no-store"
    html = log.get_data(as_text=True)
    row = html[html.index("Role changed") - 400 : html.index("Role changed") + 200]
    row = re.sub(r"<[^>]+>", "", row)  # the text, without the addresses' isolates
    assert "owner@example.org" in row and "ed@example.org: from Editor to Owner" in row


def test_a_bad_role_is_refused(client, team):
    organisation, owner = team
    editor = make_member(organisation, role=Role.EDITOR)
    log_in_as(client, owner)
    response = change_role(client, membership(organisation, editor), "admin")
    assert response.status_code == 400 and "Choose a role from the list." in response.get_data(
        as_text=True
    )
    assert membership(organisation, editor).role == Role.EDITOR


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_viewers_and_editors_cannot_change_roles_or_remove(client, team, role):
    organisation, owner = team
    member = make_member(organisation, role=role)
    log_in_as(client, member)
    owner_row = membership(organisation, owner)
    assert change_role(client, owner_row, "viewer").status_code == 403
    assert change_role(client, membership(organisation, member), "owner").status_code == 403
    assert remove(client, owner_row).status_code == 403
    assert membership(organisation, owner).role == Role.OWNER
    assert membership(organisation, member).role == role


def test_the_last_owner_can_be_neither_demoted_nor_removed(client, team):
    organisation, owner = team
    make_member(organisation, role=Role.EDITOR)
    log_in_as(client, owner)
    own = membership(organisation, owner)
    for response in (change_role(client, own, "editor"), remove(client, own)):
        assert response.status_code == 409
        assert "An organisation needs at least one owner." in response.get_data(as_text=True)
    assert membership(organisation, owner).role == Role.OWNER
    with pytest.raises(LastOwner):
        change_member_role(organisation, owner, own.id, Role.VIEWER)
    with pytest.raises(LastOwner):
        remove_member(organisation, owner, own.id)


def test_with_another_owner_an_owner_may_step_down_or_leave(client, team):
    organisation, owner = team
    second = make_member(organisation, role=Role.OWNER)
    log_in_as(client, owner)
    response = change_role(client, membership(organisation, owner), "viewer")
    # No longer an owner: back to the organisation's page, not the members page.
    assert response.status_code == 303 and response.headers["Location"] == "/organisations/team"
    assert membership(organisation, owner).role == Role.VIEWER
    assert client.get(MEMBERS).status_code == 403
    # Now the other one is the last owner.
    with pytest.raises(LastOwner):
        remove_member(organisation, second, membership(organisation, second).id)
    change_member_role(organisation, second, membership(organisation, owner).id, Role.OWNER)
    response = remove(client, membership(organisation, owner))
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    assert membership(organisation, owner) is None
    assert client.get("/organisations/team").status_code == 404


def test_owner_removes_a_member_who_then_loses_access(app, client, team):
    organisation, owner = team
    editor = make_member(organisation, role=Role.EDITOR, email="gone@example.org")
    editor_browser = app.test_client()
    log_in_as(editor_browser, editor)
    assert editor_browser.get("/organisations/team").status_code == 200
    log_in_as(client, owner)
    assert remove(client, membership(organisation, editor)).status_code == 303
    assert membership(organisation, editor) is None
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "member.removed")
    ).scalars()
    assert event.detail == {"email": "gone@example.org", "role": "editor"}
    assert editor_browser.get("/organisations/team").status_code == 404


def test_memberships_of_another_organisation_cannot_be_touched(client, team):
    organisation, owner = team
    elsewhere = make_organisation(owner=make_organiser(), slug="elsewhere")
    stranger = make_member(elsewhere, role=Role.EDITOR)
    log_in_as(client, owner)
    row = membership(elsewhere, stranger)
    assert change_role(client, row, "viewer").status_code == 409
    assert remove(client, row).status_code == 409
    assert membership(elsewhere, stranger).role == Role.EDITOR


def test_the_audit_log_pages_by_fifty_newest_first(client, team):
    organisation, owner = team
    gone = make_organiser(email="gone@example.org")
    for number in range(60):
        record_event(
            "campaign.edited",
            "campaign",
            number,
            actor_id=owner.id,
            organisation_id=organisation.id,
            number=number,
        )
    record_event(
        "campaign.published", "campaign", 1, actor_id=gone.id, organisation_id=organisation.id
    )
    record_event("organisation.secret", "organisation", 2, organisation_id=organisation.id + 1)
    record_event("some.new_action", "campaign", 3, organisation_id=organisation.id, colour="red")
    db.session.commit()
    db.session.delete(db.session.get(Organiser, gone.id))
    db.session.commit()
    log_in_as(client, owner)

    first = client.get("/organisations/team/audit").get_data(as_text=True)
    assert first.count("<tr>") == 1 + 50
    # Newest first; an unknown action shows its name, a deleted actor is named as such.
    assert first.index("some.new_action") < first.index("Campaign published")
    assert "colour: red" in first and "deleted account" in first
    assert "organisation.secret" not in first
    older = first.split('href="/organisations/team/audit?before=')[1].split('"')[0]
    second = client.get(f"/organisations/team/audit?before={older}").get_data(as_text=True)
    assert second.count("<tr>") == 1 + 12
    assert "number: 0" in second and "number: 59" not in second
    assert "Older events" not in second and "Newest events" in second
    assert client.get("/organisations/team/audit?before=junk").status_code == 200


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_audit_log_names_campaigns_by_their_titles(client, team, language):
    organisation, owner = team
    ours = make_campaign(organisation=organisation, languages=("en", "ar"))
    english_only = make_campaign(organisation=organisation, languages=("en",))
    theirs = make_campaign(organisation=make_organisation(slug="other"))
    about = {"actor_id": owner.id, "organisation_id": organisation.id}
    record_event("campaign.published", "campaign", ours.id, **about)
    record_event("export.requested", "export", 7, kind="csv", campaign_id=ours.id, **about)
    record_event(
        "signature.name_hidden",
        "signature",
        9,
        campaign_id=english_only.id,
        previous="held",
        **about,
    )
    record_event("campaign.edited", "campaign", theirs.id, language="en", **about)
    db.session.commit()
    log_in_as(client, owner)

    page = parse(client.get(f"/organisations/team/audit?lang={language}").text)

    with force_locale(language):
        expected = [
            gettext("A campaign that is no longer in this organisation") + "; language: en",
            gettext("Campaign “%(title)s”", title="Test campaign (en)") + "; previous: held",
            gettext("Campaign “%(title)s”", title=f"Test campaign ({language})") + "; kind: csv",
            gettext("Campaign “%(title)s”", title=f"Test campaign ({language})"),
        ]
    assert [row[3] for row in page.table_rows("table")] == expected
    assert "campaign_id" not in "".join(page.one("table").itertext())


def test_the_audit_log_service_pages_on_ids(app, team):
    organisation, owner = team
    events = [record_event("x.y", "thing", n, organisation_id=organisation.id) for n in range(4)]
    db.session.commit()
    # The creation of the organisation is not logged by the factory: these four are all.
    ids = sorted((event.id for event in events), reverse=True)
    page = organisation_audit_page(organisation, None, 2)
    assert [line.event.id for line in page.lines] == ids[:2]
    page = organisation_audit_page(organisation, page.next_before_id, 2)
    assert [line.event.id for line in page.lines] == ids[2:] and page.next_before_id is None


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app, team):
    """The membership changes of one organisation take turns (row lock / SQLite's writer)."""
    organisation, owner = team
    second = make_member(organisation, role=Role.OWNER)
    pairs = [(owner.id, membership(organisation, second).id)]
    pairs.append((second.id, membership(organisation, owner).id))
    organisation_id = organisation.id

    def demote(actor_id, membership_id):
        def work():
            with app.app_context():
                try:
                    change_member_role(
                        db.session.get(type(organisation), organisation_id),
                        db.session.get(Organiser, actor_id),
                        membership_id,
                        Role.EDITOR,
                    )
                finally:
                    db.session.remove()

        return work

    works = [demote(*pair) for pair in pairs]
    errors = run_in_parallel(2, lambda: works.pop()())
    assert len(errors) == 1 and isinstance(errors[0], LastOwner)
    db.session.expire_all()
    roles = db.session.execute(
        select(Membership.role).where(Membership.organisation_id == organisation_id)
    ).scalars()
    assert sorted(roles) == ["editor", "owner"]


def test_members_logins_appear_in_each_of_their_organisations_logs(app, client, team):
    organisation, owner = team
    other = make_organisation(slug="other-team")
    editor = make_organiser_with_password(email="ed@example.org")
    db.session.add(Membership(organisation=organisation, organiser=editor, role=Role.EDITOR))
    db.session.add(Membership(organisation=other, organiser=editor, role=Role.VIEWER))
    db.session.commit()
    log_in_with_form(app.test_client(), "ed@example.org")

    log_in_as(client, owner)
    log = client.get("/organisations/team/audit").get_data(as_text=True)
    assert "Logged in" in log and "ed@example.org" in log
    logins = db.session.execute(
        select(AuditEvent.organisation_id).where(AuditEvent.action == "organiser.login")
    ).scalars()
    assert sorted(logins) == sorted([organisation.id, other.id])
