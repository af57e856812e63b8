"""Organiser accounts and their login sessions, organisations, memberships and invitations."""

from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.database import UTCDateTime, utcnow
from app.extensions import db


class Role(StrEnum):
    """What a member may do in an organisation; each role includes the ones below it."""

    VIEWER = "viewer"  # figures only
    EDITOR = "editor"  # edit campaigns, see signatures
    OWNER = "owner"  # everything, including members and deletion

    @property
    def rank(self) -> int:
        """Position in VIEWER < EDITOR < OWNER."""
        return list(Role).index(self)

    def includes(self, other: "Role") -> bool:
        """True when this role may do whatever `other` may."""
        return self.rank >= Role(other).rank


class Organiser(UserMixin, db.Model):
    """A person who logs in to run campaigns; `is_admin` makes them a site admin."""

    __tablename__ = "organisers"

    # Set when loaded for a request: the id of the login session (what Flask-Login keeps
    # in the cookie) and when that session last checked the password.
    session_id = None
    authenticated_at = None

    def get_id(self) -> str | None:
        """Flask-Login's key in the cookie: the session id, not the account id."""
        return self.session_id

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lowercased as typed: the address is the login name and where mail goes.
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_confirmed_at = mapped_column(UTCDateTime)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    language: Mapped[str] = mapped_column(String(12), nullable=False, default="en")
    # Base32 secret of the authenticator app; two-step login is on once it is confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at = mapped_column(UTCDateTime)
    # The last 30-second step accepted, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    password_changed_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organiser", cascade="all, delete-orphan"
    )

    @property
    def email_confirmed(self) -> bool:
        """The organiser clicked the emailed confirmation link (or an admin created them)."""
        return self.email_confirmed_at is not None

    @property
    def two_factor_enabled(self) -> bool:
        """Login asks for an authenticator code after the password."""
        return self.totp_enabled_at is not None


class OrganiserSession(db.Model):
    """One logged-in browser. Deleting the row ends that session, whatever its cookie says."""

    __tablename__ = "organiser_sessions"

    # A random id, carried in the signed session cookie; new at every login.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # When the password (and second step, if on) was last checked in this session:
    # exports and other sensitive actions ask again when it is old.
    authenticated_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    organiser: Mapped[Organiser] = relationship()


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at = mapped_column(UTCDateTime)


class Organisation(db.Model):
    """A team that owns campaigns."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class Membership(db.Model):
    """An organiser's role in an organisation."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "organiser_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
    )
    organiser_id: Mapped[int] = mapped_column(
        ForeignKey("organisers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(10), nullable=False, default=Role.VIEWER)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    organiser: Mapped[Organiser] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """An emailed, single-use invitation to join an organisation with a role."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisers.id", ondelete="SET NULL")
    )
    # Bound into the emailed token; cleared when the invitation is used or withdrawn.
    token_nonce: Mapped[str | None] = mapped_column(String(32))
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    accepted_at = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class SiteSetting(db.Model):
    """A setting a site admin changes in the browser (e.g. requiring two-step login)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
