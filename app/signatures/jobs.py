"""Signature jobs: telling signers about a delivery, forgetting what was never confirmed."""

import logging

from huey import crontab

from app.campaigns.models import Campaign
from app.core.jobs import periodic_task, task
from app.extensions import db
from app.signatures.retention import forget_stale_pending_signatures
from app.signatures.services import tell_signers_of_delivery

log = logging.getLogger("rally.signatures")


@task()
def tell_signers_of_delivery_job(campaign_id: int, after_id: int = 0) -> None:
    """Queue one batch of delivery emails, then queue the job again for the next batch."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.delivered_on is None:
        return
    next_after = tell_signers_of_delivery(campaign, after_id=after_id)
    if next_after is not None:
        tell_signers_of_delivery_job(campaign_id, next_after)


@periodic_task(crontab(minute="23"))
def forget_stale_pending_signatures_job() -> None:
    """Every hour: delete pending signatures older than PENDING_RETENTION_DAYS."""
    forgotten = forget_stale_pending_signatures()
    if forgotten:
        log.info("pending signatures forgotten: %d", forgotten)
