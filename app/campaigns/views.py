"""Public campaign pages: the list of open campaigns and one campaign with its sign form."""

import secrets

from flask import Blueprint, abort, current_app, render_template, session, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from app.campaigns.pages import CampaignPage, get_campaign_page, list_open_campaigns
from app.core.cache import page_cache
from app.core.i18n import preferred_language
from app.signatures.forms import SignForm

bp = Blueprint("campaigns", __name__)

CSRF_SLOT_KEY = "campaigns.csrf_slot"
SEEN_COUNTS = "seen"  # session key: the highest count shown to this visitor, per campaign
SEEN_COUNTS_KEPT = 20


@bp.record_once
def _give_the_app_a_csrf_slot(state):
    # Stands in for the visitor's CSRF token in a cached rendering of the page; random
    # per app so no one can plant it in page content.
    state.app.extensions[CSRF_SLOT_KEY] = "csrf-slot-" + secrets.token_hex(12)


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


@bp.get("/c/<slug>")
def show(slug):
    """One campaign with its sign form."""
    page = load_campaign_page(slug)
    slot = current_app.extensions[CSRF_SLOT_KEY]
    # Every visitor sees the same page but for the form's token: render it once a moment,
    # keyed by the data it shows so a newer count never meets an older rendering.
    html = page_cache().get_or_compute(
        ("show-html", slug, page.language, str(get_locale()), page.count, page.updated_at),
        lambda: render_campaign_page(
            page, SignForm(required_fields=page.required_fields), csrf_value=slot
        )[0],
    )
    return html.replace(slot, generate_csrf())


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


def render_campaign_page(
    page: CampaignPage, form: SignForm, status=200, csrf_value=None, keep_form=False
):
    """The campaign page and `status`, as a view returns them.

    The sign view uses it to show the form again with its errors (`keep_form` shows it
    even if the campaign closed meanwhile, with what was typed).
    """
    html = render_template(
        "campaigns/show.html",
        page=page,
        form=form,
        show_form=page.accepting or keep_form,
        csrf_value=csrf_value or generate_csrf(),
        share_url=current_app.config["BASE_URL"] + "/c/" + page.slug,
        # The language switcher leads here, also from the sign POST's error page.
        page_path=url_for("campaigns.show", slug=page.slug),
    )
    return html, status
