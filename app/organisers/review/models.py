"""The review desk's records: each bulk action with the rows it changed, and surge alerts."""

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.extensions import db


class ReviewAction(db.Model):
    """One bulk action of the review desk: which filter, why, by whom, how many rows.

    The rows it changed, each with its state before, are kept in ReviewActionRow, so that
    undoing it restores exactly those rows.
    """

    __tablename__ = "review_actions"
    __table_args__ = (Index("ix_review_actions_campaign", "campaign_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(12), nullable=False)  # "invalidate" or "release"
    # The ReviewFilter's conditions as given (strings), for the list and the audit log.
    filter: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("organisers.id", ondelete="SET NULL"))
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    undone_at = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )
    undo_reason: Mapped[str | None] = mapped_column(Text)
    # How many rows the undo put back (rows changed again since are left as they are).
    undone_count: Mapped[int | None] = mapped_column(Integer)


class ReviewActionRow(db.Model):
    """A signature one review action changed, and the state it had before."""

    __tablename__ = "review_action_rows"

    action_id: Mapped[int] = mapped_column(
        ForeignKey("review_actions.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed for the cascade when a pending signature is removed ("I did not sign this").
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    previous_state: Mapped[str] = mapped_column(String(12), nullable=False)


class ReviewAlert(db.Model):
    """An alert sent to a campaign's team: one IP hash, network or domain over its threshold.

    The unique key claims the incident, so however many checks (or workers) see it, the
    team is emailed once. `last_seen_at` moves on while the incident lasts.
    """

    __tablename__ = "review_alerts"
    __table_args__ = (UniqueConstraint("campaign_id", "kind", "key", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # "ip", "network", "domain"
    key: Mapped[str] = mapped_column(String(253), nullable=False)
    # The start of the counting window in which the incident was first seen.
    window_start = mapped_column(UTCDateTime, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
