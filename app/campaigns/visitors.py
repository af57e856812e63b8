"""What each visitor was last shown, kept in their session: no page shows them an older count.

Counts come from page data cached a moment per process (or in Redis); a visitor whose next
request reaches a process holding an older copy gets it rebuilt instead.
"""

from flask import abort, session

from app.campaigns.pages import CampaignPage, get_campaign_page
from app.core.i18n import preferred_language

SEEN_COUNTS = "seen"  # session key: the highest count shown to this visitor, per campaign
SEEN_COUNTS_KEPT = 20


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
