"""Campaign jobs: closing campaigns whose deadline has passed."""

import logging

from huey import crontab

from app.campaigns.services import close_expired_campaigns
from app.core.jobs import periodic_task

log = logging.getLogger("rally.campaigns")


@periodic_task(crontab(minute="*"))
def close_expired_campaigns_job() -> None:
    """Every minute: close the open campaigns whose deadline has passed."""
    closed = close_expired_campaigns()
    if closed:
        log.info("closed campaigns past their deadline: %s", ", ".join(closed))
