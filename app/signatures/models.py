"""A supporter's signature on one campaign, its states and the consents it records.

Also the addresses that asked never to be emailed about a campaign again.
"""

import re
import unicodedata
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.campaigns.pages import SHOWN_ON_PAGE
from app.core.database import UTCDateTime, utcnow
from app.extensions import db


class SignatureState(StrEnum):
    """Where a signature is in its life; only CONFIRMED ones count."""

    PENDING = "pending"  # waiting for the supporter to click the emailed link
    CONFIRMED = "confirmed"  # counted
    HELD = "held"  # set aside for review by fraud rules; never counted until released
    INVALIDATED = "invalidated"  # removed by an organiser; never counted


PENDING, CONFIRMED, HELD, INVALIDATED = SignatureState
STATES = tuple(SignatureState)


class NameModeration(StrEnum):
    """Whether a signer's name may appear in public lists; the signer is never told."""

    CLEAR = ""  # nothing to review
    HELD = "held"  # matched the word list: off public lists until the team reviews it
    HIDDEN = "hidden"  # hidden by the team
    APPROVED = "approved"  # reviewed and allowed (for the name as it was then)


NAME_CLEAR, NAME_HELD, NAME_HIDDEN, NAME_APPROVED = NameModeration
# Names the word list held for the team; the partial index below repeats it word for word.
NAMES_TO_REVIEW = "name_moderation = 'held'"

NAME_LENGTH = 200
_SPACES = re.compile(r"\s+")


def name_search_form(name: str) -> str:
    """A name as the organisers' search compares it: case, accents and spacing ignored.

    NFKD splits "é" into "e" + accent and "أ" into "ا" + hamza; dropping the combining
    marks (Arabic vowel signs too) lets "Zoe" find "Zoë" and "احمد" find "أحمد".
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold()).strip()[:NAME_LENGTH]


class Signature(db.Model):
    """One person's signature on one campaign; only CONFIRMED ones count."""

    __tablename__ = "signatures"
    __table_args__ = (
        # One signature per person per campaign, enforced by the database itself.
        UniqueConstraint("campaign_id", "email_normalised"),
        # Only the rows the page lists (confirmed and shown), newest first: the page reads
        # ten entries even when almost nobody chose to be shown.
        Index(
            "ix_signatures_public_recent",
            "campaign_id",
            "confirmed_at",
            "id",
            postgresql_where=text(SHOWN_ON_PAGE),
            sqlite_where=text(SHOWN_ON_PAGE),
        ),
        # The team's "names to review": a handful of rows, found without reading the rest.
        Index(
            "ix_signatures_names_to_review",
            "campaign_id",
            "id",
            postgresql_where=text(NAMES_TO_REVIEW),
            sqlite_where=text(NAMES_TO_REVIEW),
        ),
        # The organisers' list: one state of one campaign, newest first, page by page.
        Index("ix_signatures_campaign_state_id", "campaign_id", "state", "id"),
        # Name prefix search: a range on name_search (byte order, see the column).
        Index("ix_signatures_name_search", "campaign_id", "name_search"),
        # Velocity rules and the review desk count one campaign's signatures per signal.
        Index("ix_signatures_campaign_ip_hash", "campaign_id", "ip_hash", "created_at"),
        Index("ix_signatures_campaign_network", "campaign_id", "network_hash", "created_at"),
        Index("ix_signatures_campaign_domain", "campaign_id", "email_domain", "created_at"),
        # Attribution: whom a signer's links brought, and the dashboard's top referrers.
        Index("ix_signatures_campaign_referrer", "campaign_id", "referrer", "state"),
        # The review desk's hourly chart, its time-window filter and the alert job read one
        # campaign's recent signatures: a range, not a scan of the campaign.
        Index("ix_signatures_campaign_created", "campaign_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="RESTRICT"), nullable=False
    )
    state: Mapped[str] = mapped_column(String(12), nullable=False, default=PENDING)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    # name_search_form(name), kept with the name. Compared in byte (code point) order on
    # PostgreSQL too, so `>= q AND < q || U+10FFFF` is an index range of the prefix q.
    name_search: Mapped[str] = mapped_column(
        String(NAME_LENGTH).with_variant(String(NAME_LENGTH, collation="C"), "postgresql"),
        nullable=False,
        default="",
        server_default="",
    )
    # As typed (trimmed), for sending; the normalised form (the mailbox identity) only
    # says who the person is.
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_normalised: Mapped[str] = mapped_column(String(254), nullable=False)
    postcode: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Whether the name may appear in public lists (see NameModeration); counting and
    # delivery ignore it.
    name_moderation: Mapped[str] = mapped_column(
        String(10), nullable=False, default=NAME_CLEAR, server_default=""
    )
    contact_consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The answer to an ally's "may this organisation contact you?" (its widget asks; the
    # ally is the one whose code is `referrer`); None when no such question was asked.
    ally_contact_consent: Mapped[bool | None] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(12), nullable=False, default="en")
    # What fraud review needs and nothing more. The IP and its network (/24 or /64) only
    # as keyed hashes (HMAC with a server secret), so equal addresses can be grouped; the
    # address itself is not kept.
    ip_hash: Mapped[str | None] = mapped_column(String(32))
    network_hash: Mapped[str | None] = mapped_column(String(32))
    # The part after "@" of email_normalised: top domains, disposable share, domain rules.
    email_domain: Mapped[str] = mapped_column(
        String(253), nullable=False, default="", server_default=""
    )
    user_agent_family: Mapped[str] = mapped_column(
        String(20), nullable=False, default="", server_default=""
    )
    # From the sign page being rendered to the form being submitted (a signed form field).
    seconds_to_submit: Mapped[int | None] = mapped_column(Integer)
    # Attribution: the share channel (?source=) and a signer's or ally's referrer code.
    source: Mapped[str] = mapped_column(String(40), nullable=False, default="", server_default="")
    referrer: Mapped[str] = mapped_column(String(40), nullable=False, default="", server_default="")
    # The fraud rule that set this signature aside (it becomes HELD, not CONFIRMED, when its
    # email is confirmed); None when no rule fired.
    held_rule: Mapped[str | None] = mapped_column(String(30))
    # Random value bound into the emailed token; cleared once confirmed so the link works once.
    token_nonce: Mapped[str | None] = mapped_column(String(32))
    emails_sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_emailed_at = mapped_column(UTCDateTime)
    email_verified_at = mapped_column(UTCDateTime)
    confirmed_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ConsentRecord(db.Model):
    """What the email owner chose for one question, when, and the exact words they were shown.

    Written when the owner confirms, so that consent can be demonstrated later.
    """

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # "public", "contact_consent", or "ally_contact" (an ally's question, its words naming it)
    choice: Mapped[str] = mapped_column(String(32), nullable=False)
    given: Mapped[bool] = mapped_column(Boolean, nullable=False)
    wording: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str] = mapped_column(String(12), nullable=False)
    recorded_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SigningSuppression(db.Model):
    """An address whose owner said "I did not sign this" on one campaign.

    It gets no signature and no email for this campaign. Only a keyed hash of the mailbox
    identity is kept.
    """

    __tablename__ = "signing_suppressions"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    identity_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SigningListEntry(db.Model):
    """A site-wide block or allow list entry checked when someone signs.

    `kind` says what `pattern` matches: an email domain (globs such as *.example.com), an
    IP range in CIDR notation, or one email address. A block entry holds or refuses (with the
    same neutral answer either way); an allow entry overrides every block and fraud rule.
    """

    __tablename__ = "signing_list_entries"
    __table_args__ = (UniqueConstraint("list_name", "kind", "pattern"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_name: Mapped[str] = mapped_column(String(10), nullable=False)  # "block" or "allow"
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # "domain", "network", "email"
    pattern: Mapped[str] = mapped_column(String(254), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False, default="hold")  # or "refuse"
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
