"""Exports: request, run (in a worker), requeue the stalled, remove the old; re-check a login.

A file is written under a temporary name, synced to disk, hashed, then renamed; the row is
marked DONE only afterwards, in one transaction that also checks the run still owns the
export. A worker killed at any point leaves a RUNNING row (requeued after
EXPORT_LEASE_SECONDS) and at most a temporary file, never a listed half file.
"""

import hashlib
import importlib
import logging
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.campaigns.models import DRAFT, Campaign
from app.core.audit import record_event
from app.core.database import utcnow
from app.exports.csv_export import CsvOptions, count_rows, write_signatures_csv
from app.exports.models import Export, ExportKind, ExportStatus
from app.extensions import db
from app.organisers.accounts import services as account_services
from app.organisers.accounts.passwords import verify_password
from app.organisers.models import Organiser, OrganiserSession

log = logging.getLogger("rally.exports")

# Verification codes people may type from paper: no 0/o, 1/l/i.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 10
TEMPORARY_SUFFIX = ".part"
PROGRESS_INTERVAL = timedelta(seconds=1)


class ExportFailed(Exception):
    """The export cannot be made; the message is shown to the organiser."""


class ExportRefused(Exception):
    """The export may not be started; the message says why, to the organiser."""


def pdf_refusal(campaign: Campaign) -> str | None:
    """Why no delivery PDF of the campaign may be made now, or None when one may."""
    # The delivery document certifies a petition people could sign: a draft has none.
    if campaign.status == DRAFT:
        return _(
            "A draft has no delivery document: publish the campaign first, and export the "
            "PDF once people have signed it."
        )
    return None


def exports_path() -> Path:
    """The folder finished files are kept in (EXPORTS_PATH)."""
    path = Path(current_app.config["EXPORTS_PATH"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_verification_code() -> str:
    """A short random code for /v/<code>, not used by any other export."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = db.session.execute(
            select(Export.id).where(Export.verification_code == code)
        ).first()
        if not taken:
            return code


def request_export(campaign: Campaign, organiser: Organiser, kind: str, options: dict) -> Export:
    """Record and audit an export request (app.exports.jobs.start_export also queues it).

    ExportRefused for a delivery PDF of a draft.
    """
    refusal = pdf_refusal(campaign) if kind == ExportKind.PDF else None
    if refusal:
        raise ExportRefused(refusal)
    export = Export(
        campaign_id=campaign.id,
        kind=ExportKind(kind),
        status=ExportStatus.QUEUED,
        requested_by_id=organiser.id,
        options=options,
        verification_code=new_verification_code() if kind == ExportKind.PDF else None,
    )
    db.session.add(export)
    db.session.flush()
    record_event(
        "export.requested",
        "export",
        export.id,
        actor_id=organiser.id,
        organisation_id=campaign.organisation_id,
        kind=str(kind),
        campaign_id=campaign.id,
    )
    db.session.commit()
    return export


def exports_of(campaign: Campaign, limit: int = 50) -> list[tuple[Export, str | None]]:
    """The campaign's exports, newest first, with the address of who asked for each."""
    rows = db.session.execute(
        select(Export, Organiser.email)
        .outerjoin(Organiser, Organiser.id == Export.requested_by_id)
        .where(Export.campaign_id == campaign.id)
        .order_by(Export.id.desc())
        .limit(limit)
    )
    return [(export, email) for export, email in rows]


def export_of_campaign(campaign: Campaign, export_id: int) -> Export | None:
    """The export with this id if it belongs to `campaign` (else None: another's is a 404)."""
    export = db.session.get(Export, export_id)
    return export if export is not None and export.campaign_id == campaign.id else None


def _remove_temporary_files(export_id: int) -> None:
    for leftover in exports_path().glob(f".{export_id}-*{TEMPORARY_SUFFIX}"):
        leftover.unlink(missing_ok=True)


def _claim(export_id: int, now: datetime) -> bool:
    """QUEUED → RUNNING for this run only (another worker with the same job gets False)."""
    claimed = db.session.execute(
        update(Export)
        .where(Export.id == export_id, Export.status == ExportStatus.QUEUED)
        .values(
            status=ExportStatus.RUNNING,
            started_at=now,
            attempts=Export.attempts + 1,
            rows_done=0,
            error=None,
        )
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _fail(export_id: int, attempt: int, message: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            Export.status == ExportStatus.RUNNING,
            Export.attempts == attempt,
        )
        .values(status=ExportStatus.FAILED, error=message, finished_at=utcnow())
    )
    db.session.commit()


def requester_language(export: Export) -> str:
    """The language of whoever asked for the export: its messages are written in it."""
    organiser = (
        db.session.get(Organiser, export.requested_by_id) if export.requested_by_id else None
    )
    return (organiser.language if organiser is not None else None) or "en"


def run_export(export_id: int) -> str | None:
    """Make the export's file (the worker's job); returns the status it ended in."""
    if not _claim(export_id, utcnow()):
        return None
    export = db.session.get(Export, export_id)
    with force_locale(requester_language(export)):
        return _make_file(export)


def _make_file(export: Export) -> str:
    export_id = export.id
    attempt = export.attempts
    _remove_temporary_files(export_id)
    temporary = exports_path() / f".{export_id}-{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
    last_progress = {"at": utcnow() - PROGRESS_INTERVAL}

    def on_progress(rows_done: int, rows_total: int) -> None:
        now = utcnow()
        if now - last_progress["at"] < PROGRESS_INTERVAL and rows_done < rows_total:
            return
        last_progress["at"] = now
        db.session.execute(
            update(Export)
            .where(Export.id == export_id, Export.attempts == attempt)
            .values(rows_done=rows_done, rows_total=rows_total)
        )
        db.session.commit()

    try:
        if export.kind == ExportKind.CSV:
            _write_csv(export, temporary, on_progress)
        elif export.kind == ExportKind.PDF:
            _write_pdf(export, temporary, on_progress)
        else:
            raise ExportFailed(_("This kind of export is not known."))
        sha256, size = _sync_and_hash(temporary)
    except ExportFailed as problem:
        temporary.unlink(missing_ok=True)
        _fail(export_id, attempt, str(problem))
        return ExportStatus.FAILED
    except Exception:
        log.exception("export %s failed", export_id)
        temporary.unlink(missing_ok=True)
        _fail(export_id, attempt, _("The export failed unexpectedly. Please start it again."))
        return ExportStatus.FAILED
    return _publish(export_id, attempt, temporary, sha256, size)


def _write_csv(export: Export, path: Path, on_progress) -> None:
    options = CsvOptions.from_json(export.options or {})
    total = count_rows(export.campaign_id, options)
    on_progress(0, total)
    with open(path, "w", encoding="utf-8", newline="") as stream:
        write_signatures_csv(stream, export.campaign_id, options, on_progress, total)


def _write_pdf(export: Export, path: Path, on_progress) -> None:
    try:
        # Imported when needed: the renderer (WeasyPrint) stays out of web processes.
        delivery = importlib.import_module("app.exports.delivery")
    except ModuleNotFoundError as missing:
        if missing.name != "app.exports.delivery":
            raise
        raise ExportFailed(_("PDF exports are not available on this site yet.")) from None
    try:
        delivery.write_delivery_pdf(export, path, on_progress)
    except delivery.DeliveryFailed as problem:
        raise ExportFailed(str(problem)) from problem


def _sync_and_hash(path: Path) -> tuple[str, int]:
    """Make sure the file is on disk, then its SHA-256 and size."""
    with open(path, "rb+") as file:
        os.fsync(file.fileno())
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as file:
        while chunk := file.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _publish(export_id: int, attempt: int, temporary: Path, sha256: str, size: int) -> str:
    """Rename the whole file to its final name and mark the export DONE, if still ours."""
    export = db.session.get(Export, export_id)
    final_name = f"{export_id}-{secrets.token_hex(8)}.{export.kind}"
    final = temporary.with_name(final_name)
    os.replace(temporary, final)
    _sync_folder(final.parent)
    now = utcnow()
    keep = timedelta(seconds=current_app.config["EXPORT_KEEP_SECONDS"])
    done = db.session.execute(
        update(Export)
        .where(
            Export.id == export_id,
            Export.status == ExportStatus.RUNNING,
            Export.attempts == attempt,
        )
        .values(
            status=ExportStatus.DONE,
            file_name=final_name,
            file_size=size,
            sha256=sha256,
            rows_done=func.coalesce(Export.rows_total, Export.rows_done),
            finished_at=now,
            expires_at=now + keep,
        )
    ).rowcount
    db.session.commit()
    if not done:
        # Requeued meanwhile (this run outlived its lease): the newer run's file counts.
        final.unlink(missing_ok=True)
        return ExportStatus.QUEUED
    return ExportStatus.DONE


def _sync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder's entry is on disk.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def requeue_stalled_exports(now: datetime | None = None) -> list[int]:
    """Queue again the exports whose worker died mid-run; fail those out of attempts.

    Returns the ids to queue again (the periodic job queues them).
    """
    now = now or utcnow()
    config = current_app.config
    cutoff = now - timedelta(seconds=config["EXPORT_LEASE_SECONDS"])
    stalled = (
        db.session.execute(
            select(Export).where(Export.status == ExportStatus.RUNNING, Export.started_at < cutoff)
        )
        .scalars()
        .all()
    )
    requeued = []
    for export in stalled:
        _remove_temporary_files(export.id)
        if export.attempts >= config["EXPORT_MAX_ATTEMPTS"]:
            export.status = ExportStatus.FAILED
            export.finished_at = now
            with force_locale(requester_language(export)):
                export.error = _(
                    "The export stopped %(count)d times before it was finished.",
                    count=export.attempts,
                )
        else:
            export.status = ExportStatus.QUEUED
            requeued.append(export.id)
    db.session.commit()
    for export_id in requeued:
        log.warning("export %s lost its worker; queued again", export_id)
    return requeued


def remove_old_exports(now: datetime | None = None) -> int:
    """Delete the files of exports past their keeping time; the rows stay, EXPIRED."""
    now = now or utcnow()
    old = (
        db.session.execute(
            select(Export).where(Export.status == ExportStatus.DONE, Export.expires_at <= now)
        )
        .scalars()
        .all()
    )
    folder = exports_path()
    for export in old:
        if export.file_name:
            (folder / export.file_name).unlink(missing_ok=True)
        export.status = ExportStatus.EXPIRED
        export.file_name = None
    db.session.commit()
    return len(old)


def export_file(export: Export) -> Path | None:
    """The finished file of a DONE export, if it is on disk."""
    if export.status != ExportStatus.DONE or not export.file_name:
        return None
    path = exports_path() / export.file_name
    return path if path.is_file() else None


def record_download(export: Export, campaign: Campaign, organiser: Organiser) -> None:
    """Audit a download."""
    record_event(
        "export.downloaded",
        "export",
        export.id,
        actor_id=organiser.id,
        organisation_id=campaign.organisation_id,
        kind=export.kind,
        campaign_id=campaign.id,
    )
    db.session.commit()


def login_is_recent(authenticated_at: datetime | None, now: datetime | None = None) -> bool:
    """The password (and code) were checked within EXPORT_REAUTH_SECONDS."""
    if authenticated_at is None:
        return False
    limit = timedelta(seconds=current_app.config["EXPORT_REAUTH_SECONDS"])
    return (now or utcnow()) - authenticated_at <= limit


def confirm_identity(
    organiser: Organiser, session_id: str, password: str, code: str | None, ip: str | None = None
) -> bool:
    """Check the password (and the two-step code when it is on); renew the session's login."""
    if not verify_password(organiser.password_hash, password):
        record_event(
            "organiser.reauthentication_failed",
            "organiser",
            organiser.id,
            ip_hash=account_services.audit_ip_hash(ip),
        )
        db.session.commit()
        return False
    if organiser.two_factor_enabled and not account_services.check_second_step(
        organiser, code or "", ip
    ):
        return False
    db.session.execute(
        update(OrganiserSession)
        .where(OrganiserSession.id == session_id, OrganiserSession.organiser_id == organiser.id)
        .values(authenticated_at=utcnow())
    )
    db.session.commit()
    return True
