"""The public page of a delivery PDF, /v/<code>: what the document states, and how to check it.

A signer may also ask whether their own signature is in the document; the answer goes only to
the address typed, and the page says the same whatever the answer, so it reveals nothing.
"""

from datetime import datetime

from flask import Blueprint, abort, current_app, make_response, render_template
from flask_babel import get_locale
from sqlalchemy import select

from app.campaigns.models import Campaign
from app.core.addresses import mailbox_identity
from app.core.database import utcnow
from app.core.outbox import queue_templated_email
from app.core.rate_limits import limiter
from app.core.urls import absolute_url
from app.exports.models import Export, ExportKind, ExportStatus
from app.extensions import db
from app.signatures.forms import TypedForm, email_field
from app.signatures.models import CONFIRMED, Signature

bp = Blueprint("verification", __name__)


class CheckForm(TypedForm):
    """The signer's email address, to be told by email whether they are in the document."""

    email = email_field()
    required_fields = {"email"}


def verifiable_export(code: str) -> Export | None:
    """The finished delivery PDF with this code (its file may since have been removed)."""
    return db.session.execute(
        select(Export).where(
            Export.verification_code == code,
            Export.kind == ExportKind.PDF,
            Export.status.in_([ExportStatus.DONE, ExportStatus.EXPIRED]),
            Export.sha256.is_not(None),
        )
    ).scalar_one_or_none()


def signature_in_document(export: Export, address: str) -> Signature | None:
    """The confirmed signature of this address that the document lists, if any."""
    if export.period_end is None:
        return None
    return db.session.execute(
        select(Signature).where(
            Signature.campaign_id == export.campaign_id,
            Signature.email_normalised == mailbox_identity(address),
            Signature.state == CONFIRMED,
            Signature.confirmed_at <= export.period_end,
        )
    ).scalar_one_or_none()


def queue_signature_check(
    export: Export, title: str, address: str, language: str, now: datetime | None = None
) -> bool:
    """Email `address` whether its signature is in the document (False if over its cap)."""
    signature = signature_in_document(export, address)
    queued = queue_templated_email(
        address,
        "verification/check",
        signature.language if signature else language,
        {
            "title": title,
            "listed": signature is not None,
            "generated": (export.finished_at or export.created_at).date().isoformat(),
            "page_url": absolute_url("verification.page", code=export.verification_code),
        },
        now,
    )
    db.session.commit()
    return queued


def _title(export: Export, language: str) -> str:
    campaign = db.session.get(Campaign, export.campaign_id)
    wanted = (export.options or {}).get("language") or language
    return campaign.translation(wanted).title


def _render(export: Export, form: CheckForm, sent: bool, status: int = 200):
    language = str(get_locale() or "en")
    response = make_response(
        render_template(
            "verification/page.html",
            export=export,
            title=_title(export, language),
            form=form,
            sent=sent,
        ),
        status,
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/v/<code>")
def page(code):
    """What the document states, and how to check a copy of it."""
    export = verifiable_export(code) or abort(404)
    return _render(export, CheckForm(), sent=False)


@bp.post("/v/<code>")
@limiter.limit(lambda: current_app.config["RATELIMIT_VERIFY_CHECK"])
def check(code):
    """Queue the answer to the address typed; the page says the same either way."""
    export = verifiable_export(code) or abort(404)
    form = CheckForm()
    if not form.validate():
        return _render(export, form, sent=False, status=400)
    language = str(get_locale() or "en")
    queue_signature_check(export, _title(export, language), form.email.data, language, utcnow())
    return _render(export, CheckForm(formdata=None), sent=True)
