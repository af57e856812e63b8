"""Emails to supporters, queued with what to write them from.

The sender renders them in the language the supporter signed in
(templates/emails/signatures/); their links carry that language too.
"""

from datetime import datetime

from flask import current_app

from app.core.outbox import queue_templated_email
from app.core.urls import absolute_url


def queue_confirmation_email(
    signature, title: str, token: str, now: datetime | None = None
) -> bool:
    """Queue the email that confirms the signature, or removes it ("I did not sign this").

    Returns False if the address is over its daily cap.
    """
    # Links carry the email's language, so a page opened on another device matches it.
    language = signature.language
    return queue_templated_email(
        signature.email,
        "signatures/confirm",
        language,
        {
            "name": signature.name,
            "title": title,
            "confirm_url": absolute_url("signatures.confirm", token=token, lang=language),
            "not_me_url": absolute_url("signatures.not_me", token=token, lang=language),
            "max_age_days": max(1, current_app.config["CONFIRMATION_MAX_AGE"].days),
        },
        now,
    )


def queue_already_signed_email(
    signature, title: str, slug: str, now: datetime | None = None
) -> bool:
    """Queue the note for someone signing again after confirming (False over the daily cap)."""
    return queue_templated_email(
        signature.email,
        "signatures/already_signed",
        signature.language,
        {
            "name": signature.name,
            "title": title,
            "campaign_url": absolute_url(
                "signatures.sign_page", slug=slug, lang=signature.language
            ),
        },
        now,
    )


def queue_delivery_email(signature, title: str, slug: str, delivered_to: str, delivered_on, now):
    """Tell a signer who agreed to hear from the organisers that the petition was delivered."""
    return queue_templated_email(
        signature.email,
        "signatures/delivered",
        signature.language,
        {
            "name": signature.name,
            "title": title,
            "delivered_to": delivered_to,
            "delivered_on": delivered_on.isoformat(),
            "campaign_url": absolute_url(
                "signatures.sign_page", slug=slug, lang=signature.language
            ),
        },
        now,
    )
