"""The outbox against a real SMTP server: retries, permanent failures, no email ever lost."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.core.database import utcnow
from app.core.outbox import (
    OutboxEmail,
    Status,
    queue_email,
    queue_templated_email,
    recipient_digest,
    send_due_emails,
)
from app.extensions import db
from app.signatures.models import Signature
from tests.factories import confirm_with_click, make_campaign, submit_signature
from tests.helpers import postgres_only
from tests.parallel import run_in_parallel


def outbox() -> list[OutboxEmail]:
    db.session.expire_all()
    return db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars().all()


def later(minutes=60 * 24):
    return utcnow() + timedelta(minutes=minutes)


def test_queued_email_is_delivered_over_smtp_with_headers(app, smtp):
    queue_email("reader@example.org", "Subject ✓", "Plain body", "<p>HTML body</p>")
    db.session.commit()
    report = send_due_emails()
    assert len(report.sent) == 1
    [message] = smtp.messages
    assert message["To"] == "reader@example.org" and message["Subject"] == "Subject ✓"
    assert message["From"] == "Rally <no-reply@rally.test>" and message["Message-ID"]
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Plain body"
    assert outbox()[0].status == Status.SENT and outbox()[0].sent_at is not None
    assert send_due_emails().sent == []  # nothing is sent twice


def test_smtp_down_at_signing_then_up_delivers_later(app, client, smtp):
    """Case 38: signing succeeds with the server down; the email goes out once it is back."""
    make_campaign(slug="c")
    smtp.stop()
    response = submit_signature(client, "c", email="patient@example.org")
    assert response.status_code == 303
    assert db.session.execute(select(func.count()).select_from(Signature)).scalar_one() == 1

    report = send_due_emails()
    assert report.retrying and not report.sent
    [email] = outbox()
    assert email.status == Status.QUEUED and email.attempts == 1
    assert "Connection" in email.last_error
    assert email.next_attempt_at > utcnow() + timedelta(seconds=20)  # backed off
    assert send_due_emails().retrying == []  # not due yet

    smtp.start()
    assert len(send_due_emails(now=later()).sent) == 1
    assert outbox()[0].status == Status.SENT
    assert confirm_with_click(client, smtp.confirm_link("patient@example.org")).status_code == 200


def test_backoff_grows_exponentially_and_gives_up_after_max_attempts(app, smtp):
    smtp.stop()
    app.config["OUTBOX_MAX_ATTEMPTS"] = 4
    queue_email("x@example.org", "s", "b")
    db.session.commit()
    delays, now = [], utcnow()
    for _ in range(4):
        send_due_emails(now=now)
        email = outbox()[0]
        delays.append((email.next_attempt_at - now).total_seconds())
        now = email.next_attempt_at + timedelta(seconds=1)
    assert delays[1] > 1.5 * delays[0] and delays[2] > 1.5 * delays[1]
    assert email.status == Status.FAILED and email.attempts == 4


def test_temporary_4xx_is_retried(app, smtp):
    smtp.reply_for["busy@example.org"] = "451 4.3.0 try again later"
    queue_email("busy@example.org", "s", "b")
    db.session.commit()
    assert send_due_emails().retrying
    assert outbox()[0].status == Status.QUEUED and "451" in outbox()[0].last_error
    del smtp.reply_for["busy@example.org"]
    assert send_due_emails(now=later()).sent


def test_permanent_5xx_is_marked_failed_and_not_retried(app, smtp):
    """Case 38: a permanent 5xx is marked failed with its reason."""
    smtp.reply_for["gone@example.org"] = "550 5.1.1 no such user"
    queue_email("gone@example.org", "s", "b")
    queue_email("fine@example.org", "s", "b")
    db.session.commit()
    report = send_due_emails()
    assert len(report.failed) == 1 and len(report.sent) == 1
    failed = outbox()[0]
    assert failed.status == Status.FAILED and "550" in failed.last_error and failed.attempts == 1
    assert send_due_emails(now=later()).failed == []  # never tried again
    assert len(smtp.messages) == 1


def test_a_failed_email_keeps_no_address_even_in_the_servers_reply(app, smtp):
    smtp.reply_for["Gone@Example.org"] = "550 5.1.1 <gone@example.org>: no such user"
    queue_email("Gone@Example.org", "Your reset link", "http://rally.test/reset/secret")
    db.session.commit()
    assert len(send_due_emails().failed) == 1
    [failed] = outbox()
    assert "no such user" in failed.last_error and "<recipient>" in failed.last_error
    assert "gone@example.org" not in failed.last_error.lower()
    assert (failed.to_address, failed.subject, failed.body_text) == (None, None, None)
    assert failed.recipient_hash == recipient_digest("gone@example.org")


def test_sender_killed_after_smtp_accepted_sends_again_and_token_still_works(app, client, smtp):
    """Case 39: the row stays SENDING; after the lease it goes out again; the link works."""
    make_campaign(slug="c")
    submit_signature(client, "c", email="twice@example.org")
    email = outbox()[0]
    # The crash: the sender claimed the row and SMTP accepted it, but the result never committed.
    email.status, email.next_attempt_at = Status.SENDING, utcnow() + timedelta(minutes=2)
    db.session.commit()
    first_link = None
    assert send_due_emails().sent == []  # lease still held
    assert len(send_due_emails(now=utcnow() + timedelta(minutes=3)).sent) == 1
    first_link = smtp.confirm_link("twice@example.org")
    assert confirm_with_click(client, first_link).status_code == 200


def test_database_error_mid_transaction_leaves_nothing_behind(app, client, db):
    """Case 40: the outbox insert fails → no signature, no email, a 503."""
    make_campaign(slug="c")
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            text(
                "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox_emails "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    else:
        db.session.execute(
            text(
                "CREATE OR REPLACE FUNCTION fail_outbox() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            text(
                "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox_emails "
                "FOR EACH ROW EXECUTE FUNCTION fail_outbox()"
            )
        )
    db.session.commit()
    try:
        response = submit_signature(client, "c", email="lost@example.org")
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "Nothing was saved" in response.get_data(as_text=True)
        assert db.session.execute(select(func.count()).select_from(Signature)).scalar_one() == 0
        assert outbox() == []
    finally:
        db.session.execute(
            text(
                "DROP TRIGGER fail_outbox"
                + ("" if db.engine.dialect.name == "sqlite" else " ON outbox_emails")
            )
        )
        if db.engine.dialect.name != "sqlite":
            db.session.execute(text("DROP FUNCTION IF EXISTS fail_outbox()"))
        db.session.commit()


def test_without_smtp_emails_are_logged_then_forgotten(app, caplog):
    queue_email("dev@example.org", "Hello", "Click http://rally.test/confirm/abc")
    db.session.commit()
    with caplog.at_level("INFO", logger="rally.mail"):
        send_due_emails()
    assert "http://rally.test/confirm/abc" in caplog.text
    [email] = outbox()
    assert email.status == Status.SENT and email.body_text is None


@pytest.mark.parametrize("config_overrides", [{"OUTBOX_SEND_AFTER_REQUEST": True}])
def test_default_setup_delivers_right_after_the_request(app, client, smtp):
    make_campaign(slug="c")
    response = submit_signature(client, "c", email="quick@example.org")
    response.close()
    assert smtp.messages_to("quick@example.org")
    assert outbox()[0].status == Status.SENT


@postgres_only
def test_parallel_senders_never_send_a_message_twice(app, smtp):
    """FOR UPDATE SKIP LOCKED: four senders, forty emails, each delivered once."""
    for number in range(40):
        queue_email(f"r{number}@example.org", "s", "b")
    db.session.commit()

    def sender():
        with app.app_context():
            send_due_emails(limit=5)
            send_due_emails(limit=5)
            db.session.remove()

    assert run_in_parallel(4, sender) == []
    send_due_emails()
    recipients = [m["To"] for m in smtp.messages]
    assert len(recipients) == 40 and len(set(recipients)) == 40


def test_templated_email_is_written_by_the_sender_in_its_language(app, smtp):
    queue_templated_email(
        "reader@example.org",
        "signatures/already_signed",
        "ar",
        {"name": "ليلى", "title": "عريضة", "campaign_url": "http://rally.test/c/x"},
    )
    db.session.commit()
    assert outbox()[0].body_text is None  # the request that queued it rendered nothing
    send_due_emails()
    [message] = smtp.messages
    assert "عريضة" in message["Subject"] and "ليلى" in message.get_body(("plain",)).get_content()
    assert 'dir="rtl"' in message.get_body(("html",)).get_content()
    [email] = outbox()  # what was sent is forgotten; whom, only as a keyed hash
    assert (email.subject, email.body_text, email.body_html, email.context) == (None,) * 4
    assert email.to_address is None and len(email.recipient_hash) == 64


def test_an_email_whose_template_breaks_stays_queued(app, smtp):
    queue_templated_email("reader@example.org", "signatures/no-such-template", "en", {})
    db.session.commit()
    report = send_due_emails()
    assert report.retrying and smtp.messages == []
    assert outbox()[0].status == Status.QUEUED and "could not write" in outbox()[0].last_error
