"""Emails to supporters, rendered in the language they signed in and put in the outbox."""

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core.i18n import text_direction
from app.core.mail import queue_email
from app.core.urls import absolute_url


def _queue(signature, title: str, template: str, subject, **context) -> None:
    """Render `template` (.txt and .html) and its subject in the signer's language, and queue it."""
    with force_locale(signature.language):
        context.update(
            signature=signature,
            title=title,
            language=signature.language,
            direction=text_direction(signature.language),
        )
        text = render_template(f"emails/signatures/{template}.txt", **context)
        html = render_template(f"emails/signatures/{template}.html", **context)
        queue_email(signature.email, subject(title), text, html)


def queue_confirmation_email(signature, title: str, token: str) -> None:
    """The email with the link that confirms the signature on the campaign titled `title`."""
    _queue(
        signature,
        title,
        "confirm",
        lambda title: _("Please confirm your signature: %(title)s", title=title),
        confirm_url=absolute_url("signatures.confirm", token=token),
        max_age_days=max(1, current_app.config["CONFIRMATION_MAX_AGE"].days),
    )


def queue_already_signed_email(signature, title: str, slug: str) -> None:
    """Sent when someone signs again with an address that has already confirmed."""
    _queue(
        signature,
        title,
        "already_signed",
        lambda title: _("You have already signed: %(title)s", title=title),
        campaign_url=absolute_url("campaigns.show", slug=slug),
    )
