"""Turning an email into a MIME message and handing it to an SMTP server (or the log)."""

import logging
import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from app.core.addresses import ascii_domain

log = logging.getLogger("rally.mail")


class TemporaryFailure(Exception):
    """The message may go through later (connection refused, timeout, 4xx)."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx); retrying would not help."""


class Email(Protocol):
    """What a message is built from; an outbox row has these fields."""

    message_id: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    created_at: datetime


def build_message(email: Email, mail_from: str) -> EmailMessage:
    """The MIME message for an outbox row: text, plus an HTML alternative when there is one."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(email.created_at)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    return message


class SmtpTransport:
    """Deliver over SMTP and sort failures into temporary and permanent ones."""

    def __init__(self, config):
        self.host = config["SMTP_HOST"]
        self.port = config["SMTP_PORT"]
        self.username = config["SMTP_USERNAME"]
        self.password = config["SMTP_PASSWORD"]
        self.starttls = config["SMTP_STARTTLS"]
        self.use_ssl = config["SMTP_SSL"]
        self.timeout = config["SMTP_TIMEOUT"]

    def send(self, message: EmailMessage) -> None:
        """Deliver `message`, raising TemporaryFailure or PermanentFailure if refused."""
        try:
            smtp_class = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
            with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.ehlo_or_helo_if_needed()
                if not smtp.has_extn("smtputf8"):
                    _use_ascii_addresses(message)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise _classify(min(codes), str(error.recipients)) from error
        except smtplib.SMTPAuthenticationError as error:
            # A configuration problem, not the message's: keep it queued until it is fixed.
            raise TemporaryFailure(f"authentication failed: {error.smtp_code}") from error
        except smtplib.SMTPResponseException as error:
            raise _classify(error.smtp_code, _decode(error.smtp_error)) from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error


def _use_ascii_addresses(message: EmailMessage) -> None:
    """Rewrite From and To for a server without SMTPUTF8: domains in punycode.

    smtplib takes the envelope from these headers, so it changes with them. A local part
    that is not ASCII cannot be rewritten: the recipient's fails the email for good, and the
    sender's (MAIL_FROM) is a configuration problem that keeps it queued until fixed.
    """
    for name, failure in (("From", TemporaryFailure), ("To", PermanentFailure)):
        header = message[name]
        if header is None or all(a.addr_spec.isascii() for a in header.addresses):
            continue
        message.replace_header(name, [_ascii_address(a, name, failure) for a in header.addresses])


def _ascii_address(address: Address, name: str, failure: type[Exception]) -> Address:
    if address.addr_spec.isascii():
        return address
    if not address.username.isascii():
        raise failure(
            f"the {name} address has a non-ASCII local part and the SMTP server "
            "does not offer SMTPUTF8"
        )
    domain = ascii_domain(address.domain)
    if not domain.isascii():
        raise failure(f"the {name} address has a domain with no ASCII (IDNA) form")
    return Address(address.display_name, address.username, domain)


def _decode(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _classify(code: int, text: str) -> Exception:
    if 500 <= code < 600:
        return PermanentFailure(f"{code} {text}")
    return TemporaryFailure(f"{code} {text}")


class ConsoleTransport:
    """With no SMTP server configured, print emails to the log (they stay in the outbox)."""

    def send(self, message: EmailMessage) -> None:
        """Log `message`'s recipient, subject and plain text body."""
        body = message.get_body(preferencelist=("plain",))
        # INFO, not a warning: on a laptop (`make run`) this is how email is meant to work,
        # and the link to open is right here in the terminal.
        log.info(
            "Email not sent (no SMTP server configured: set SMTP_HOST); printed here:\n"
            "To: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Subject"],
            body.get_content() if body else "",
        )


def transport_for(config):
    """The transport the configuration asks for."""
    return SmtpTransport(config) if config["SMTP_HOST"] else ConsoleTransport()
