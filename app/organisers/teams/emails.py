"""The invitation email, queued with what to write it from (templates/emails/teams/)."""

from datetime import datetime

from flask import current_app

from app.core.outbox import queue_templated_email
from app.core.urls import absolute_url


def queue_invitation_email(
    invitation, organisation, inviter, token: str, language: str, now: datetime | None = None
) -> bool:
    """Queue the email inviting `invitation.email` to join; False if over the daily cap."""
    return queue_templated_email(
        invitation.email,
        "teams/invitation",
        language,
        {
            "organisation": organisation.name,
            "inviter": inviter.email,
            "role": str(invitation.role),
            "accept_url": absolute_url("teams.invitation", token=token, lang=language),
            "max_age_days": max(1, current_app.config["INVITATION_MAX_AGE"].days),
        },
        now,
    )
