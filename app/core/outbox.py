"""The outbox: emails stored in the sender's transaction and delivered with retries."""

import enum
import logging
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import Flask, current_app, render_template
from flask_babel import force_locale
from sqlalchemy import JSON, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from app.core.addresses import ascii_domain, identity_digest, mailbox_identity
from app.core.database import UTCDateTime, execute_core, utcnow
from app.core.i18n import text_direction
from app.core.recipient_quotas import forget_old_quotas, take_recipient_quota
from app.core.smtp import PermanentFailure, TemporaryFailure, build_message, transport_for
from app.extensions import db

log = logging.getLogger("rally.mail")


class Status(enum.StrEnum):
    """Where an outbox row is; the database stores the values."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(db.Model):
    """An email waiting to go out, going out, sent, or failed for good.

    Once sent or failed for good, only its kind, times, status and a keyed hash of its
    recipient are kept (`forget_content`): its address, subject and bodies (confirmation,
    reset and invitation links among them) are deleted, so an old copy of the database
    holds no live link and no list of who was written to.
    """

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), nullable=False)
    to_address: Mapped[str | None] = mapped_column(String(320))
    # HMAC-SHA256 (under SECRET_KEY) of the recipient's mailbox, set when the content goes.
    recipient_hash: Mapped[str | None] = mapped_column(String(64))
    # Either the message as written (subject and bodies), or what to write it from:
    # a template under templates/emails/, its language and its values. A templated email
    # is rendered by the sender, so the request that queues it does no rendering.
    subject: Mapped[str | None] = mapped_column(String(255))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(12))
    context: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=Status.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # When the row is next due; while SENDING it is the end of the sender's lease, so a
    # row whose sender died becomes due again by itself.
    next_attempt_at = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = mapped_column(UTCDateTime)

    def claim(self, lease_until: datetime) -> None:
        """Hold the row for one sender until `lease_until`."""
        self.status = Status.SENDING
        self.next_attempt_at = lease_until

    def mark_sent(self, now: datetime) -> None:
        """The server accepted the email; what it said and to whom is forgotten."""
        self.attempts += 1
        self.status = Status.SENT
        self.sent_at = now
        self.last_error = None
        self.forget_content()

    def retry_later(self, error: str, at: datetime) -> None:
        """This attempt failed for now; the row is due again `at`."""
        self.attempts += 1
        self.status = Status.QUEUED
        self.last_error = error[:2000]
        self.next_attempt_at = at

    def mark_failed(self, error: str) -> None:
        """This attempt failed and no later one will be made; the content is forgotten."""
        self.attempts += 1
        self.status = Status.FAILED
        self.last_error = error[:2000]
        self.forget_content()

    def forget_content(self) -> None:
        """Keep only a keyed hash of the recipient; drop the address, subject and bodies."""
        address = self.to_address or ""
        if address:
            self.recipient_hash = recipient_digest(address)
            if self.last_error:
                # Mail servers name the recipient in their errors.
                self.last_error = _without(self.last_error, address)
        self.to_address = None
        self.subject = self.body_text = self.body_html = None
        self.context = None


RECIPIENT_PURPOSE = "outbox-recipient"


def recipient_digest(address: str) -> str:
    """The keyed hash a sent or failed email keeps of its recipient's mailbox."""
    secret = current_app.config["SECRET_KEY"]
    return identity_digest(mailbox_identity(address), secret, RECIPIENT_PURPOSE)


def _without(text: str, address: str) -> str:
    """`text` with every spelling of `address` (any case, or its punycode) left out."""
    spellings = {address, mailbox_identity(address)}
    local, _, domain = address.rpartition("@")
    spellings.add(f"{local}@{ascii_domain(domain)}")
    for spelling in sorted(spellings, key=len, reverse=True):
        text = re.sub(re.escape(spelling), "<recipient>", text, flags=re.IGNORECASE)
    return text


def queue_email(
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Add a written email to the current transaction; it is delivered only if that commits.

    False, and nothing queued, when the address has had its emails for the day.
    """
    return _add_to_outbox(
        to_address, now, subject=subject, body_text=body_text, body_html=body_html
    )


def queue_templated_email(
    to_address: str, template: str, language: str, context: dict, now: datetime | None = None
) -> bool:
    """Add an email to be written from templates when it is sent (False if over the cap).

    It is written from templates/emails/<template>.{subject.txt,txt,html} in `language`
    with the JSON-able `context`.
    """
    return _add_to_outbox(to_address, now, template=template, language=language, context=context)


# Built once; each call's columns come as parameters (SQLAlchemy caches the compiled form
# per set of columns given).
_INSERT_OUTBOX_EMAIL = insert(OutboxEmail.__table__)


def _add_to_outbox(to_address: str, now: datetime | None, **content) -> bool:
    now = now or utcnow()
    # Every email counts against the mailbox's daily cap, whoever asked for it: one
    # address typed into many forms (or campaigns) still gets a bounded number.
    if not take_recipient_quota(to_address, now):
        log.info(
            "Email (%s) not queued: its recipient has had MAX_EMAILS_PER_ADDRESS_PER_DAY today",
            content.get("template") or "written",
        )
        return False
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2].rstrip(">") or "localhost"
    # A Core INSERT: no ORM object to track and flush, on the signing hot path.
    execute_core(
        _INSERT_OUTBOX_EMAIL,
        dict(
            message_id=make_msgid(domain=domain),
            to_address=to_address,
            status=Status.QUEUED,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            **content,
        ),
    )
    db.session.info["outbox_queued"] = True
    return True


def write_templated_email(email: OutboxEmail) -> None:
    """Render a templated email's subject and bodies into the row, in its language."""
    with force_locale(email.language):
        context = dict(
            email.context, language=email.language, direction=text_direction(email.language)
        )
        name = f"emails/{email.template}"
        email.subject = render_template(f"{name}.subject.txt", **context).strip()
        email.body_text = render_template(f"{name}.txt", **context)
        email.body_html = render_template(f"{name}.html", **context)


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def claim_due_emails(now: datetime, limit: int) -> list[OutboxEmail]:
    """Take a lease on up to `limit` due rows; parallel senders skip rows another holds."""
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    rows = (
        db.session.execute(
            select(OutboxEmail)
            .where(
                OutboxEmail.status.in_((Status.QUEUED, Status.SENDING)),
                OutboxEmail.next_attempt_at <= now,
            )
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.claim(now + lease)
    db.session.commit()
    return rows


def backoff_delay(attempts: int, base_seconds: int) -> timedelta:
    """Exponential backoff with jitter: base, 2×base, 4×base ... capped at six hours."""
    seconds = min(base_seconds * 2 ** (attempts - 1), 6 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def send_due_emails(now: datetime | None = None, limit: int = 100, transport=None):
    """Deliver the emails that are due; each outcome is committed on its own."""
    config = current_app.config
    transport = transport or transport_for(config)
    report = DeliveryReport()
    now = now or utcnow()
    _forget_old_quotas_hourly(now)
    for email in claim_due_emails(now, limit):
        attempt = email.attempts + 1
        try:
            if email.body_text is None:
                _write_or_retry(email)
            transport.send(build_message(email, config["MAIL_FROM"]))
        except PermanentFailure as error:
            email.mark_failed(str(error))
            report.failed.append(email.id)
        except TemporaryFailure as error:
            if attempt >= config["OUTBOX_MAX_ATTEMPTS"]:
                email.mark_failed(str(error))
                report.failed.append(email.id)
            else:
                delay = backoff_delay(attempt, config["OUTBOX_BACKOFF_SECONDS"])
                email.retry_later(str(error), now + delay)
                report.retrying.append(email.id)
        else:
            email.mark_sent(utcnow())
            report.sent.append(email.id)
        db.session.commit()
    return report


def _forget_old_quotas_hourly(now: datetime) -> None:
    # Senders run after every request that queued mail: an hour between purges keeps
    # the table to about two days of recipients at the cost of one write transaction.
    state = current_app.extensions.setdefault("rally.outbox", {})
    if now < state.get("next_quota_purge", now):
        return
    forget_old_quotas(now)
    db.session.commit()
    state["next_quota_purge"] = now + timedelta(hours=1)


def _write_or_retry(email: OutboxEmail) -> None:
    try:
        write_templated_email(email)
    except Exception as error:
        # A broken template is our bug, not the message's: keep it queued for the fix.
        log.exception("Writing templated email %s failed", email.id)
        raise TemporaryFailure(f"could not write the email: {error}") from error


def run_worker(interval: float = 2.0, max_passes: int | None = None) -> None:
    """Deliver due emails in a loop, sleeping when there is nothing to send."""
    passes = 0
    while max_passes is None or passes < max_passes:
        report = send_due_emails()
        passes += 1
        if not (report.sent or report.retrying or report.failed):
            time.sleep(interval)


def init_app(app: Flask) -> None:
    """In the default setup, deliver what a request queued once its response has gone out."""

    @app.after_request
    def deliver_after_response(response):
        if not db.session.info.pop("outbox_queued", False):
            return response
        if app.config["OUTBOX_SEND_AFTER_REQUEST"]:
            response.call_on_close(lambda: _deliver_in_background_context(app))
        return response


def _deliver_in_background_context(app: Flask) -> None:
    with app.app_context():
        try:
            send_due_emails(limit=20)
        except Exception:  # noqa: BLE001 - the outbox keeps the email; a worker retries it
            log.exception("Delivering after the response failed; the email stays queued")
            db.session.rollback()
