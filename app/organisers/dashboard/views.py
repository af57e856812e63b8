"""Dashboard pages: the organiser's home, a campaign's figures, and its signatures."""

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.core.countries import country_choices
from app.core.database import MAX_ROW_ID
from app.organisers.access import campaign_role, organisations_of, organiser_required
from app.organisers.dashboard.charts import daily_bar_chart
from app.organisers.dashboard.services import (
    CHART_DAYS,
    campaign_figures,
    signature_page,
    visible_campaigns,
)
from app.organisers.models import Role
from app.signatures.models import CONFIRMED, STATES

bp = Blueprint("dashboard", __name__)


@bp.after_request
def never_store(response):
    """Organisers' pages show people's data and live figures: no cache keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _language() -> str:
    return str(get_locale() or "en")


@bp.get("/dashboard")
@organiser_required
def home():
    """The organiser's organisations and the campaigns they can see."""
    language = _language()
    return render_template(
        "dashboard/home.html",
        heading=_("Dashboard"),
        organisations=organisations_of(current_user),
        campaigns=visible_campaigns(current_user, language),
    )


@bp.get("/dashboard/campaigns/<int:campaign_id>")
@campaign_role(Role.VIEWER)
def campaign(campaign, role):
    """A campaign's figures: counts, signatures per day, top countries and places."""
    language = _language()
    figures = campaign_figures(campaign, language)
    chart = daily_bar_chart(
        figures.days,
        _("Confirmed signatures per day, last %(days)d days", days=CHART_DAYS),
        _("%(day)s: %(count)s confirmed"),
    )
    return render_template(
        "dashboard/campaign.html",
        heading=campaign.translation(language).title,
        campaign=campaign,
        role=role,
        figures=figures,
        chart=chart,
        may_see_signatures=role.includes(Role.EDITOR),
    )


def _row_id(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ROW_ID else None


@bp.get("/dashboard/campaigns/<int:campaign_id>/signatures")
@campaign_role(Role.EDITOR)
def signatures(campaign, role):
    """Signatures, newest first, 50 a page; filter by state, search by address or name."""
    state = request.args.get("state", CONFIRMED)
    state = state if state in STATES else CONFIRMED
    q = request.args.get("q", "")[:200]
    before = _row_id("before")
    after = None if before else _row_id("after")
    page = signature_page(campaign, state=state, q=q, before=before, after=after)
    language = _language()
    return render_template(
        "dashboard/signatures.html",
        heading=_("Signatures: %(title)s", title=campaign.translation(language).title),
        campaign=campaign,
        page=page,
        state=state,
        states=STATES,
        q=q,
        country_names=dict(country_choices(language)),
    )
