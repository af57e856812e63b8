"""Sign a campaign, see "check your inbox", confirm by a deliberate click, ask for a new link."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale

from app.campaigns.views import load_campaign_page, render_campaign_page
from app.extensions import limiter
from app.signatures import services
from app.signatures.forms import ResendForm, SignForm

bp = Blueprint("signatures", __name__)


def sign_limit():
    """RATELIMIT_SIGN, read per request so tests and deployments can change it."""
    return current_app.config["RATELIMIT_SIGN"]


@bp.post("/c/<slug>/sign")
@limiter.limit(sign_limit, key_func=lambda: f"{request.remote_addr}:{request.view_args['slug']}")
def sign(slug):
    """Validate the form, record the signature, and always answer with the same redirect."""
    page = load_campaign_page(slug)
    form = SignForm(required_fields=page.required_fields)
    if not page.accepting or not form.validate():
        return render_campaign_page(page, form, status=400)
    details = services.SignatureDetails(
        **{name: form[name].data for name in ("name", "email", "postcode", "country")},
        public=form.public.data,
        contact_consent=form.contact_consent.data,
    )
    try:
        services.sign_campaign(page, details, str(get_locale()), request.remote_addr)
    except services.CampaignNotAccepting:
        return render_campaign_page(page, form, status=400)
    return redirect(url_for(".check_inbox", slug=slug), code=303)


@bp.get("/c/<slug>/check-inbox")
def check_inbox(slug):
    """The page everyone sees after signing."""
    return render_template("signatures/check_inbox.html", page=load_campaign_page(slug))


@bp.route("/c/<slug>/resend", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def resend(slug):
    """Ask for a new confirmation email by typing the address again."""
    page = load_campaign_page(slug)
    form = ResendForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("signatures/resend.html", page=page, form=form), status
    services.resend_confirmation(page, form.email.data)
    return redirect(url_for(".check_inbox", slug=slug), code=303)


@bp.get("/confirm/<token>")
def confirm_page(token):
    """The page behind the emailed link: a button, no state change."""
    # Mail scanners fetch (and even script) every link: a GET only shows a button.
    outcome = services.check_confirmation_token(token, str(get_locale()))
    return render_outcome(outcome, token)


@bp.post("/confirm/<token>")
@limiter.limit("30 per minute")
def confirm(token):
    """The button's POST: the only thing that confirms."""
    outcome = services.confirm_signature(token, str(get_locale()))
    return render_outcome(outcome, token)


def render_outcome(outcome: services.ConfirmationOutcome, token: str):
    """One template per outcome; none of them shows personal data."""
    templates = {
        services.PENDING: ("signatures/confirm.html", 200),
        services.CONFIRMED_NOW: ("signatures/confirmed.html", 200),
        services.ALREADY_CONFIRMED: ("signatures/already_confirmed.html", 200),
        services.NOT_ACCEPTING: ("signatures/not_accepting.html", 410),
        services.EXPIRED: ("signatures/expired.html", 410),
        services.INVALID: ("signatures/invalid_link.html", 404),
    }
    template, status = templates[outcome.result]
    response = render_template(
        template, token=token, campaign_slug=outcome.slug, campaign_title=outcome.title
    )
    return response, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
