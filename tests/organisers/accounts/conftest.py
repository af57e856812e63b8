"""Helpers to read emailed links."""

import re

from app.core.outbox import send_due_emails


def deliver():
    """Send what the outbox holds to the test's SMTP sink."""
    return send_due_emails()


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def emailed_link(smtp, address: str, path_prefix: str) -> str:
    """The full URL starting with BASE_URL + `path_prefix` in the latest email to `address`."""
    deliver()
    messages = smtp.messages_to(address)
    assert messages, f"no email to {address}"
    match = re.search(
        r"(https?://[^/\s]+)(" + re.escape(path_prefix) + r"\S*)", body_of(messages[-1])
    )
    assert match, body_of(messages[-1])
    return match.group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)
