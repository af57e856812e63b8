"""A campaign's life after editing: publish, close, reopen, unpublish, delivery, preview."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.campaigns.models import CLOSED, DRAFT, OPEN
from app.campaigns.pages import build_campaign_page
from app.campaigns.services import (
    CampaignRuleError,
    close_campaign,
    delivery_refusal,
    publish_campaign,
    record_delivery,
    reopen_campaign,
    republish_campaign,
    unpublish_campaign,
)
from app.core.database import utcnow
from app.organisers.access import campaign_role
from app.organisers.editor.blueprint import bp
from app.organisers.editor.forms import DeliveryForm, UnpublishForm
from app.organisers.models import Role
from app.signatures.forms import SignForm
from app.signatures.jobs import tell_signers_of_delivery_job


def _lifecycle(campaign, step):
    try:
        step()
    except CampaignRuleError as error:
        flash(str(error.message))
    return redirect(url_for(".edit_campaign", campaign_id=campaign.id), code=303)


@bp.post("/dashboard/campaigns/<int:campaign_id>/publish")
@campaign_role(Role.EDITOR)
def publish(campaign, role):
    """Draft to open: anyone can see and sign it."""
    if not current_user.email_confirmed:
        flash(_("Confirm your email address before publishing: we sent you a link."))
        return redirect(url_for(".edit_campaign", campaign_id=campaign.id), code=303)

    def step():
        publish_campaign(campaign, current_user.id)
        # The next thing a team does is spread it: the flash points at where to start.
        flash(
            _(
                "Published. Anyone can now see and sign the petition. To spread it, open "
                "“Share and embed” below: links per channel, QR codes and the widget."
            )
        )

    return _lifecycle(campaign, step)


@bp.post("/dashboard/campaigns/<int:campaign_id>/close")
@campaign_role(Role.EDITOR)
def close(campaign, role):
    """Open to closed: the page stays, signing stops."""

    def step():
        close_campaign(campaign, current_user.id)
        flash(_("Closed. The page stays online but no longer takes signatures."))

    return _lifecycle(campaign, step)


@bp.post("/dashboard/campaigns/<int:campaign_id>/reopen")
@campaign_role(Role.EDITOR)
def reopen(campaign, role):
    """Closed to open again."""

    def step():
        reopen_campaign(campaign, current_user.id)
        flash(_("Reopened. The petition takes signatures again."))

    return _lifecycle(campaign, step)


def _site_admin_only():
    if not current_user.is_admin:
        abort(404)


@bp.route("/dashboard/campaigns/<int:campaign_id>/unpublish", methods=["GET", "POST"])
@campaign_role(Role.VIEWER)
def unpublish(campaign, role):
    """A site admin takes any campaign off the public site, giving the team a reason."""
    _site_admin_only()
    form = UnpublishForm() if request.method == "POST" else UnpublishForm(formdata=None)
    if request.method == "POST" and form.validate():
        unpublish_campaign(campaign, form.reason.data, current_user.id)
        flash(_("Unpublished. The public page now answers “not found”."))
        return redirect(url_for(".unpublish", campaign_id=campaign.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("editor/unpublish.html", campaign=campaign, form=form), status


@bp.post("/dashboard/campaigns/<int:campaign_id>/republish")
@campaign_role(Role.VIEWER)
def republish(campaign, role):
    """A site admin puts an unpublished campaign back."""
    _site_admin_only()
    try:
        republish_campaign(campaign, current_user.id)
    except CampaignRuleError as error:
        flash(str(error.message))
    else:
        flash(_("Published again."))
    return redirect(url_for(".unpublish", campaign_id=campaign.id), code=303)


@bp.route("/dashboard/campaigns/<int:campaign_id>/delivery", methods=["GET", "POST"])
@campaign_role(Role.EDITOR)
def delivery(campaign, role):
    """Record that the petition was delivered; the public page then says so."""
    refusal = delivery_refusal(campaign)
    if refusal:
        status = 409 if request.method == "POST" else 200
        return render_template("editor/delivery.html", campaign=campaign, refusal=refusal), status
    form = DeliveryForm() if request.method == "POST" else DeliveryForm(formdata=None)
    if request.method == "GET" and campaign.delivered_on:
        form.delivered_on.data = campaign.delivered_on.isoformat()
        form.delivered_to.data = campaign.delivered_to
        form.note.data = campaign.delivery_note
    if request.method == "POST" and form.validate():
        delivered_on = date.fromisoformat(form.delivered_on.data)
        record_delivery(
            campaign, delivered_on, form.delivered_to.data, form.note.data or "", current_user.id
        )
        flash(_("The delivery is recorded. The public page now shows it."))
        if form.tell_signers.data:
            # One batch per job run: a big campaign's emails are queued in the background.
            tell_signers_of_delivery_job(campaign.id)
            flash(_("The signers who agreed to be contacted will get the news by email."))
        return redirect(url_for(".delivery", campaign_id=campaign.id), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("editor/delivery.html", campaign=campaign, form=form), status


@bp.get("/dashboard/campaigns/<int:campaign_id>/preview")
@campaign_role(Role.VIEWER)
def preview(campaign, role):
    """The public campaign page as it is or will be, drafts too; signing is switched off."""
    chosen = request.args.get("lang")
    language = chosen if chosen in campaign.languages else campaign.default_language
    page = build_campaign_page(campaign, language)
    now = utcnow()
    would_take_signatures = campaign.status in (DRAFT, OPEN) and (
        campaign.deadline is None or now < campaign.deadline
    )
    html = render_template(
        "editor/preview.html",
        page=page,
        campaign=campaign,
        can_edit=role.includes(Role.EDITOR),
        form=SignForm.for_page(page),
        show_form=would_take_signatures,
        # Never a valid token: even a hand-made submission of this form is refused.
        csrf_value="preview",
        share_url=current_app.config["BASE_URL"] + "/c/" + page.slug,
        page_path=request.path,
        is_closed=campaign.status == CLOSED,
    )
    sign_action = f'action="{url_for("signatures.sign", slug=page.slug)}"'
    html = html.replace(sign_action, sign_action + " inert", 1)
    return html, 200, {"X-Robots-Tag": "noindex"}
