"""Dashboard pages: home, a campaign's figures, its signatures, its share kit."""

from flask import (
    Blueprint,
    Response,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename

from app.core.countries import country_choices
from app.core.headers import never_store
from app.core.i18n import page_language
from app.organisers.access import campaign_role, organisations_of, organiser_required
from app.organisers.allies.services import ally_names
from app.organisers.dashboard import qr
from app.organisers.dashboard.charts import daily_bar_chart
from app.organisers.dashboard.forms import (
    ShareOptionsForm,
    signature_list_args,
)
from app.organisers.dashboard.services import (
    CHART_DAYS,
    campaign_figures,
    names_to_review_count,
    signature_page,
    visible_campaigns,
)
from app.organisers.dashboard.share_kit import channel_name, make_share_kit
from app.organisers.models import Role
from app.signatures.models import STATES

bp = Blueprint("dashboard", __name__)


bp.after_request(never_store)


@bp.get("/dashboard")
@organiser_required
def home():
    """The organiser's organisations and the campaigns they can see."""
    language = page_language()
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
    language = page_language()
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
        channel_name=channel_name,
        may_see_signatures=role.includes(Role.EDITOR),
        to_review=names_to_review_count(campaign) if role.includes(Role.EDITOR) else 0,
    )


@bp.get("/dashboard/campaigns/<int:campaign_id>/qr.svg")
@campaign_role(Role.VIEWER)
def qr_svg(campaign, role):
    """The campaign link with ?source=qr as an SVG QR code to download (for print)."""
    return _qr_download(campaign, qr.qr_svg, "svg", "image/svg+xml")


@bp.get("/dashboard/campaigns/<int:campaign_id>/qr.png")
@campaign_role(Role.VIEWER)
def qr_png(campaign, role):
    """The campaign link with ?source=qr as a PNG QR code to download."""
    return _qr_download(campaign, qr.qr_png, "png", "image/png")


@bp.get("/dashboard/campaigns/<int:campaign_id>/share")
@campaign_role(Role.VIEWER)
def share(campaign, role):
    """Links per channel, QR codes, the widget's snippets and a live preview of the widget."""
    form = ShareOptionsForm(
        formdata=request.args,
        languages=campaign.languages,
        default_language=campaign.default_language,
        allies=ally_choices(campaign),
    )
    valid = form.validate()
    language = form.language.data if not form.language.errors else campaign.default_language
    kit = make_share_kit(
        campaign,
        language,
        referrer=form.referrer.data if not form.referrer.errors else "",
        own_source=form.source.data if valid else "",
    )
    return render_template(
        "dashboard/share.html",
        heading=_("Share and embed: %(title)s", title=campaign.translation(page_language()).title),
        campaign=campaign,
        form=form,
        kit=kit,
        channel_name=channel_name,
    ), 200 if valid else 400


def ally_choices(campaign) -> list[tuple[str, str]]:
    """The campaign's allies as (referrer code, "name (code)") choices, by name."""
    names = ally_names(campaign.id)
    return sorted(((code, f"{name} ({code})") for code, name in names.items()), key=lambda c: c[1])


def _qr_download(campaign, draw, extension: str, mimetype: str) -> Response:
    filename = secure_filename(f"{campaign.slug}-qr.{extension}") or f"campaign-qr.{extension}"
    return Response(
        draw(qr.campaign_qr_url(campaign)),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/dashboard/campaigns/<int:campaign_id>/signatures")
@campaign_role(Role.EDITOR)
def signatures(campaign, role):
    """Signatures, newest first, 50 a page; filter by state, search by address or name.

    `?review=names` lists the names held for review instead.
    """
    args = signature_list_args(request.args)
    page = signature_page(
        campaign,
        state=args["state"],
        q=args.get("q", ""),
        before=args.get("before"),
        after=args.get("after"),
        names_to_review="review" in args,
    )
    language = page_language()
    return render_template(
        "dashboard/signatures.html",
        heading=_("Signatures: %(title)s", title=campaign.translation(language).title),
        campaign=campaign,
        page=page,
        state=args["state"],
        states=STATES,
        q=args.get("q", ""),
        reviewing="review" in args,
        to_review=names_to_review_count(campaign),
        list_args=args,
        country_names=dict(country_choices(language)),
    )
