"""Signature jobs: telling signers about a delivery, and alerting teams to surges of signing."""

import logging

from app.campaigns.models import Campaign
from app.core.jobs import configured_app, periodic_task, task
from app.extensions import db
from app.signatures import review
from app.signatures.review import send_review_alerts
from app.signatures.services import tell_signers_of_delivery

log = logging.getLogger("rally.signatures")


def is_alert_minute(moment) -> bool:
    """Huey's schedule test (a naive UTC time): every FRAUD_ALERT_MINUTES minutes."""
    with configured_app().app_context():
        return review.is_alert_minute(moment)


@task()
def tell_signers_of_delivery_job(campaign_id: int, after_id: int = 0) -> None:
    """Queue one batch of delivery emails, then queue the job again for the next batch."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.delivered_on is None:
        return
    next_after = tell_signers_of_delivery(campaign, after_id=after_id)
    if next_after is not None:
        tell_signers_of_delivery_job(campaign_id, next_after)


@periodic_task(is_alert_minute)
def send_review_alerts_job() -> None:
    """Every FRAUD_ALERT_MINUTES: email teams about IP hashes, networks or domains surging."""
    sent = send_review_alerts()
    if sent:
        log.info("review alerts sent: %d", sent)
