"""The SMTP transport against a real server: the message it builds, how it sorts failures."""

import pytest

from app.core.database import utcnow
from app.core.outbox import OutboxEmail
from app.core.smtp import (
    ConsoleTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    build_message,
    transport_for,
)

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
    with caplog.at_level("WARNING", logger="rally.mail"):
        transport.send(message_to("dev@example.org"))
    assert "dev@example.org" in caplog.text and "Plain body" in caplog.text
