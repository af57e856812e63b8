"""The Exports page: start, follow and download exports; who may; a recent login to download."""

import csv
import io
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.jobs import run_queued_jobs
from app.exports.models import Export, ExportStatus
from app.extensions import db
from app.organisers.models import OrganiserSession, Role
from tests.factories import (
    ORGANISER_PASSWORD,
    csrf_token,
    log_in_as,
    make_campaign,
    make_member,
    make_organisation,
    make_organiser_with_password,
    make_organiser_with_two_factor,
    make_signature,
)
from tests.html import parse, text


def exports_path(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.id}/exports"


def team(editor_factory=make_organiser_with_password):
    organisation = make_organisation(slug="team")
    owner = make_member(organisation, role=Role.OWNER)
    editor = editor_factory()
    from app.organisers.models import Membership

    db.session.add(Membership(organisation=organisation, organiser=editor, role=Role.EDITOR))
    db.session.commit()
    campaign = make_campaign(slug="clean-air", organisation=organisation)
    return organisation, campaign, owner, editor


def start_csv(client, campaign, **fields):
    data = {
        "csrf_token": csrf_token(client, exports_path(campaign)),
        "kind": "csv",
        "csv-columns": ["number", "name", "email"],
        "csv-states": ["confirmed"],
    }
    data.update(fields)
    return client.post(exports_path(campaign), data=data)


def run_jobs():
    db.session.commit()
    run_queued_jobs()
    db.session.expire_all()


def only_export() -> Export:
    return db.session.execute(select(Export)).scalar_one()


def test_editor_starts_a_csv_export_and_follows_it_without_javascript(client):
    _organisation, campaign, _owner, editor = team()
    make_signature(campaign, state="confirmed", name="Ada")
    log_in_as(client, editor)
    page = client.get(exports_path(campaign))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "No exports yet." in html and 'http-equiv="refresh"' not in html
    assert 'name="csv-columns"' in html and 'name="pdf-language"' in html

    response = start_csv(client, campaign)
    assert response.status_code == 303 and response.headers["Location"].endswith(
        exports_path(campaign)
    )
    export = only_export()
    assert export.status == ExportStatus.QUEUED and export.requested_by_id == editor.id
    html = client.get(exports_path(campaign)).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html
    status_path = f"{exports_path(campaign)}/{export.id}"
    assert 'http-equiv="refresh"' in client.get(status_path).get_data(as_text=True)

    run_jobs()
    html = client.get(exports_path(campaign)).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html
    assert "1 of 1 rows" in html and f"{status_path}/download" in html
    status_page = client.get(status_path).get_data(as_text=True)
    assert "Ready" in status_page and 'http-equiv="refresh"' not in status_page


def test_the_campaign_page_links_to_exports_for_editors_only(client):
    organisation, campaign, _owner, editor = team()
    viewer = make_member(organisation, role=Role.VIEWER)
    log_in_as(client, editor)
    assert exports_path(campaign) in client.get(f"/dashboard/campaigns/{campaign.id}").text
    log_in_as(client, viewer)
    assert exports_path(campaign) not in client.get(f"/dashboard/campaigns/{campaign.id}").text


def test_a_form_with_no_columns_is_shown_again_with_the_problem(client):
    _organisation, campaign, _owner, editor = team()
    log_in_as(client, editor)
    response = start_csv(client, campaign, **{"csv-columns": [], "csv-confirmed_from": "nope"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose at least one column." in html and "Enter a date like 2025-03-31." in html
    assert 'class="error-summary"' in html
    assert db.session.execute(select(Export)).first() is None


@pytest.mark.parametrize("role", ["owner", "editor"])
def test_the_email_column_starts_unticked_and_the_page_says_so(client, role):
    _organisation, campaign, owner, editor = team()
    log_in_as(client, owner if role == "owner" else editor)

    page = parse(client.get(exports_path(campaign)).text)

    email = page.one("input[name=csv-columns][value=email]")
    assert "checked" not in email.attrib
    said = text(page.one("#email-column"))
    assert said.startswith("Email addresses are left out unless you tick “Email address”.")
    # Only an owner's file can carry everyone's address.
    assert ("every signer's address" in said) is (role == "owner")


def test_a_draft_has_no_delivery_pdf_to_offer_or_make(client):
    organisation, _campaign, _owner, editor = team()
    draft = make_campaign(slug="draft", status="draft", organisation=organisation)
    log_in_as(client, editor)

    page = parse(client.get(exports_path(draft)).text)

    assert page.select("input[name=kind][value=pdf], select[name=pdf-language]") == []
    assert text(page.one("#no-delivery-pdf")).startswith("A draft has no delivery document")
    assert page.select("input[name=kind][value=csv]")  # a draft's CSV is still there
    response = client.post(
        exports_path(draft),
        data={
            "csrf_token": csrf_token(client, exports_path(draft)),
            "kind": "pdf",
            "pdf-language": "en",
        },
    )
    assert response.status_code == 409
    summary = parse(response.text).one(".error-summary")
    assert "publish the campaign first" in text(summary)
    assert db.session.execute(select(Export)).first() is None


def test_editor_csv_has_no_emails_without_consent_owner_csv_has_them(client):
    _organisation, campaign, owner, editor = team()
    make_signature(campaign, state="confirmed", email="private@example.org")
    for organiser, expected in ((editor, ""), (owner, "private@example.org")):
        log_in_as(client, organiser)
        start_csv(client, campaign)
        run_jobs()
        export = db.session.execute(select(Export).order_by(Export.id.desc())).scalars().first()
        assert export.options["all_emails"] is (organiser is owner)
        with client.get(f"{exports_path(campaign)}/{export.id}/download") as response:
            (row,) = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert row["email"] == expected


def test_download_is_an_attachment_with_a_safe_name_and_is_audited(client):
    _organisation, campaign, _owner, editor = team()
    make_signature(campaign, state="confirmed", name="Ada")
    log_in_as(client, editor)
    start_csv(client, campaign)
    run_jobs()
    export = only_export()
    response = client.get(f"{exports_path(campaign)}/{export.id}/download")
    body = response.get_data(as_text=True)
    response.close()  # the file stays open for the server until the body is sent
    assert response.status_code == 200
    day = export.finished_at.date().isoformat()
    name = f"clean-air-csv-{day}.csv"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"
    assert "Ada" in body
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.organisation_id)
        .where(AuditEvent.subject_type == "export")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        ("export.requested", editor.id, campaign.organisation_id),
        ("export.downloaded", editor.id, campaign.organisation_id),
    ]


def _age_login(session_id, minutes):
    row = db.session.get(OrganiserSession, session_id)
    row.authenticated_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def test_an_old_login_must_enter_the_password_again_to_download(client):
    _organisation, campaign, _owner, editor = team()
    make_signature(campaign, state="confirmed")
    session_id = log_in_as(client, editor)
    start_csv(client, campaign)
    run_jobs()
    download = f"{exports_path(campaign)}/{only_export().id}/download"
    _age_login(session_id, 16)
    response = client.get(download)
    assert response.status_code == 303
    assert re.search(r"/reauthenticate\?next=.*download", response.headers["Location"])
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    assert 'name="code"' not in page.text
    token = csrf_token(client, response.headers["Location"])
    wrong = client.post(
        response.headers["Location"], data={"csrf_token": token, "password": "wrong password"}
    )
    assert wrong.status_code == 400 and "not right" in wrong.text
    assert client.get(download).status_code == 303
    right = client.post(
        response.headers["Location"], data={"csrf_token": token, "password": ORGANISER_PASSWORD}
    )
    assert right.status_code == 303
    with client.get(download) as response:
        assert response.status_code == 200


def test_after_the_password_the_exports_page_starts_the_download(client):
    _organisation, campaign, _owner, editor = team()
    make_signature(campaign, state="confirmed")
    session_id = log_in_as(client, editor)
    start_csv(client, campaign)
    run_jobs()
    export = only_export()
    download = f"{exports_path(campaign)}/{export.id}/download"
    back = f"{exports_path(campaign)}?download={export.id}"
    _age_login(session_id, 16)
    prompt = client.get(download).headers["Location"]
    token = csrf_token(client, prompt)

    wrong = client.post(prompt, data={"csrf_token": token, "password": "wrong password"})
    # What was typed is never put back into the page.
    assert wrong.status_code == 400
    assert parse(wrong.text).one("input#password").get("value", "") == ""
    assert "wrong password" not in wrong.text
    # Back on the exports page, without a download to start: the login is still old.
    assert parse(client.get(back).text).select("#download-started, meta[content^='0;']") == []

    right = client.post(prompt, data={"csrf_token": token, "password": ORGANISER_PASSWORD})

    assert right.status_code == 303 and right.headers["Location"] == back
    page = parse(client.get(back).text)
    assert page.one("meta[http-equiv=refresh]").get("content") == f"0; url={download}"
    started = page.one("#download-started[role=status]")
    assert text(started).startswith(f"Your download of CSV {export.id} has started.")
    assert started.find(".//{*}a").get("href") == download
    assert page.select("input[type=password]") == []


def test_with_two_step_login_the_code_is_asked_again_too(client):
    _organisation, campaign, _owner, editor = team(make_organiser_with_two_factor)
    session_id = log_in_as(client, editor)
    _age_login(session_id, 60)
    path = "/reauthenticate?next=/dashboard"
    assert 'name="code"' in client.get(path).text
    token = csrf_token(client, path)
    no_code = client.post(path, data={"csrf_token": token, "password": ORGANISER_PASSWORD})
    assert no_code.status_code == 400
    code = pyotp.TOTP(editor.totp_secret).now()
    data = {"csrf_token": token, "password": ORGANISER_PASSWORD, "code": code}
    response = client.post(path, data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    db.session.expire_all()
    assert utcnow() - db.session.get(OrganiserSession, session_id).authenticated_at < timedelta(
        seconds=30
    )


def test_reauthenticate_never_sends_elsewhere(client):
    _organisation, _campaign, _owner, editor = team()
    log_in_as(client, editor)
    path = "/reauthenticate?next=//evil.example/x"
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "password": ORGANISER_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"


def test_viewers_get_403_and_other_organisations_404(client):
    organisation, campaign, _owner, editor = team()
    make_signature(campaign, state="confirmed")
    log_in_as(client, editor)
    start_csv(client, campaign)
    run_jobs()
    export = only_export()
    paths = [
        exports_path(campaign),
        f"{exports_path(campaign)}/{export.id}",
        f"{exports_path(campaign)}/{export.id}/download",
    ]
    viewer = make_member(organisation, role=Role.VIEWER)
    log_in_as(client, viewer)
    assert [client.get(path).status_code for path in paths] == [403, 403, 403]
    other = make_organisation(slug="other")
    outsider = make_member(other, role=Role.OWNER)
    log_in_as(client, outsider)
    assert [client.get(path).status_code for path in paths] == [404, 404, 404]
    # Case 34: B's own campaign with A's export id is a 404 too, never A's file.
    their_campaign = make_campaign(organisation=other)
    for suffix in (f"/{export.id}", f"/{export.id}/download"):
        assert client.get(exports_path(their_campaign) + suffix).status_code == 404


@pytest.mark.parametrize(
    "extra_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_EXPORT": "2 per hour"}]
)
def test_starting_exports_is_rate_limited_per_organiser(client):
    _organisation, campaign, _owner, editor = team()
    log_in_as(client, editor)
    assert [start_csv(client, campaign).status_code for _ in range(3)] == [303, 303, 429]


def test_a_running_export_shows_rows_done_of_total(client):
    _organisation, campaign, _owner, editor = team()
    export = Export(campaign_id=campaign.id, kind="csv", requested_by_id=editor.id)
    export.status, export.rows_done, export.rows_total = ExportStatus.RUNNING, 5000, 12000
    db.session.add(export)
    db.session.commit()
    log_in_as(client, editor)
    for path in (exports_path(campaign), f"{exports_path(campaign)}/{export.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "Running: 5,000 of 12,000 rows" in html
        assert '<meta http-equiv="refresh" content="3">' in html
    # Not finished: no file to download yet.
    response = client.get(f"{exports_path(campaign)}/{export.id}/download")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/exports/{export.id}"
    )
