"""Emails about an organiser's account, written in the organiser's language when sent."""

from datetime import datetime

from flask import current_app

from app.core.outbox import queue_templated_email
from app.core.urls import absolute_url
from app.organisers.models import Organiser


def _hours(setting: str) -> int:
    return max(1, int(current_app.config[setting].total_seconds() // 3600))


def queue_confirm_email(organiser: Organiser, token: str, now: datetime | None = None) -> bool:
    """The link that confirms a new account's address."""
    return queue_templated_email(
        organiser.email,
        "accounts/confirm_email",
        organiser.language,
        {
            "confirm_url": absolute_url(
                "accounts.signup_confirm", token=token, lang=organiser.language
            ),
            "max_age_hours": _hours("ORGANISER_CONFIRM_MAX_AGE"),
        },
        now,
    )


def queue_signup_attempt_email(
    organiser: Organiser, language: str, now: datetime | None = None
) -> bool:
    """Tell an account's owner that someone tried to sign up with their address."""
    return queue_templated_email(
        organiser.email,
        "accounts/signup_existing",
        language,
        {
            "login_url": absolute_url("accounts.login", lang=language),
            "reset_url": absolute_url("accounts.reset_request", lang=language),
        },
        now,
    )


def queue_reset_email(organiser: Organiser, token: str, now: datetime | None = None) -> bool:
    """The single-use link to choose a new password."""
    minutes = max(1, int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60))
    return queue_templated_email(
        organiser.email,
        "accounts/reset_password",
        organiser.language,
        {
            "reset_url": absolute_url(
                "accounts.reset_password", token=token, lang=organiser.language
            ),
            "max_age_minutes": minutes,
        },
        now,
    )


def queue_password_changed_email(organiser: Organiser, now: datetime | None = None) -> bool:
    """A note that the password changed, so an owner who did not do it can act."""
    return queue_templated_email(
        organiser.email,
        "accounts/password_changed",
        organiser.language,
        {"reset_url": absolute_url("accounts.reset_request", lang=organiser.language)},
        now,
    )
