"""Campaign, its per-language texts, its allies, and the sharded confirmed-signature counter."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.extensions import db

DRAFT = "draft"
OPEN = "open"
CLOSED = "closed"
STATUSES = (DRAFT, OPEN, CLOSED)
PUBLIC_STATUSES = (OPEN, CLOSED)

SIGN_FORM_FIELDS = ("name", "email", "postcode", "country")
# Without these a signature can be neither confirmed nor shown: every campaign asks for them.
ALWAYS_REQUIRED = ("name", "email")


def required_sign_fields(listed) -> list[str]:
    """The fields a campaign requires: those it lists plus name and email, in form order."""
    return [name for name in SIGN_FORM_FIELDS if name in set(listed) | set(ALWAYS_REQUIRED)]


def accepts_signatures(status: str, deadline: datetime | None, now: datetime) -> bool:
    """Open, and the deadline (if any) has not passed."""
    return status == OPEN and (deadline is None or now < deadline)


def is_public(status: str, unpublished_reason: str | None) -> bool:
    """Shown on the public site: open or closed, and not unpublished by an admin."""
    return status in PUBLIC_STATUSES and unpublished_reason is None


def accepts_confirmations(
    public: bool, status: str, deadline: datetime | None, now: datetime, grace
) -> bool:
    """Public, and open to signatures: made in time, they may be confirmed for `grace` after."""
    return public and accepts_signatures(
        status, deadline + grace if deadline is not None else None, now
    )


class Campaign(db.Model):
    """A petition: who it asks, its goal and deadline, and which form fields are required."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=DRAFT)
    goal: Mapped[int] = mapped_column(Integer, nullable=False)
    deadline = mapped_column(UTCDateTime)
    default_language: Mapped[str] = mapped_column(String(12), nullable=False)
    required_fields: Mapped[list] = mapped_column(JSON, nullable=False)
    # The owning organisation (a table of the organisers package, named here only by its
    # key); without one the campaign belongs to the site admins.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    target_email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    # Edited in the browser since it was last loaded from its folder: `flask campaigns load`
    # leaves it alone unless forced.
    edited_in_browser: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # A site admin took it off the public site; the team sees why.
    unpublished_reason: Mapped[str | None] = mapped_column(Text)
    unpublished_at = mapped_column(UTCDateTime)
    # The petition was handed over: when, to whom, and the team's note (shown publicly).
    delivered_on = mapped_column(Date)
    delivered_to: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    delivery_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The goal the team was last told had been reached, so each goal is announced once.
    goal_announced: Mapped[int | None] = mapped_column(Integer)
    # Only addresses at these email domains may sign (space-separated, globs allowed:
    # "uni.ac.uk *.uni.ac.uk"); empty means anyone.
    allowed_email_domains: Mapped[str] = mapped_column(
        Text, nullable=False, default="", server_default=""
    )
    # Only the allies' sites may frame the embed widget (else any site may).
    widget_allies_only: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    translations: Mapped[list["CampaignTranslation"]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignTranslation.id"
    )

    def accepts_signatures(self, now: datetime) -> bool:
        """Open, not unpublished, and the deadline (if any) has not passed."""
        return self.is_public and accepts_signatures(self.status, self.deadline, now)

    @property
    def is_public(self) -> bool:
        """Shown on the public site: open or closed, and not unpublished by an admin."""
        return is_public(self.status, self.unpublished_reason)

    def accepts_confirmations(self, now: datetime, grace) -> bool:
        """Signatures made in time may still be confirmed for a grace period after the deadline."""
        return accepts_confirmations(self.is_public, self.status, self.deadline, now, grace)

    def translation(self, language: str) -> "CampaignTranslation":
        """The text in `language`, else in the campaign's default language."""
        by_language = {t.language: t for t in self.translations}
        return by_language.get(language) or by_language[self.default_language]

    @property
    def languages(self) -> list[str]:
        """Languages this campaign has a text in."""
        return [t.language for t in self.translations]


class CampaignTranslation(db.Model):
    """Title, summary, petition text and target in one language."""

    __tablename__ = "campaign_translations"
    __table_args__ = (UniqueConstraint("campaign_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    language: Mapped[str] = mapped_column(String(12), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    body_markdown: Mapped[str] = mapped_column(Text, nullable=False)
    # Rendered and sanitised once, at load time, so a page view does no Markdown work.
    body_html: Mapped[str] = mapped_column(Text, nullable=False)
    # Shown after a signature is confirmed; Markdown, sanitised like the body.
    thank_you_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    thank_you_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    target_name: Mapped[str] = mapped_column(String(300), nullable=False)
    target_role: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    target_institution: Mapped[str] = mapped_column(String(300), nullable=False, default="")

    campaign: Mapped[Campaign] = relationship(back_populates="translations")


class Ally(db.Model):
    """An allied organisation that shares a campaign through its own code and widget.

    `code` is the referrer code of its links and widget (attribution.CODE); signatures keep
    it, so it never changes. `sites` are the origins allowed to frame the widget when the
    campaign says only allies may (one per line, as `https://host[:port]`). `stats_key` is
    the secret in its stats page's address; a new one replaces (and kills) the old.
    """

    __tablename__ = "allies"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    sites: Mapped[str] = mapped_column(Text, nullable=False, default="", server_default="")
    # Asked in the widget, optionally, and recorded apart from the campaign's own consent.
    contact_question: Mapped[str] = mapped_column(
        Text, nullable=False, default="", server_default=""
    )
    stats_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    campaign: Mapped[Campaign] = relationship()

    @property
    def site_list(self) -> list[str]:
        """The allowed origins, in the order given."""
        return [site for site in self.sites.split() if site]


class CampaignCountShard(db.Model):
    """One of a few counters whose sum is the confirmed count.

    Each confirmation bumps a random shard, so concurrent confirmations on PostgreSQL
    rarely wait on the same row lock; readers sum a handful of rows instead of COUNT(*).
    """

    __tablename__ = "campaign_count_shards"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
