"""Dashboard pages: home, a campaign's figures, its signatures and names, its review desk."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename

from app.core.countries import country_choices
from app.core.database import is_row_id
from app.core.headers import never_store
from app.core.i18n import page_language
from app.organisers import review as review_desk
from app.organisers.access import campaign_role, organisations_of, organiser_required
from app.organisers.allies.services import ally_names
from app.organisers.dashboard import qr
from app.organisers.dashboard.charts import daily_bar_chart, hourly_bar_chart
from app.organisers.dashboard.forms import (
    FILTER_FIELDS,
    ActionForm,
    FilterForm,
    ShareOptionsForm,
    UndoForm,
    rule_name,
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
from app.signatures.models import CONFIRMED, STATES
from app.signatures.services import (
    approve_signer_name,
    campaign_signature,
    hide_signer_name,
    show_signer_name,
)

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


def _row_id(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if is_row_id(value) else None


REVIEW_NAMES = "names"  # ?review= for the names the word list held


def _list_args() -> dict:
    """The signature list's filters and page from the query string, checked, None dropped."""
    state = request.args.get("state", CONFIRMED)
    before = _row_id("before")
    args = {
        "state": state if state in STATES else CONFIRMED,
        "q": request.args.get("q", "")[:200] or None,
        "review": REVIEW_NAMES if request.args.get("review") == REVIEW_NAMES else None,
        "before": before,
        "after": None if before else _row_id("after"),
    }
    return {name: value for name, value in args.items() if value is not None}


@bp.get("/dashboard/campaigns/<int:campaign_id>/signatures")
@campaign_role(Role.EDITOR)
def signatures(campaign, role):
    """Signatures, newest first, 50 a page; filter by state, search by address or name.

    `?review=names` lists the names held for review instead.
    """
    args = _list_args()
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


def _review_name(campaign, signature_id: int, review, message: str):
    """Apply one name decision, then back to the list as it was, at that row."""
    signature = campaign_signature(campaign, signature_id)
    if signature is None:
        abort(404)
    review(signature, current_user.id)
    flash(message)
    return redirect(
        url_for(
            ".signatures",
            campaign_id=campaign.id,
            **_list_args(),
            _anchor=f"signature-{signature_id}",
        ),
        code=303,
    )


@bp.post("/dashboard/campaigns/<int:campaign_id>/signatures/<int:signature_id>/hide-name")
@campaign_role(Role.EDITOR)
def hide_name(campaign, role, signature_id):
    """Keep a signer's name off public lists; it still counts and is still delivered."""
    return _review_name(
        campaign, signature_id, hide_signer_name, _("The name is hidden from public lists.")
    )


@bp.post("/dashboard/campaigns/<int:campaign_id>/signatures/<int:signature_id>/show-name")
@campaign_role(Role.EDITOR)
def show_name(campaign, role, signature_id):
    """Show a hidden name in public lists again (if the signer chose to be shown)."""
    return _review_name(
        campaign,
        signature_id,
        show_signer_name,
        _("The name shows in public lists again if the signer chose to be shown."),
    )


@bp.post("/dashboard/campaigns/<int:campaign_id>/signatures/<int:signature_id>/allow-name")
@campaign_role(Role.EDITOR)
def approve_name(campaign, role, signature_id):
    """Allow a name the word list held."""
    return _review_name(
        campaign, signature_id, approve_signer_name, _("The name is allowed in public lists.")
    )


# Review desk --------------------------------------------------------------------------


def _review_page(campaign, role, filter_form, status=200, selection=None, **forms):
    """The review desk: figures for everyone, the filter's selection and actions for editors.

    `forms` may carry an action_form, or an undo_form with its undo_id, shown with errors.
    """
    figures = review_desk.review_figures(campaign)
    chart = hourly_bar_chart(
        figures.hours,
        _("Signatures per hour, last %(hours)d hours (UTC)", hours=review_desk.REVIEW_HOURS),
        _("%(hour)s: %(count)s signatures"),
    )
    may_act = role.includes(Role.EDITOR)
    return render_template(
        "dashboard/review.html",
        heading=_("Review: %(title)s", title=campaign.translation(page_language()).title),
        campaign=campaign,
        figures=figures,
        chart=chart,
        may_act=may_act,
        filter_form=filter_form,
        selection=selection,
        matching=review_desk.matching_counts(campaign, selection) if selection else None,
        action_form=forms.get("action_form") or ActionForm(formdata=None),
        undo_form=forms.get("undo_form") or UndoForm(formdata=None),
        undo_id=forms.get("undo_id"),
        problem=forms.get("problem"),
        actions=review_desk.recent_actions(campaign) if may_act else [],
        rule_name=rule_name,
        done=_row_id("done"),
        undone=_row_id("undone"),
    ), status


@bp.get("/dashboard/campaigns/<int:campaign_id>/review")
@campaign_role(Role.VIEWER)
def review(campaign, role):
    """Fraud figures; for editors and owners also bulk actions on a filtered selection."""
    form = FilterForm(formdata=request.args)
    # Viewers see figures only: no selection is counted for them.
    selecting = role.includes(Role.EDITOR) and form.given() and form.validate()
    selection = form.review_filter() if selecting else None
    return _review_page(campaign, role, form, selection=selection)


@bp.post("/dashboard/campaigns/<int:campaign_id>/review/actions")
@campaign_role(Role.EDITOR)
def review_act(campaign, role):
    """Invalidate or release the filtered signatures, with the reason given."""
    form = ActionForm()
    valid = form.validate()
    # A condition with an error is no condition at all: acting without it would select more.
    malformed = any(form[name].errors for name in FILTER_FIELDS)
    selection = None if malformed else form.review_filter()
    if not valid or selection is None:
        # The selection stays on screen with the reason's error next to its field.
        return _review_page(campaign, role, form, 400, selection=selection, action_form=form)
    act = (
        review_desk.release_signatures
        if form.kind.data == review_desk.RELEASE
        else review_desk.invalidate_signatures
    )
    action = act(campaign, selection, current_user, form.reason.data)
    return redirect(url_for(".review", campaign_id=campaign.id, done=action.id), code=303)


@bp.post("/dashboard/campaigns/<int:campaign_id>/review/actions/<int:action_id>/undo")
@campaign_role(Role.EDITOR)
def review_undo(campaign, role, action_id):
    """Undo one of the campaign's bulk actions, with the reason given."""
    action = review_desk.campaign_action(campaign, action_id)
    if action is None:
        abort(404)
    form = UndoForm()
    if not form.validate():
        return _review_page(
            campaign, role, FilterForm(formdata=None), 400, undo_form=form, undo_id=action_id
        )
    try:
        review_desk.undo_review_action(action, current_user, form.reason.data)
    except review_desk.AlreadyUndone:
        problem = _("This action was undone already.")
        return _review_page(campaign, role, FilterForm(formdata=None), 409, problem=problem)
    return redirect(url_for(".review", campaign_id=campaign.id, undone=action_id), code=303)
