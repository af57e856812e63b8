"""An export of a campaign's signatures (PDF for delivery, CSV for organisers' tools)."""

from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.extensions import db


class ExportKind(StrEnum):
    """What the export produces."""

    PDF = "pdf"  # the delivery document, with a public verification page
    CSV = "csv"  # rows for the organiser's own tools


class ExportStatus(StrEnum):
    """Where an export job is; only DONE exports have a file to download."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"  # done, and its file removed after EXPORT_KEEP_SECONDS


class Export(db.Model):
    """One requested export: who asked, with what options, how far it got, and its file."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=ExportStatus.QUEUED)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )
    # The organiser's choices (columns, states, date range, BOM, language ...).
    options: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Relative to EXPORTS_PATH; written under a temporary name and renamed when complete,
    # so a file that is listed is always whole.
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    # The PDF's public verification page is /v/<code>; unique, short and random.
    verification_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # What a signed delivery document states, kept after the file itself is removed.
    confirmed_count: Mapped[int | None] = mapped_column(Integer)
    period_start = mapped_column(UTCDateTime)
    period_end = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    started_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)
    expires_at = mapped_column(UTCDateTime)
