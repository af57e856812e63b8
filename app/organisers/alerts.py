"""Alerts to the site's admins about the platform itself: rate limits lost their Redis."""

import logging

from flask import Flask
from sqlalchemy import select

from app.core.database import utcnow
from app.core.outbox import queue_templated_email
from app.core.rate_limits import rate_limit_storage_down
from app.extensions import db
from app.organisers.models import Organiser

log = logging.getLogger("rally.alerts")


def init_app(app: Flask) -> None:
    """Email the admins when rate limits fall back to memory (once per outage and process)."""
    rate_limit_storage_down.connect(queue_storage_down_alerts)


def queue_storage_down_alerts(sender, **_) -> None:
    """Queue the alert for every confirmed site admin, in its own transaction.

    An alert must never break the request it happens in: any failure is logged only.
    """
    if sender is None:
        return
    try:
        now = utcnow()
        admins = db.session.execute(
            select(Organiser.email, Organiser.language).where(
                Organiser.is_admin.is_(True), Organiser.email_confirmed_at.is_not(None)
            )
        ).all()
        for email, language in admins:
            queue_templated_email(
                email,
                "alerts/rate_limit_storage_down",
                language,
                {"moment": now.strftime("%Y-%m-%d %H:%M")},
                now,
            )
        db.session.commit()
    except Exception:  # noqa: BLE001 - the warning is already logged; the page must go on
        db.session.rollback()
        log.exception("Could not queue the rate-limit storage alert")
