"""The review desk's job: alerting teams to surges of signing on their campaigns."""

import logging

from app.core.jobs import configured_app, periodic_task
from app.organisers.review import alerts

log = logging.getLogger("rally.organisers")


def is_alert_minute(moment) -> bool:
    """Huey's schedule test (a naive UTC time): every FRAUD_ALERT_MINUTES minutes."""
    with configured_app().app_context():
        return alerts.is_alert_minute(moment)


@periodic_task(is_alert_minute)
def send_review_alerts_job() -> None:
    """Every FRAUD_ALERT_MINUTES: email teams about IP hashes, networks or domains surging."""
    sent = alerts.send_review_alerts()
    if sent:
        log.info("review alerts sent: %d", sent)
