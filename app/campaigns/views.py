"""The list of open campaigns, and loading a campaign's page data for the views that show it.

The campaign page itself carries the sign form, so it lives with the signatures views.
"""

from flask import Blueprint, abort, render_template, send_file, session
from flask_babel import get_locale

from app.campaigns.pages import CampaignPage, get_campaign_page, list_open_campaigns
from app.campaigns.share_image import count_bucket, share_image_file, share_image_url
from app.core.cache import page_cache
from app.core.i18n import preferred_language

bp = Blueprint("campaigns", __name__)

SEEN_COUNTS = "seen"  # session key: the highest count shown to this visitor, per campaign
SEEN_COUNTS_KEPT = 20
SHARE_IMAGE_MAX_AGE = 365 * 24 * 3600

# Templates build the og:image link with it; the image is drawn later, when asked for.
bp.add_app_template_global(share_image_url, "share_image_url")


@bp.get("/")
def index():
    """Open campaigns with their counts."""
    language = str(get_locale())
    seen = session.get(SEEN_COUNTS, {})
    campaigns = list_open_campaigns(language, seen)
    remember_seen_counts(campaigns, seen)
    return page_cache().get_or_compute(
        ("index-html", language, tuple((c.slug, c.count) for c in campaigns)),
        lambda: render_template("campaigns/index.html", campaigns=campaigns),
    )


def load_campaign_page(slug: str) -> CampaignPage:
    """The cached page data for a public campaign, or a 404.

    It is never older than what this visitor was last shown.
    """
    seen = session.get(SEEN_COUNTS, {})
    page = get_campaign_page(slug, preferred_language, seen_count=seen.get(slug, 0))
    if page is None:
        abort(404)
    remember_seen_counts([page], seen)
    return page


def remember_seen_counts(shown, seen: dict) -> None:
    """Keep the counts this visitor was shown (pages or list entries) in their session.

    Only the latest SEEN_COUNTS_KEPT campaigns are kept. A count is never lower than before
    unless a fresh read found it lower (an invalidation).
    """
    changed = [item for item in shown if seen.get(item.slug) != item.count]
    if not changed:
        return
    seen = {slug: count for slug, count in seen.items() if slug not in {c.slug for c in changed}}
    seen.update((item.slug, item.count) for item in changed)
    session[SEEN_COUNTS] = dict(list(seen.items())[-SEEN_COUNTS_KEPT:])


@bp.get("/c/<slug>/share-<language>-<int:bucket>.png")
def share_image(slug, language, bucket):
    """The campaign's share image for a language and count bucket (404 for any other)."""
    page = get_campaign_page(
        slug,
        lambda available, default: language if language in available else default,
        # A visitor may have been shown a newer count than the cached page data holds.
        seen_count=bucket if bucket == count_bucket(bucket) else 0,
    )
    if page is None or page.language != language:
        abort(404)
    path = share_image_file(page, bucket)
    if path is None:
        abort(404)
    # The URL changes with the count bucket, so each version may be kept for good; no
    # session is read or written here, so shared caches may keep it too.
    response = send_file(
        path,
        mimetype="image/png",
        max_age=SHARE_IMAGE_MAX_AGE,
        download_name=f"{slug}-{language}-{bucket}.png",
    )
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
