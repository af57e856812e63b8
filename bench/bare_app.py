"""The baseline for bench/sign.py: the least a sign endpoint can do on the same stack.

A minimal Flask + Flask-SQLAlchemy app with a table shaped like Rally's `signatures`
(same columns, unique (campaign_id, email_normalised)) and one like `outbox_emails`.
POST /sign inserts one signature row and one outbox row in one transaction and answers
201: no CSRF, sessions, templates, validation or rate limiting. Dividing Rally's sign
rate by this rate, measured on the same machine, server and database, gives a number
that means the same on any machine.

It takes the same SQLite settings as Rally (WAL, synchronous=NORMAL, busy_timeout,
BEGIN IMMEDIATE) so that the ratio compares application work, not durability settings.

    BARE_DATABASE_URL=sqlite:////tmp/bare.sqlite3 python bench/bare_app.py init
    BARE_DATABASE_URL=... gunicorn -w 2 -b 127.0.0.1:8001 --chdir bench bare_app:app
"""

import os
import secrets
import sys
from datetime import UTC, datetime

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core.database import configure_engine


class Base(DeclarativeBase):
    """The base class of the bare app's models."""


db = SQLAlchemy(model_class=Base)


class BareSignature(db.Model):
    """Shaped like Rally's `signatures` table."""

    __tablename__ = "bare_signatures"
    __table_args__ = (UniqueConstraint("campaign_id", "email_normalised"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    email_normalised: Mapped[str] = mapped_column(String(254), nullable=False)
    postcode: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    country: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    contact_consent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    language: Mapped[str] = mapped_column(String(12), nullable=False, default="en")
    ip_address: Mapped[str | None] = mapped_column(String(45))
    token_nonce: Mapped[str | None] = mapped_column(String(32))
    emails_sent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_emailed_at = mapped_column(DateTime(timezone=True))
    email_verified_at = mapped_column(DateTime(timezone=True))
    confirmed_at = mapped_column(DateTime(timezone=True))
    created_at = mapped_column(DateTime(timezone=True), nullable=False)


class BareOutboxEmail(db.Model):
    """Shaped like Rally's `outbox_emails` table."""

    __tablename__ = "bare_outbox_emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), nullable=False)
    to_address: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(DateTime(timezone=True), nullable=False)
    sent_at = mapped_column(DateTime(timezone=True))


def database_url() -> str:
    """BARE_DATABASE_URL, with plain postgresql:// URLs mapped to psycopg 3 like Rally does."""
    url = os.environ["BARE_DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_app() -> Flask:
    """The baseline app: one insert endpoint and a health check."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(app)
    with app.app_context():
        # Rally's own SQLite connection settings (WAL, busy timeout, BEGIN IMMEDIATE), so
        # the ratio compares application work, not database settings.
        configure_engine(db.engine)

    @app.get("/health")
    def health():
        return "ok"

    @app.post("/sign")
    def sign():
        form = request.form
        email = form.get("email", "").strip()
        now = datetime.now(UTC)
        db.session.add(
            BareSignature(
                campaign_id=1,
                state="pending",
                name=form.get("name", ""),
                email=email,
                email_normalised=email.lower(),
                postcode=form.get("postcode", ""),
                country=form.get("country", ""),
                public=form.get("public") == "y",
                ip_address=request.remote_addr,
                token_nonce=secrets.token_hex(16),
                emails_sent=1,
                last_emailed_at=now,
                created_at=now,
            )
        )
        db.session.add(
            BareOutboxEmail(
                message_id=f"<{secrets.token_hex(12)}@bench.example.org>",
                to_address=email,
                subject="Please confirm your signature",
                body_text=f"Confirm your signature: https://bench.example.org/confirm/{email}",
                next_attempt_at=now,
                created_at=now,
            )
        )
        db.session.commit()
        return "", 201

    return app


app = create_app()

if __name__ == "__main__":
    if sys.argv[1:] != ["init"]:
        sys.exit("usage: BARE_DATABASE_URL=... python bench/bare_app.py init")
    with app.app_context():
        db.drop_all()
        db.create_all()
