"""Public campaign pages: the list of open campaigns and one campaign with its sign form."""

from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale

from app.campaigns.services import CampaignPage, get_campaign_page, list_open_campaigns
from app.core.i18n import preferred_language
from app.signatures.forms import SignForm

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def index():
    campaigns = list_open_campaigns(str(get_locale()))
    return render_template("campaigns/index.html", campaigns=campaigns)


@bp.get("/c/<slug>")
def show(slug):
    page = load_campaign_page(slug)
    form = SignForm(required_fields=page.required_fields)
    return render_campaign_page(page, form)


def load_campaign_page(slug: str) -> CampaignPage:
    """The cached page data for a public campaign, or a 404."""
    page = get_campaign_page(slug, preferred_language)
    if page is None:
        abort(404)
    return page


def render_campaign_page(page: CampaignPage, form: SignForm, status: int = 200):
    """The campaign page; also used to show the sign form again with its errors."""
    return (
        render_template(
            "campaigns/show.html",
            page=page,
            form=form,
            share_url=current_app.config["BASE_URL"] + "/c/" + page.slug,
        ),
        status,
    )
