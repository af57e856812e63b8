"""The Exports page of a campaign: start a CSV or PDF export, follow it, download the file.

Downloads ask for a recent login (EXPORT_REAUTH_SECONDS); /reauthenticate checks the
password (and the two-step code) again.
"""

from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.database import is_row_id, utcnow
from app.core.headers import never_store
from app.core.i18n import language_option, page_language
from app.core.rate_limits import configured_limit
from app.core.urls import local_path
from app.exports import jobs, services
from app.exports.forms import (
    COLUMN_LABELS,
    STATE_LABELS,
    ConfirmIdentityForm,
    CsvExportForm,
    PdfExportForm,
)
from app.exports.models import ExportKind, ExportStatus
from app.organisers.access import campaign_role, organiser_required
from app.organisers.accounts.password_limits import failed, logged_in_account
from app.organisers.models import Role

bp = Blueprint("exports", __name__)

ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)
STATUS_LABELS = {
    ExportStatus.QUEUED: _l("Waiting to start"),
    ExportStatus.RUNNING: _l("Running"),
    ExportStatus.DONE: _l("Ready"),
    ExportStatus.FAILED: _l("Failed"),
    ExportStatus.EXPIRED: _l("Removed"),
}


bp.after_request(never_store)


def _pdf_form(campaign, formdata=True) -> PdfExportForm:
    form = PdfExportForm(prefix="pdf") if formdata else PdfExportForm(prefix="pdf", formdata=None)
    form.language.choices = [language_option(language) for language in campaign.languages]
    if form.language.data is None:
        form.language.data = campaign.default_language
    return form


def render_exports_page(campaign, role, csv_form=None, pdf_form=None, status=200, downloading=None):
    """The list of exports and the two forms; `downloading` is an export whose file starts."""
    exports = services.exports_of(campaign)
    html = render_template(
        "exports/index.html",
        heading=_("Exports: %(title)s", title=campaign.translation(page_language()).title),
        campaign=campaign,
        role=role,
        exports=exports,
        refresh=any(export.status in ACTIVE for export, _email in exports),
        downloading=downloading,
        csv_form=csv_form or CsvExportForm(prefix="csv", formdata=None),
        pdf_form=pdf_form or _pdf_form(campaign, formdata=False),
        pdf_refusal=services.pdf_refusal(campaign),
        column_labels=COLUMN_LABELS,
        state_labels=STATE_LABELS,
        status_labels=STATUS_LABELS,
    )
    return html, status


@bp.get("/dashboard/campaigns/<int:campaign_id>/exports")
@campaign_role(Role.EDITOR)
def index(campaign, role):
    """Earlier exports, with their progress, and the forms to start one.

    `?download=<id>` is where the password prompt sends an organiser back to: the page
    starts that export's download itself and says so.
    """
    downloading = None
    wanted = request.args.get("download", type=int)
    if is_row_id(wanted):
        export = services.export_of_campaign(campaign, wanted)
        # Only a download that will be sent: never a loop back to the password prompt.
        if (
            export is not None
            and export.status == ExportStatus.DONE
            and services.login_is_recent(current_user.authenticated_at)
        ):
            downloading = export
    return render_exports_page(campaign, role, downloading=downloading)


@bp.post("/dashboard/campaigns/<int:campaign_id>/exports")
@campaign_role(Role.EDITOR)
@configured_limit("RATELIMIT_EXPORT", key_func=logged_in_account)
def start(campaign, role):
    """Start a CSV or PDF export; it runs in the background."""
    kind = request.form.get("kind")
    if kind == ExportKind.CSV:
        form = CsvExportForm(prefix="csv")
        if not form.validate():
            return render_exports_page(campaign, role, csv_form=form, status=400)
        options = form.options(all_emails=role.includes(Role.OWNER))
    elif kind == ExportKind.PDF:
        form = _pdf_form(campaign)
        if not form.validate():
            return render_exports_page(campaign, role, pdf_form=form, status=400)
        options = form.options()
    else:
        return render_exports_page(campaign, role, status=400)
    try:
        jobs.start_export(campaign, current_user, kind, options)
    except services.ExportRefused as refusal:
        form.form_errors.append(str(refusal))
        forms = {"csv_form" if kind == ExportKind.CSV else "pdf_form": form}
        return render_exports_page(campaign, role, status=409, **forms)
    flash(_("The export has started. This page shows its progress."))
    return redirect(url_for(".index", campaign_id=campaign.id), code=303)


def _export_or_404(campaign, export_id):
    export = services.export_of_campaign(campaign, export_id)
    if export is None:
        abort(404)
    return export


@bp.get("/dashboard/campaigns/<int:campaign_id>/exports/<int:export_id>")
@campaign_role(Role.EDITOR)
def status(campaign, role, export_id):
    """One export: its progress while it runs, then its file."""
    export = _export_or_404(campaign, export_id)
    return render_template(
        "exports/status.html",
        heading=_("Export %(number)d", number=export.id),
        campaign=campaign,
        export=export,
        refresh=export.status in ACTIVE,
        status_labels=STATUS_LABELS,
    )


def download_name(campaign, export) -> str:
    """slug-kind-date.ext: ASCII only, whatever the campaign is called."""
    day = (export.finished_at or utcnow()).date().isoformat()
    slug = "".join(c for c in campaign.slug if c.isascii() and (c.isalnum() or c in "-_"))
    return f"{slug or 'campaign'}-{export.kind}-{day}.{export.kind}"


@bp.get("/dashboard/campaigns/<int:campaign_id>/exports/<int:export_id>/download")
@campaign_role(Role.EDITOR)
def download(campaign, role, export_id):
    """The finished file, as an attachment, after a recent login."""
    export = _export_or_404(campaign, export_id)
    if not services.login_is_recent(current_user.authenticated_at):
        # Back to the exports page afterwards, which starts the download: sent straight to
        # the file, the browser would stay on the prompt with the password still typed in.
        back = url_for(".index", campaign_id=campaign.id, download=export.id)
        return redirect(url_for(".reauthenticate", next=back), code=303)
    path = services.export_file(export)
    if path is None:
        flash(_("This export has no file to download."))
        return redirect(url_for(".status", campaign_id=campaign.id, export_id=export.id))
    services.record_download(export, campaign, current_user)
    name = download_name(campaign, export)
    mimetype = "application/pdf" if export.kind == ExportKind.PDF else "text/csv"
    # The file is named by the row, never by the request.
    response = send_from_directory(
        path.parent, path.name, mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def render_confirm_identity(form, status=200):
    """The page asking for the password (and code) again."""
    return render_template(
        "exports/confirm_identity.html",
        heading=_("Confirm it is you"),
        form=form,
        two_factor=current_user.two_factor_enabled,
    ), status


@bp.route("/reauthenticate", methods=["GET", "POST"])
@organiser_required
@configured_limit(
    "RATELIMIT_LOGIN_ACCOUNT", methods=["POST"], key_func=logged_in_account, deduct_when=failed
)
def reauthenticate():
    """Enter the password (and a two-step code) again before a sensitive action."""
    form = ConfirmIdentityForm()
    if request.method == "GET" or not form.validate():
        return render_confirm_identity(form, 400 if request.method == "POST" else 200)
    if not services.confirm_identity(
        current_user,
        current_user.session_id,
        form.password.data,
        form.code.data,
        request.remote_addr,
    ):
        form.form_errors.append(_("The password or the code is not right."))
        return render_confirm_identity(form, 400)
    return redirect(local_path(request.args.get("next")) or url_for("dashboard.home"), code=303)
