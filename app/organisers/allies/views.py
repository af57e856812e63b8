"""Allies pages: a campaign's allies for its team, and each ally's stats behind a secret link."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.core.headers import never_store
from app.core.rate_limits import limiter
from app.core.urls import absolute_url
from app.organisers.access import campaign_role
from app.organisers.allies import services
from app.organisers.allies.forms import AllyForm, EditAllyForm, FramingForm
from app.organisers.dashboard.charts import daily_bar_chart
from app.organisers.models import Role

bp = Blueprint("allies", __name__)


bp.after_request(never_store)


def _title(campaign) -> str:
    return campaign.translation(str(get_locale() or "en")).title


def _ally_or_404(campaign, ally_id: int):
    ally = services.campaign_ally_by_id(campaign, ally_id)
    if ally is None:
        abort(404)
    return ally


def _back(campaign):
    return redirect(url_for(".index", campaign_id=campaign.id), code=303)


@bp.get("/dashboard/campaigns/<int:campaign_id>/allies")
@campaign_role(Role.VIEWER)
def index(campaign, role):
    """The allies, what each brought, their links; editors also change them."""
    return render_template(
        "allies/index.html",
        heading=_("Allies: %(title)s", title=_title(campaign)),
        campaign=campaign,
        rows=services.campaign_allies(campaign),
        may_edit=role.includes(Role.EDITOR),
        framing_form=FramingForm(formdata=None, obj=campaign),
        campaign_url=absolute_url("signatures.sign_page", slug=campaign.slug),
        widget_url=absolute_url("embed.widget", slug=campaign.slug),
        stats_url=lambda ally: absolute_url("allies.stats", stats_key=ally.stats_key),
    )


def _render_form(campaign, form, ally=None, status=200):
    heading = _("Change an ally") if ally else _("Add an ally")
    return render_template(
        "allies/form.html", heading=heading, campaign=campaign, form=form, ally=ally
    ), status


@bp.route("/dashboard/campaigns/<int:campaign_id>/allies/new", methods=["GET", "POST"])
@campaign_role(Role.EDITOR)
def add(campaign, role):
    """Register an ally with its referrer code, sites and question."""
    form = AllyForm() if request.method == "POST" else AllyForm(formdata=None)
    if request.method == "GET" or not form.validate():
        return _render_form(campaign, form, status=400 if request.method == "POST" else 200)
    if services.code_is_taken(campaign, form.code.data):
        form.code.errors.append(_("Another ally of this campaign has this code. Choose another."))
        return _render_form(campaign, form, status=400)
    try:
        services.add_ally(
            campaign,
            current_user.id,
            form.name.data,
            form.code.data,
            form.site_list(),
            form.contact_question.data or "",
        )
    except services.CodeTaken:
        form.code.errors.append(_("Another ally of this campaign has this code. Choose another."))
        return _render_form(campaign, form, status=400)
    flash(_("The ally is added. Send them their links and their stats link."))
    return _back(campaign)


@bp.route(
    "/dashboard/campaigns/<int:campaign_id>/allies/<int:ally_id>/edit", methods=["GET", "POST"]
)
@campaign_role(Role.EDITOR)
def edit(campaign, role, ally_id):
    """Change an ally's name, sites and question (not its code)."""
    ally = _ally_or_404(campaign, ally_id)
    if request.method == "GET":
        form = EditAllyForm(formdata=None, obj=ally)
        return _render_form(campaign, form, ally)
    form = EditAllyForm()
    if not form.validate():
        return _render_form(campaign, form, ally, status=400)
    services.update_ally(
        ally,
        campaign,
        current_user.id,
        form.name.data,
        form.site_list(),
        form.contact_question.data or "",
    )
    flash(_("The ally's details are saved."))
    return _back(campaign)


@bp.post("/dashboard/campaigns/<int:campaign_id>/allies/<int:ally_id>/remove")
@campaign_role(Role.EDITOR)
def remove(campaign, role, ally_id):
    """Remove an ally; the signatures it brought keep its code and still count."""
    services.remove_ally(_ally_or_404(campaign, ally_id), campaign, current_user.id)
    flash(_("The ally is removed. The signatures it brought still count."))
    return _back(campaign)


@bp.post("/dashboard/campaigns/<int:campaign_id>/allies/<int:ally_id>/new-link")
@campaign_role(Role.EDITOR)
def new_stats_link(campaign, role, ally_id):
    """Replace the ally's stats link; the old one stops working."""
    services.renew_stats_link(_ally_or_404(campaign, ally_id), campaign, current_user.id)
    flash(_("The ally has a new stats link. The old one no longer works."))
    return _back(campaign)


@bp.post("/dashboard/campaigns/<int:campaign_id>/allies/framing")
@campaign_role(Role.EDITOR)
def framing(campaign, role):
    """Let only the allies' sites show the widget, or any site."""
    form = FramingForm()
    services.set_widget_allies_only(campaign, current_user.id, bool(form.widget_allies_only.data))
    if form.widget_allies_only.data:
        flash(_("Only the allies' sites may show the widget now."))
    else:
        flash(_("Any site may show the widget now."))
    return _back(campaign)


@bp.get("/allies/<stats_key>")
@limiter.limit("60 per minute")
def stats(stats_key):
    """An ally's counts: confirmed signatures its code brought, in all and per day."""
    ally = services.ally_by_stats_key(stats_key)
    if ally is None:
        abort(404)
    figures = services.ally_stats(ally)
    chart = daily_bar_chart(
        figures.days,
        _("Confirmed signatures per day, last %(days)d days", days=services.STATS_DAYS),
        _("%(day)s: %(count)s confirmed"),
    )
    campaign = ally.campaign
    return render_template(
        "allies/stats.html",
        ally=ally,
        campaign=campaign,
        title=_title(campaign),
        title_language=campaign.translation(str(get_locale() or "en")).language,
        figures=figures,
        chart=chart,
    )
