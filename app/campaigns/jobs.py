"""Campaign jobs: closing campaigns past their deadline, goals reached, drawing share images."""

import logging

from huey import crontab
from sqlalchemy import select

from app.campaigns.counts import confirmed_counts
from app.campaigns.goals import announce_reached_goals
from app.campaigns.models import Campaign, CampaignTranslation
from app.campaigns.pages import get_campaign_page
from app.campaigns.services import close_expired_campaigns
from app.campaigns.share_image import count_bucket, prerender_share_image
from app.core.database import begin_read_only
from app.core.jobs import periodic_task, task
from app.extensions import db

log = logging.getLogger("rally.campaigns")


@periodic_task(crontab(minute="*"))
def close_expired_campaigns_job() -> None:
    """Every minute: close the open campaigns whose deadline has passed."""
    closed = close_expired_campaigns()
    if closed:
        log.info("closed campaigns past their deadline: %s", ", ".join(closed))


@periodic_task(crontab(minute="*"))
def announce_reached_goals_job() -> None:
    """Every minute: announce any goal reached that its confirmations did not announce."""
    announced = announce_reached_goals()
    if announced:
        log.info("announced %d reached goals late", announced)


@task()
def prerender_share_image_job(slug: str, language: str, bucket: int = 0) -> None:
    """Draw the share image of a campaign page's current count bucket, if not drawn yet.

    `bucket` is the count bucket the caller saw committed: page data cached from before
    that count is rebuilt first, so the job never draws (or finds) an older bucket's image.
    """
    page = get_campaign_page(
        slug,
        lambda available, default: language if language in available else default,
        seen_count=bucket,
    )
    if page is not None and page.language == language:
        prerender_share_image(page)


def queue_share_images_after_counting(
    campaign_id: int,
    added: int,
    total: int | None = None,
    slug: str = "",
    languages: tuple[str, ...] = (),
) -> None:
    """Call after committing `added` confirmations (negative: taken away) of a campaign.

    When they moved its confirmed count into another count bucket, queue the drawing of
    the new bucket's share image in each of the campaign's languages, so no crawler waits
    for it. `total` (the count the committing transaction saw), `slug` and `languages`
    save reading them again when the caller knows them. Never raises: a queue that cannot
    be reached leaves the drawing to the image's first request, as without this, and the
    confirmation stands. Confirmations committed at the same moment may each read a total
    past the boundary they crossed together, and then none queues: the first request
    draws that image.
    """
    if not added:
        return
    try:
        after = total
        if after is None:
            begin_read_only(db.session)
            after = confirmed_counts([campaign_id])[campaign_id]
            db.session.rollback()
        if count_bucket(after) == count_bucket(after - added):
            return
        pages = [(slug, language) for language in languages]
        if not pages:
            begin_read_only(db.session)
            pages = db.session.execute(
                select(Campaign.slug, CampaignTranslation.language)
                .join(CampaignTranslation, CampaignTranslation.campaign_id == Campaign.id)
                .where(Campaign.id == campaign_id)
                .order_by(CampaignTranslation.language)
            ).all()
            db.session.rollback()
        for page_slug, language in pages:
            prerender_share_image_job(page_slug, language, count_bucket(after))
    except Exception:  # noqa: BLE001 - the counting is committed; the image can wait
        db.session.rollback()
        log.exception("could not queue the share images of campaign %s", campaign_id)
