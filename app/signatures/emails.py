"""Emails to supporters, queued with what to write them from; the sender renders them
in the language the supporter signed in (templates/emails/signatures/)."""

from datetime import datetime

from flask import current_app

from app.core.outbox import queue_templated_email
from app.core.urls import absolute_url


def queue_confirmation_email(
    signature, title: str, token: str, now: datetime | None = None
) -> bool:
    """The email with the link that confirms the signature on the campaign titled `title`
    (False if the address is over its daily cap)."""
    return queue_templated_email(
        signature.email,
        "signatures/confirm",
        signature.language,
        {
            "name": signature.name,
            "title": title,
            "confirm_url": absolute_url("signatures.confirm", token=token),
            "max_age_days": max(1, current_app.config["CONFIRMATION_MAX_AGE"].days),
        },
        now,
    )


def queue_already_signed_email(
    signature, title: str, slug: str, now: datetime | None = None
) -> bool:
    """Sent when someone signs again with an address that has already confirmed (False if
    the address is over its daily cap)."""
    return queue_templated_email(
        signature.email,
        "signatures/already_signed",
        signature.language,
        {
            "name": signature.name,
            "title": title,
            "campaign_url": absolute_url("campaigns.show", slug=slug),
        },
        now,
    )
