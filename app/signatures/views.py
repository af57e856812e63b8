"""The pages of signing a campaign.

Sign a campaign, see "check your inbox", confirm by a deliberate click with the details
the email owner checked, say "I did not sign this", ask for a new link.
"""

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from app.campaigns.pages import CampaignPage, get_campaign_page
from app.campaigns.visitors import load_campaign_page
from app.core.addresses import identity_digest, mailbox_identity
from app.core.form_failures import shows_form_again
from app.core.i18n import page_language
from app.core.page_slots import page_slot, render_with_slots
from app.core.rate_limits import configured_limit, limiter, never_raises
from app.core.urls import absolute_url
from app.signatures import attribution, confirmation, services, signing
from app.signatures.confirmation_links import ConfirmationOutcome, ConfirmationResult
from app.signatures.forms import ConfirmForm, ResendForm, SignForm, ally_question_label
from app.signatures.fraud.stamps import make_render_stamp, seconds_since_render
from app.signatures.sign_requests import record_signature, signing_limits, validated_once

bp = Blueprint("signatures", __name__)

# Keeps the resend limit's hashes of addresses from matching any other table's.
RESEND_LIMIT_PURPOSE = "rate-limit-resend"
SIGN_FORM = "rally.sign_form"


@bp.get("/c/<slug>")
def sign_page(slug):
    """One campaign with its sign form."""
    page = load_campaign_page(slug)
    # Every visitor sees the same page but for the form's token and render stamp: render it
    # once a moment, keyed by the data it shows so a newer count never meets an older one.
    key = ("sign-page-html", slug, page.language, str(get_locale()), page.count, page.updated_at)
    html = render_with_slots(
        key,
        lambda: render_campaign_page(
            page,
            SignForm.for_page(page),
            csrf_value=page_slot("csrf"),
            render_stamp=page_slot("stamp"),
        )[0],
        {"csrf": generate_csrf(), "stamp": make_render_stamp(page.id)},
    )
    return remember_first_touch(make_response(html))


def remember_first_touch(response):
    """Keep a landing's source and referrer in a signed cookie, unless one is kept already.

    The first touch counts: a later visit through another link does not take the credit.
    """
    touch = attribution.touch_from_query(request.args)
    if touch and not attribution.read_first_touch(request.cookies.get(attribution.COOKIE)):
        response.set_cookie(
            attribution.COOKIE,
            attribution.first_touch_cookie(touch),
            max_age=attribution.FIRST_TOUCH_DAYS * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def render_campaign_page(
    page: CampaignPage,
    form: SignForm,
    status=200,
    csrf_value=None,
    keep_form=False,
    render_stamp=None,
):
    """Render the campaign page with its sign form, also to show the form again.

    `keep_form` shows the form even if the campaign closed meanwhile, with what was typed.
    A form shown again keeps its first render stamp, so its timing counts from the first page.
    """
    if render_stamp is None:
        sent = form.rendered.data or ""
        kept = sent if seconds_since_render(sent, page.id) is not None else ""
        render_stamp = kept or make_render_stamp(page.id)
    html = render_template(
        "signatures/sign_page.html",
        page=page,
        form=form,
        show_form=page.accepting or keep_form,
        csrf_value=csrf_value or generate_csrf(),
        render_stamp=render_stamp,
        share_url=current_app.config["BASE_URL"] + "/c/" + page.slug,
        # The language switcher leads here, also from the sign POST's error page.
        page_path=url_for("signatures.sign_page", slug=page.slug),
    )
    return html, status


def posted_sign_form(page: CampaignPage) -> tuple[SignForm, bool]:
    """The campaign page's sign form as posted, and whether it is valid."""
    return validated_once(SIGN_FORM, lambda: SignForm.for_page(page))


def _sign_form_refused() -> bool:
    return not posted_sign_form(load_campaign_page(request.view_args["slug"]))[1]


# A submission the form refuses is not counted towards the signing limits (sign_requests.py).
sign_form_refused = never_raises(_sign_form_refused, default=True)


def show_sign_form_again(message: str, status: int):
    """The campaign page with the sign form as submitted and `message` at the top."""
    page = load_campaign_page(request.view_args["slug"])
    form = SignForm.for_page(page)
    form.form_errors.append(message)
    return render_campaign_page(page, form, status=status, keep_form=True)


@bp.post("/c/<slug>/sign")
@shows_form_again(show_sign_form_again)
@signing_limits(sign_form_refused)
def sign(slug):
    """Validate the form, record the signature, and always answer with the same redirect."""
    page = load_campaign_page(slug)
    form, valid = posted_sign_form(page)
    if not valid:
        return render_campaign_page(page, form, status=400, keep_form=True)
    first_touch = attribution.read_first_touch(request.cookies.get(attribution.COOKIE))
    try:
        record_signature(page, form, first_touch)
    except signing.CampaignNotAccepting:
        return show_sign_form_again(
            _("This petition closed before your signature could be recorded."), 400
        )
    return redirect(url_for(".check_inbox", slug=slug), code=303)


@bp.get("/c/<slug>/brought/<token>")
def brought(slug, token):
    """How many people signed through a signer's own links (reached by their signed link)."""
    page = load_campaign_page(slug)
    signature_id = attribution.signature_id_from_brought_token(token)
    if signature_id is None or not services.signature_is_on(signature_id, page.id):
        return _no_store(render_template("signatures/invalid_link.html"), 404)
    code = attribution.referral_code(signature_id)
    html = render_template(
        "signatures/brought.html",
        page=page,
        count=attribution.people_brought(page.id, code),
        share_url=absolute_url("signatures.sign_page", slug=slug) + "?referrer=" + code,
    )
    return _no_store(html)


@bp.get("/c/<slug>/check-inbox")
def check_inbox(slug):
    """The page everyone sees after signing."""
    return render_template("signatures/check_inbox.html", page=load_campaign_page(slug))


def show_resend_form_again(message: str, status: int):
    """The resend page with the address as typed and `message`."""
    form = ResendForm()
    form.form_errors.append(message)
    page = load_campaign_page(request.view_args["slug"])
    return render_template("signatures/resend.html", page=page, form=form), status


def typed_address() -> str:
    """Rate-limit key: the mailbox the resend form names, as a keyed hash (never the address).

    Empty when no address was typed: Flask-Limiter then skips this limit (the per-IP one
    still counts the request).
    """
    typed = request.form.get("email", "").strip()
    if not typed:
        return ""
    digest = identity_digest(
        mailbox_identity(typed), current_app.config["SECRET_KEY"], RESEND_LIMIT_PURPOSE
    )
    return "resend-address:" + digest[:32]


@bp.route("/c/<slug>/resend", methods=["GET", "POST"])
@shows_form_again(show_resend_form_again)
@configured_limit("RATELIMIT_RESEND", methods=["POST"])
@configured_limit("RATELIMIT_RESEND_ADDRESS", methods=["POST"], key_func=typed_address)
def resend(slug):
    """Ask for a new confirmation email by typing the address again."""
    page = load_campaign_page(slug)
    form = ResendForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("signatures/resend.html", page=page, form=form), status
    signing.resend_confirmation(page, form.email.data)
    return redirect(url_for(".check_inbox", slug=slug), code=303)


@bp.get("/confirm/<token>")
def confirm_page(token):
    """The page behind the emailed link: the details to check and a button, no state change."""
    # Mail scanners fetch (and even script) every link: a GET only shows the form.
    outcome = confirmation.check_confirmation_token(token, page_language())
    form = None
    if outcome.result == ConfirmationResult.READY:
        # The details as signed, to check; the choices unticked, for the owner to make.
        form = confirm_form(outcome, data=ConfirmForm.prefilled(outcome.details))
    return render_outcome(outcome, token, form)


def confirm_form(outcome: ConfirmationOutcome, **kwargs) -> ConfirmForm:
    """The confirm form of a READY outcome, asking the ally's question if one was answered."""
    form = ConfirmForm(required_fields=outcome.required_fields, **kwargs)
    if outcome.ally_question:
        form.ask_ally(ally_question_label(outcome.ally_name, outcome.ally_question))
    return form


def show_confirm_form_again(message: str, status: int):
    """The confirm page with the details as submitted and `message`."""
    outcome = confirmation.check_confirmation_token(request.view_args["token"], page_language())
    form = None
    if outcome.result == ConfirmationResult.READY:
        form = confirm_form(outcome)
        form.form_errors.append(message)
    return render_outcome(outcome, request.view_args["token"], form, status)


@bp.post("/confirm/<token>")
@shows_form_again(show_confirm_form_again)
@limiter.limit("30 per minute")
def confirm(token):
    """The button's POST: the only thing that confirms, with the details it carries."""
    outcome = confirmation.check_confirmation_token(token, page_language(), then_confirm=True)
    if outcome.result != ConfirmationResult.READY:
        return render_outcome(outcome, token)
    form = confirm_form(outcome)
    if not form.validate():
        return render_outcome(outcome, token, form, status=400)
    details = signing.ChosenDetails(
        **{name: form[name].data for name in ("name", "postcode", "country")},
        public=form.public.data,
        contact_consent=form.contact_consent.data,
        ally_contact_consent=form.ally_contact_answer(),
    )
    outcome = confirmation.confirm_checked_signature(
        outcome, details, form.consent_wording(), page_language()
    )
    return render_outcome(outcome, token)


@bp.get("/confirm/<token>/not-me")
def not_me_page(token):
    """Show the "I did not sign this" button that removes the signature; no details."""
    outcome = confirmation.check_confirmation_token(token, page_language())
    if outcome.result == ConfirmationResult.READY:
        return _no_store(render_template("signatures/not_me.html", token=token, outcome=outcome))
    return render_outcome(outcome, token)


@bp.post("/confirm/<token>/not-me")
@limiter.limit("30 per minute")
def not_me(token):
    """Remove the pending signature and stop emails about this campaign to the address."""
    return render_outcome(confirmation.disown_signature(token, page_language()), token)


OUTCOME_PAGES = {
    ConfirmationResult.READY: ("signatures/confirm.html", 200),
    ConfirmationResult.CONFIRMED_NOW: ("signatures/confirmed.html", 200),
    ConfirmationResult.ALREADY_CONFIRMED: ("signatures/already_confirmed.html", 200),
    ConfirmationResult.NOT_ACCEPTING: ("signatures/not_accepting.html", 410),
    ConfirmationResult.EXPIRED: ("signatures/expired.html", 410),
    ConfirmationResult.INVALID: ("signatures/invalid_link.html", 404),
    ConfirmationResult.REMOVED: ("signatures/removed.html", 200),
}


def render_outcome(outcome: ConfirmationOutcome, token: str, form=None, status=None):
    """One page per outcome; only the confirm form, behind a valid link, shows details."""
    template, default_status = OUTCOME_PAGES[outcome.result]
    thank_you = None
    if outcome.result == ConfirmationResult.CONFIRMED_NOW and outcome.slug:
        # The campaign's own thank-you, in the language its title was shown in.
        chosen = page_language()
        thank_you = get_campaign_page(
            outcome.slug, lambda available, default: chosen if chosen in available else default
        )
    if thank_you is not None and outcome.signature_id:
        return _no_store(render_thank_you(outcome, thank_you, token))
    html = render_template(
        template,
        token=token,
        form=form,
        campaign_slug=outcome.slug,
        campaign_title=outcome.title,
        required_fields=outcome.required_fields,
    )
    return _no_store(html, status or default_status)


def render_thank_you(outcome: ConfirmationOutcome, page: CampaignPage, token: str):
    """The thank-you page with the signer's own share links.

    The links carry the signer's referrer code; a signed link shows whom they brought
    (attribution.py). The rest is the same for every signer of the campaign, so it is
    rendered once a moment and the signer's values go into its slots.
    """
    key = ("confirmed-html", page.slug, page.language, page.updated_at, outcome.title)
    key += (str(get_locale()),)

    def render() -> str:
        return render_template(
            OUTCOME_PAGES[ConfirmationResult.CONFIRMED_NOW][0],
            page=page,
            share_url=absolute_url("signatures.sign_page", slug=page.slug)
            + "?referrer="
            + page_slot("referrer"),
            brought_url=absolute_url(
                "signatures.brought", slug=page.slug, token=page_slot("brought")
            ),
            page_path=url_for("signatures.confirm_page", token=page_slot("token")),
            campaign_slug=outcome.slug,
            campaign_title=outcome.title,
            thank_you_html=page.thank_you_html,
            thank_you_language=page.language,
        )

    return render_with_slots(
        key,
        render,
        {
            "referrer": attribution.referral_code(outcome.signature_id),
            "brought": attribution.brought_link_token(outcome.signature_id),
            "token": token,
        },
    )


def _no_store(html: str, status: int = 200):
    # The pages behind emailed links carry a token: no caching, no Referer to other sites.
    return html, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
