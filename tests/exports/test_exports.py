"""CSV exports as background jobs: the file, its options, progress, retries and cleanup."""

import csv
import hashlib
import importlib
import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.jobs import huey, run_queued_jobs
from app.exports import jobs as export_jobs
from app.exports import services
from app.exports.csv import unescape_cell
from app.exports.csv_export import COLUMNS, CsvOptions
from app.exports.models import Export, ExportStatus
from app.extensions import db
from app.organisers.models import Role
from app.signatures.models import CONFIRMED, HELD, INVALIDATED, PENDING
from tests.factories import make_campaign, make_member, make_organisation, make_signature

ALL_COLUMNS = CsvOptions(columns=COLUMNS, states=(CONFIRMED,)).to_json()


def team():
    organisation = make_organisation(slug="team")
    owner = make_member(organisation, role=Role.OWNER)
    editor = make_member(organisation, role=Role.EDITOR)
    campaign = make_campaign(organisation=organisation)
    return campaign, owner, editor


def signed(campaign, state=CONFIRMED, consent=False, confirmed_days_ago=None, **kwargs):
    signature = make_signature(campaign, state=state, **kwargs)
    signature.contact_consent = consent
    if confirmed_days_ago is not None:
        signature.confirmed_at = utcnow() - timedelta(days=confirmed_days_ago)
    db.session.commit()
    return signature


def export_now(campaign, organiser, options, kind="csv") -> Export:
    """Request an export and let the queue run it, as a worker would."""
    export = export_jobs.start_export(campaign, organiser, kind, options)
    assert huey.pending_count() >= 1
    run_jobs()
    db.session.expire_all()
    return db.session.get(Export, export.id)


def run_jobs():
    # The test's own transaction would hold SQLite's write lock the job needs.
    db.session.commit()
    run_queued_jobs()


def rows_of(export) -> list[dict]:
    path = services.export_file(export)
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_a_csv_export_runs_as_a_job_and_its_file_is_whole(app):
    campaign, owner, _editor = team()
    for number in range(3):
        signed(campaign, name=f"Signer {number}")
    export = export_now(campaign, owner, ALL_COLUMNS)
    assert export.status == ExportStatus.DONE and export.attempts == 1
    path = services.export_file(export)
    data = path.read_bytes()
    assert export.file_size == len(data)
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.rows_total == export.rows_done == 3
    assert export.finished_at and export.expires_at > export.finished_at
    assert Path(app.config["EXPORTS_PATH"]) == path.parent
    rows = rows_of(export)
    assert [row["name"] for row in rows] == ["Signer 0", "Signer 1", "Signer 2"]
    assert [row["number"] for row in rows] == ["1", "2", "3"]
    assert list(rows[0]) == list(COLUMNS)
    assert not data.startswith(b"\xef\xbb\xbf")
    # Nothing temporary is left beside it.
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_formula_cells_are_neutralised_and_round_trip(app):
    campaign, owner, _editor = team()
    hostile = '=HYPERLINK("http://evil.example","click")'
    signed(campaign, name=hostile, postcode="+44 1")
    export = export_now(campaign, owner, ALL_COLUMNS | {"bom": True})
    assert services.export_file(export).read_bytes().startswith(b"\xef\xbb\xbf")
    (row,) = rows_of(export)
    assert row["name"] == "'" + hostile and unescape_cell(row["name"]) == hostile
    assert row["postcode"] == "'+44 1"


def test_editors_get_only_consented_emails_owners_get_all(app):
    campaign, owner, editor = team()
    signed(campaign, email="yes@example.org", consent=True)
    signed(campaign, email="no@example.org", consent=False)
    for organiser, role, expected in (
        (editor, Role.EDITOR, ["yes@example.org", ""]),
        (owner, Role.OWNER, ["yes@example.org", "no@example.org"]),
    ):
        options = CsvOptions(columns=COLUMNS, all_emails=role == Role.OWNER).to_json()
        export = export_now(campaign, organiser, options)
        rows = rows_of(export)
        assert [row["email"] for row in rows] == expected
        assert [row["contact_consent"] for row in rows] == ["yes", "no"]


def test_attribution_and_the_allys_question_are_columns_of_their_own(app):
    campaign, owner, _editor = team()
    said_yes = signed(campaign, name="Yes", source="embed", referrer="riverside")
    said_yes.ally_contact_consent = True
    said_no = signed(campaign, name="No", source="embed", referrer="riverside", consent=True)
    said_no.ally_contact_consent = False
    signed(campaign, name="Unasked", source="whatsapp")
    options = CsvOptions(
        columns=("name", "contact_consent", "source", "referrer", "ally_contact_consent")
    ).to_json()

    rows = rows_of(export_now(campaign, owner, options))

    assert [list(row.values()) for row in rows] == [
        ["Yes", "no", "embed", "riverside", "yes"],
        ["No", "yes", "embed", "riverside", "no"],
        ["Unasked", "no", "whatsapp", "", ""],
    ]


def test_states_and_confirmed_dates_filter_the_rows(app):
    campaign, owner, _editor = team()
    signed(campaign, name="Old", confirmed_days_ago=10)
    signed(campaign, name="Recent", confirmed_days_ago=1)
    signed(campaign, state=PENDING, name="Pending")
    signed(campaign, state=HELD, name="Held")
    signed(campaign, state=INVALIDATED, name="Gone")
    other = make_campaign()
    signed(other, name="Elsewhere")

    def names(**choices):
        options = CsvOptions(columns=("name", "state"), **choices).to_json()
        return [row["name"] for row in rows_of(export_now(campaign, owner, options))]

    assert names() == ["Old", "Recent"]
    assert names(states=(PENDING, HELD)) == ["Pending", "Held"]
    assert names(states=(CONFIRMED, INVALIDATED)) == ["Old", "Recent", "Gone"]
    today = utcnow().date()
    assert names(confirmed_from=today - timedelta(days=3)) == ["Recent"]
    assert names(confirmed_to=today - timedelta(days=5)) == ["Old"]


def test_a_killed_worker_leaves_a_job_that_is_retried(app):
    campaign, owner, _editor = team()
    signed(campaign, name="Kept")
    export = services.request_export(campaign, owner, "csv", ALL_COLUMNS)
    huey.flush()  # the worker took the job off the queue, then died mid-file:
    export.status = ExportStatus.RUNNING
    export.attempts = 1
    export.started_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    folder = Path(app.config["EXPORTS_PATH"])
    folder.mkdir(parents=True, exist_ok=True)
    leftover = folder / f".{export.id}-dead{services.TEMPORARY_SUFFIX}"
    leftover.write_text("number,name\r\n1,Ha")
    # A half file is never presented as done.
    assert services.export_file(export) is None
    assert services.exports_of(campaign)[0][0].file_name is None

    # The periodic job notices, requeues, and the next run finishes it.
    db.session.commit()
    export_jobs.requeue_stalled_exports_job.call_local()
    assert not leftover.exists()
    db.session.expire_all()
    assert db.session.get(Export, export.id).status == ExportStatus.QUEUED
    run_jobs()
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    assert export.status == ExportStatus.DONE and export.attempts == 2
    assert [row["name"] for row in rows_of(export)] == ["Kept"]


def test_an_export_that_keeps_dying_fails_with_a_message(app):
    campaign, owner, _editor = team()
    export = services.request_export(campaign, owner, "csv", ALL_COLUMNS)
    huey.flush()
    export.status = ExportStatus.RUNNING
    export.attempts = app.config["EXPORT_MAX_ATTEMPTS"]
    export.started_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert services.requeue_stalled_exports() == []
    assert huey.pending_count() == 0
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    assert export.status == ExportStatus.FAILED and "3 times" in export.error


def test_a_running_export_within_its_lease_is_left_alone(app):
    campaign, owner, _editor = team()
    export = services.request_export(campaign, owner, "csv", ALL_COLUMNS)
    huey.flush()
    export.status, export.attempts, export.started_at = ExportStatus.RUNNING, 1, utcnow()
    db.session.commit()
    assert services.requeue_stalled_exports() == []
    # A second copy of the job does not run it twice.
    assert services.run_export(export.id) is None


def test_old_files_are_removed_and_the_row_kept_as_expired(app):
    campaign, owner, _editor = team()
    signed(campaign)
    export = export_now(campaign, owner, ALL_COLUMNS)
    path = services.export_file(export)
    fresh = export_now(campaign, owner, ALL_COLUMNS)
    export.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    db.session.commit()
    export_jobs.remove_old_exports_job.call_local()
    db.session.expire_all()
    export = db.session.get(Export, export.id)
    assert export.status == ExportStatus.EXPIRED and not path.exists()
    assert export.sha256 and services.export_file(export) is None
    assert services.export_file(db.session.get(Export, fresh.id)) is not None


def test_a_pdf_export_without_the_renderer_fails_cleanly_or_runs(app):
    campaign, owner, _editor = team()
    signed(campaign)
    export = export_now(campaign, owner, {"language": "en", "names_only": False}, kind="pdf")
    assert len(export.verification_code) == services.CODE_LENGTH
    try:
        importlib.import_module("app.exports.delivery")
    except ModuleNotFoundError:
        assert export.status == ExportStatus.FAILED
        assert "not available" in export.error
        assert not any(Path(app.config["EXPORTS_PATH"]).iterdir())
    else:
        assert export.status == ExportStatus.DONE


def test_requests_are_audited(app):
    campaign, owner, _editor = team()
    export = services.request_export(campaign, owner, "csv", ALL_COLUMNS)
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "export.requested")
    ).scalar_one()
    assert (event.subject_id, event.actor_id) == (export.id, owner.id)
    assert event.organisation_id == campaign.organisation_id and event.detail["kind"] == "csv"
