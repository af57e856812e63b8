"""Campaign jobs: closing campaigns whose deadline has passed, drawing share images."""

import logging

from huey import crontab

from app.campaigns.pages import get_campaign_page
from app.campaigns.services import close_expired_campaigns
from app.campaigns.share_image import prerender_share_image
from app.core.jobs import periodic_task, task

log = logging.getLogger("rally.campaigns")


@periodic_task(crontab(minute="*"))
def close_expired_campaigns_job() -> None:
    """Every minute: close the open campaigns whose deadline has passed."""
    closed = close_expired_campaigns()
    if closed:
        log.info("closed campaigns past their deadline: %s", ", ".join(closed))


@task()
def prerender_share_image_job(slug: str, language: str) -> None:
    """Draw the share image of a campaign page's current count bucket, if not drawn yet."""
    page = get_campaign_page(
        slug, lambda available, default: language if language in available else default
    )
    if page is not None and page.language == language:
        prerender_share_image(page)
