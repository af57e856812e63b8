"""The SMTP transport against a real server: the message it builds, how it sorts failures."""

from datetime import timedelta

import pytest

from app.core.database import utcnow
from app.core.outbox import OutboxEmail, Status, queue_email, recipient_digest, send_due_emails
from app.core.smtp import (
    ConsoleTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    build_message,
    transport_for,
)
from app.extensions import db

MAIL_FROM = "Rally <no-reply@rally.test>"


def message_to(address, body_html=None):
    email = OutboxEmail(
        message_id="<1@rally.test>",
        to_address=address,
        subject="Subject ✓",
        body_text="Plain body",
        body_html=body_html,
        created_at=utcnow(),
    )
    return build_message(email, MAIL_FROM)


def test_message_has_text_html_and_the_headers_mail_needs(app, smtp):
    SmtpTransport(app.config).send(message_to("reader@example.org", "<p>HTML body</p>"))
    [message] = smtp.messages
    assert message["To"] == "reader@example.org" and message["From"] == MAIL_FROM
    assert message["Subject"] == "Subject ✓" and message["Message-ID"] == "<1@rally.test>"
    assert message["Auto-Submitted"] == "auto-generated" and message["Date"]
    assert message.get_body(("plain",)).get_content().strip() == "Plain body"
    assert message.get_body(("html",)).get_content().strip() == "<p>HTML body</p>"


def test_4xx_is_temporary_and_5xx_permanent(app, smtp):
    smtp.reply_for["busy@example.org"] = "451 4.3.0 try again later"
    smtp.reply_for["gone@example.org"] = "550 5.1.1 no such user"
    with pytest.raises(TemporaryFailure, match="451"):
        SmtpTransport(app.config).send(message_to("busy@example.org"))
    with pytest.raises(PermanentFailure, match="550"):
        SmtpTransport(app.config).send(message_to("gone@example.org"))
    assert smtp.messages == []


def test_server_down_is_temporary(app, smtp):
    smtp.stop()
    with pytest.raises(TemporaryFailure, match="Connection"):
        SmtpTransport(app.config).send(message_to("reader@example.org"))


def test_without_smtp_host_the_console_transport_logs_the_email(app, caplog):
    transport = transport_for(app.config)
    assert isinstance(transport, ConsoleTransport)
    with caplog.at_level("INFO", logger="rally.mail"):
        transport.send(message_to("dev@example.org"))
    [record] = caplog.records
    # Meant to be so on a laptop: information, not a warning, saying why it is printed.
    assert record.levelname == "INFO"
    assert record.getMessage().startswith(
        "Email not sent (no SMTP server configured: set SMTP_HOST); printed here:\nTo: "
    )
    assert "dev@example.org" in caplog.text and "Plain body" in caplog.text


# Internationalised addresses --------------------------------------------------------------


def test_without_smtputf8_the_domain_goes_out_in_punycode(app, smtp):
    assert not smtp.smtputf8
    SmtpTransport(app.config).send(message_to("ana@bücher.de"))
    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == ["ana@xn--bcher-kva.de"]
    assert "SMTPUTF8" not in envelope.mail_options
    assert smtp.messages[0]["To"] == "ana@xn--bcher-kva.de"


def test_an_ascii_address_is_sent_exactly_as_typed(app, smtp):
    SmtpTransport(app.config).send(message_to("Ada.Lovelace@Example.ORG"))
    assert smtp.envelopes[0].rcpt_tos == ["Ada.Lovelace@Example.ORG"]


@pytest.mark.parametrize("smtp", [{"smtputf8": True}], indirect=True)
@pytest.mark.parametrize("address", ["ana@bücher.de", "josé@example.org", "用户@例子.中国"])
def test_with_smtputf8_addresses_go_out_as_typed(app, smtp, address):
    SmtpTransport(app.config).send(message_to(address))
    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == [address] and "SMTPUTF8" in envelope.mail_options
    assert smtp.messages[0]["To"] == address


def test_a_non_ascii_local_part_fails_for_good_without_smtputf8(app, smtp):
    """Retrying cannot help: the email is marked failed at once, with the reason."""
    queue_email("josé@example.org", "s", "b")
    queue_email("ana@bücher.de", "s", "b")
    db.session.commit()
    report = send_due_emails()
    assert len(report.failed) == 1 and len(report.sent) == 1
    db.session.expire_all()
    failed = db.session.get(OutboxEmail, report.failed[0])
    assert failed.to_address is None and failed.recipient_hash == recipient_digest(
        "josé@example.org"
    )
    assert failed.status == Status.FAILED and failed.attempts == 1
    assert "SMTPUTF8" in failed.last_error and "josé" not in failed.last_error
    assert [e.rcpt_tos for e in smtp.envelopes] == [["ana@xn--bcher-kva.de"]]
    assert send_due_emails(now=utcnow() + timedelta(days=1)).failed == []  # never retried
