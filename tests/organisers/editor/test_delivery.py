"""Recording the delivery: the public page says to whom and when, and the log keeps it."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.jobs import run_queued_jobs
from app.core.outbox import send_due_emails
from app.extensions import db
from app.organisers.models import Role
from app.signatures.models import CONFIRMED
from tests.factories import (
    csrf_token,
    log_in_as,
    make_campaign,
    make_member,
    make_organisation,
    make_signature,
)
from tests.html import parse, text


def record(client, campaign, **fields):
    path = f"/dashboard/campaigns/{campaign.id}/delivery"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **fields})


@pytest.fixture
def config_overrides(tmp_path):
    return {"JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3")}


def test_an_editor_records_the_delivery_and_the_public_page_shows_it(app, client):
    organisation = make_organisation(slug="team")
    campaign = make_campaign(slug="c", organisation=organisation)
    log_in_as(client, make_member(organisation, role=Role.EDITOR))
    assert "Delivered to" not in client.get("/c/c").get_data(as_text=True)

    response = record(
        client,
        campaign,
        delivered_on="2026-11-20",
        delivered_to="Riverside City Council <script>alert(1)</script>",
        note="Handed to the clerk with 1,204 signatures.",
    )
    assert response.status_code == 303
    page = app.test_client().get("/c/c").get_data(as_text=True)
    assert "Delivered to Riverside City Council" in page and "November 20, 2026" in page
    assert "Handed to the clerk with 1,204 signatures." in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "campaign.delivered")
    ).scalars()
    assert event.organisation_id == organisation.id and event.detail["delivered_on"] == "2026-11-20"
    # The form shows what was recorded, to correct it.
    again = client.get(f"/dashboard/campaigns/{campaign.id}/delivery").get_data(as_text=True)
    assert 'value="2026-11-20"' in again


def test_bad_delivery_input_is_refused_next_to_each_field(client):
    organisation = make_organisation(slug="team")
    campaign = make_campaign(slug="c", organisation=organisation)
    log_in_as(client, make_member(organisation, role=Role.EDITOR))
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for fields, error_id in (
        ({"delivered_on": "", "delivered_to": "Council"}, "delivered_on-error"),
        ({"delivered_on": "30/06/2027", "delivered_to": "Council"}, "delivered_on-error"),
        ({"delivered_on": tomorrow, "delivered_to": "Council"}, "delivered_on-error"),
        ({"delivered_on": "2026-11-20", "delivered_to": ""}, "delivered_to-error"),
        ({"delivered_on": "2026-11-20", "delivered_to": "x" * 301}, "delivered_to-error"),
    ):
        response = record(client, campaign, **fields)
        assert response.status_code == 400, fields
        assert f'id="{error_id}"' in response.get_data(as_text=True), fields
    db.session.expire_all()
    assert campaign.delivered_on is None


def test_telling_signers_runs_as_a_background_job(app, client, smtp, tmp_path):
    organisation = make_organisation(slug="team")
    campaign = make_campaign(slug="c", organisation=organisation)
    for n in range(3):
        signature = make_signature(campaign, state=CONFIRMED, email=f"s{n}@example.org")
        signature.contact_consent = n != 2
    db.session.commit()
    log_in_as(client, make_member(organisation, role=Role.EDITOR))
    response = record(
        client, campaign, delivered_on="2026-11-20", delivered_to="Council", tell_signers="y"
    )
    assert response.status_code == 303
    db.session.commit()  # end the test's read transaction: SQLite lets one writer in
    assert run_queued_jobs() >= 1  # the job queued by the request, as a worker runs it
    send_due_emails()
    assert sorted(m["To"] for m in smtp.messages) == ["s0@example.org", "s1@example.org"]


def test_a_draft_cannot_be_delivered_nor_offers_to_record_it(client):
    organisation = make_organisation(slug="team")
    draft = make_campaign(slug="c", status="draft", organisation=organisation)
    log_in_as(client, make_member(organisation, role=Role.EDITOR))
    delivery = f"/dashboard/campaigns/{draft.id}/delivery"

    settings = parse(client.get(f"/dashboard/campaigns/{draft.id}/edit").text)

    assert settings.select(f'a[href="{delivery}"]') == []
    page = parse(client.get(delivery).text)
    assert page.select("form[action$='/delivery']") == []
    assert "publish the campaign first" in text(page.one(".error-summary"))
    response = client.post(
        delivery,
        data={
            "csrf_token": csrf_token(client, f"/dashboard/campaigns/{draft.id}/edit"),
            "delivered_on": "2026-11-20",
            "delivered_to": "Riverside City Council",
        },
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(type(draft), draft.id).delivered_on is None
    assert (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "campaign.delivered")
        ).first()
        is None
    )
