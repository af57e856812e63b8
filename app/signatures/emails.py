"""Emails to supporters, rendered in the language they signed in and put in the outbox."""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core.i18n import text_direction
from app.core.mail import queue_email
from app.core.urls import absolute_url


def _queue(signature, template: str, subject: str, **context) -> None:
    context.update(
        signature=signature,
        language=signature.language,
        direction=text_direction(signature.language),
    )
    text = render_template(f"emails/signatures/{template}.txt", **context)
    html = render_template(f"emails/signatures/{template}.html", **context)
    queue_email(signature.email, subject, text, html)


def queue_confirmation_email(signature, campaign, token: str) -> None:
    """The email with the link that confirms the signature."""
    with force_locale(signature.language):
        title = campaign.translation(signature.language).title
        _queue(
            signature,
            "confirm",
            _("Please confirm your signature: %(title)s", title=title),
            title=title,
            confirm_url=absolute_url("signatures.confirm", token=token),
            max_age_days=_max_age_days(),
        )


def queue_already_signed_email(signature, campaign) -> None:
    """Sent when someone signs again with an address that has already confirmed."""
    with force_locale(signature.language):
        title = campaign.translation(signature.language).title
        _queue(
            signature,
            "already_signed",
            _("You have already signed: %(title)s", title=title),
            title=title,
            campaign_url=absolute_url("campaigns.show", slug=campaign.slug),
        )


def _max_age_days() -> int:
    from flask import current_app

    return max(1, current_app.config["CONFIRMATION_MAX_AGE"].days)
