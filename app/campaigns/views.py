"""The list of open campaigns and the campaigns' share images.

The campaign page itself carries the sign form, so it lives with the signatures views.
"""

from flask import Blueprint, abort, render_template, send_file, session
from flask_babel import get_locale

from app.campaigns.pages import get_campaign_page, list_open_campaigns
from app.campaigns.share_image import count_bucket, share_image_file, share_image_url
from app.campaigns.visitors import SEEN_COUNTS, remember_seen_counts
from app.core.cache import page_cache

bp = Blueprint("campaigns", __name__)

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
