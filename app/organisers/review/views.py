"""The review desk's pages: figures and bulk actions, name decisions, the signing lists."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.database import is_row_id
from app.core.headers import never_store
from app.core.i18n import page_language
from app.organisers.access import admin_required, campaign_role
from app.organisers.dashboard.charts import hourly_bar_chart
from app.organisers.dashboard.forms import signature_list_args
from app.organisers.models import Role
from app.organisers.review import actions, figures, names
from app.organisers.review.forms import (
    FILTER_FIELDS,
    ActionForm,
    FilterForm,
    SigningListEntryForm,
    UndoForm,
    rule_name,
)
from app.organisers.review.selection import matching_counts
from app.signatures.fraud.lists import (
    BadListEntry,
    add_signing_list_entry,
    remove_signing_list_entry,
    signing_list_entries,
)

bp = Blueprint("review", __name__)


bp.after_request(never_store)


def _row_id(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if is_row_id(value) else None


def _review_page(campaign, role, filter_form, status=200, selection=None, **forms):
    """The review desk: figures for everyone, the filter's selection and actions for editors.

    `forms` may carry an action_form, or an undo_form with its undo_id, shown with errors.
    """
    desk_figures = figures.review_figures(campaign)
    chart = hourly_bar_chart(
        desk_figures.hours,
        _("Signatures per hour, last %(hours)d hours (UTC)", hours=figures.REVIEW_HOURS),
        _("%(hour)s: %(count)s signatures"),
    )
    may_act = role.includes(Role.EDITOR)
    return render_template(
        "review/desk.html",
        heading=_("Review: %(title)s", title=campaign.translation(page_language()).title),
        campaign=campaign,
        figures=desk_figures,
        chart=chart,
        may_act=may_act,
        filter_form=filter_form,
        selection=selection,
        matching=matching_counts(campaign, selection) if selection else None,
        action_form=forms.get("action_form") or ActionForm(formdata=None),
        undo_form=forms.get("undo_form") or UndoForm(formdata=None),
        undo_id=forms.get("undo_id"),
        problem=forms.get("problem"),
        actions=actions.recent_actions(campaign) if may_act else [],
        rule_name=rule_name,
        done=_row_id("done"),
        undone=_row_id("undone"),
    ), status


@bp.get("/dashboard/campaigns/<int:campaign_id>/review")
@campaign_role(Role.VIEWER)
def desk(campaign, role):
    """Fraud figures; for editors and owners also bulk actions on a filtered selection."""
    form = FilterForm(formdata=request.args)
    # Viewers see figures only: no selection is counted for them.
    selecting = role.includes(Role.EDITOR) and form.given() and form.validate()
    selection = form.review_filter() if selecting else None
    return _review_page(campaign, role, form, selection=selection)


@bp.post("/dashboard/campaigns/<int:campaign_id>/review/actions")
@campaign_role(Role.EDITOR)
def act(campaign, role):
    """Invalidate or release the filtered signatures, with the reason given."""
    form = ActionForm()
    valid = form.validate()
    # A condition with an error is no condition at all: acting without it would select more.
    malformed = any(form[name].errors for name in FILTER_FIELDS)
    selection = None if malformed else form.review_filter()
    if not valid or selection is None:
        # The selection stays on screen with the reason's error next to its field.
        return _review_page(campaign, role, form, 400, selection=selection, action_form=form)
    act_on = (
        actions.release_signatures
        if form.kind.data == actions.RELEASE
        else actions.invalidate_signatures
    )
    action = act_on(campaign, selection, current_user, form.reason.data)
    return redirect(url_for(".desk", campaign_id=campaign.id, done=action.id), code=303)


@bp.post("/dashboard/campaigns/<int:campaign_id>/review/actions/<int:action_id>/undo")
@campaign_role(Role.EDITOR)
def undo(campaign, role, action_id):
    """Undo one of the campaign's bulk actions, with the reason given."""
    action = actions.campaign_action(campaign, action_id)
    if action is None:
        abort(404)
    form = UndoForm()
    if not form.validate():
        return _review_page(
            campaign, role, FilterForm(formdata=None), 400, undo_form=form, undo_id=action_id
        )
    try:
        actions.undo_review_action(action, current_user, form.reason.data)
    except actions.AlreadyUndone:
        problem = _("This action was undone already.")
        return _review_page(campaign, role, FilterForm(formdata=None), 409, problem=problem)
    return redirect(url_for(".desk", campaign_id=campaign.id, undone=action_id), code=303)


# Names in public lists, decided from the signature list ---------------------------------


def _decide_name(campaign, signature_id: int, decide, message: str):
    """Apply one name decision, then back to the signature list as it was, at that row."""
    signature = names.campaign_signature(campaign, signature_id)
    if signature is None:
        abort(404)
    decide(signature, current_user.id)
    flash(message)
    return redirect(
        url_for(
            "dashboard.signatures",
            campaign_id=campaign.id,
            **signature_list_args(request.args),
            _anchor=f"signature-{signature_id}",
        ),
        code=303,
    )


@bp.post("/dashboard/campaigns/<int:campaign_id>/signatures/<int:signature_id>/hide-name")
@campaign_role(Role.EDITOR)
def hide_name(campaign, role, signature_id):
    """Keep a signer's name off public lists; it still counts and is still delivered."""
    return _decide_name(
        campaign, signature_id, names.hide_signer_name, _("The name is hidden from public lists.")
    )


@bp.post("/dashboard/campaigns/<int:campaign_id>/signatures/<int:signature_id>/show-name")
@campaign_role(Role.EDITOR)
def show_name(campaign, role, signature_id):
    """Show a hidden name in public lists again (if the signer chose to be shown)."""
    return _decide_name(
        campaign,
        signature_id,
        names.show_signer_name,
        _("The name shows in public lists again if the signer chose to be shown."),
    )


@bp.post("/dashboard/campaigns/<int:campaign_id>/signatures/<int:signature_id>/allow-name")
@campaign_role(Role.EDITOR)
def approve_name(campaign, role, signature_id):
    """Allow a name the word list held."""
    return _decide_name(
        campaign,
        signature_id,
        names.approve_signer_name,
        _("The name is allowed in public lists."),
    )


# The site's block and allow lists -------------------------------------------------------


@bp.route("/admin/signing-lists", methods=["GET", "POST"])
@admin_required
def signing_lists():
    """The site's block and allow lists for signing: the entries, and a form to add one."""
    form = SigningListEntryForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                add_signing_list_entry(
                    form.list_name.data,
                    form.kind.data,
                    form.pattern.data,
                    form.action.data,
                    form.note.data or "",
                    actor_id=current_user.id,
                )
            except BadListEntry:
                form.pattern.errors.append(_("This cannot match: check the kind and the text."))
            else:
                flash(_("The entry is added. It applies within 15 seconds."))
                return redirect(url_for(".signing_lists"), code=303)
        status = 400
    html = render_template("review/signing_lists.html", form=form, entries=signing_list_entries())
    return html, status


@bp.post("/admin/signing-lists/<int:entry_id>/remove")
@admin_required
def remove_list_entry(entry_id):
    """Remove one entry (CSRF-checked like every POST)."""
    if not remove_signing_list_entry(entry_id, actor_id=current_user.id):
        abort(404)
    flash(_("The entry is removed."))
    return redirect(url_for(".signing_lists"), code=303)
