"""An append-only record of security-relevant events (odd confirmations, bulk changes, exports)."""

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.extensions import db


class AuditEvent(db.Model):
    """One thing that happened, to what, and details that carry no secrets."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # Who did it and in which organisation's log it appears; plain ids, so the record
    # outlives the account or organisation it names.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_audit_events_organisation", "organisation_id", "id"),)


def record_event(
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    actor_id: int | None = None,
    organisation_id: int | None = None,
    **detail,
) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits)."""
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_id=actor_id,
        organisation_id=organisation_id,
        detail=detail,
    )
    db.session.add(event)
    return event
