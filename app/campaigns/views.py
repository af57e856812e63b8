"""Public campaign pages: the list of open campaigns and one campaign with its sign form."""

import secrets

from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from app.campaigns.services import (
    CampaignPage,
    get_campaign_page,
    list_open_campaigns,
    page_cache,
)
from app.core.i18n import preferred_language
from app.signatures.forms import SignForm

bp = Blueprint("campaigns", __name__)

# Stands in for the visitor's CSRF token in a cached rendering of the page.
CSRF_SLOT = "csrf-slot-" + secrets.token_hex(12)


@bp.get("/")
def index():
    """Open campaigns with their counts."""
    language = str(get_locale())
    return cached_html(
        ("index-html", language),
        lambda: render_template("campaigns/index.html", campaigns=list_open_campaigns(language)),
    )


@bp.get("/c/<slug>")
def show(slug):
    """One campaign with its sign form."""
    page = load_campaign_page(slug)
    # Every visitor sees the same page but for the form's token: render it once a moment.
    html = cached_html(
        ("show-html", slug, page.language, str(get_locale())),
        lambda: render_campaign_page(
            page, SignForm(required_fields=page.required_fields), csrf_value=CSRF_SLOT
        )[0],
    )
    return html.replace(CSRF_SLOT, generate_csrf())


def cached_html(key, render) -> str:
    """Reuse a rendering for PAGE_CACHE_SECONDS (the same lifetime as the page data)."""
    return page_cache.get_or_compute(key, current_app.config["PAGE_CACHE_SECONDS"], render)


def load_campaign_page(slug: str) -> CampaignPage:
    """The cached page data for a public campaign, or a 404."""
    page = get_campaign_page(slug, preferred_language)
    if page is None:
        abort(404)
    return page


def render_campaign_page(page: CampaignPage, form: SignForm, status=200, csrf_value=None):
    """The campaign page; the sign view uses it to show the form again with its errors."""
    html = render_template(
        "campaigns/show.html",
        page=page,
        form=form,
        csrf_value=csrf_value or generate_csrf(),
        share_url=current_app.config["BASE_URL"] + "/c/" + page.slug,
    )
    return html, status
