"""The embed widget's pages: the sign form in another site's frame, and "check your inbox".

No cookie is read or set here (case 28, 30): browsers block them in third-party frames,
and the organisers' session must never reach a framed page. The form's CSRF protection
is a signed token bound to the campaign, plus the browser's Origin and Sec-Fetch-Site.
"""

import logging
from dataclasses import astuple

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from app.campaigns.allies import widget_allies
from app.campaigns.pages import CampaignPage, get_campaign_page
from app.core.form_failures import shows_form_again
from app.core.headers import allow_framing
from app.core.i18n import dont_remember_language, preferred_language
from app.core.page_slots import page_slot, render_with_slots
from app.core.rate_limits import never_raises
from app.embed.forms import EmbedSignForm, referrer_code
from app.embed.services import make_form_token, widget_post_refusal
from app.extensions import csrf
from app.signatures import signing
from app.signatures.fraud.stamps import make_render_stamp, seconds_since_render
from app.signatures.sign_requests import record_signature, signing_limits, validated_once

bp = Blueprint("embed", __name__, url_prefix="/embed")
log = logging.getLogger("rally.embed")

WIDGET_FORM = "rally.widget_form"


@bp.before_request
def _keep_the_frame_cookieless():
    # The widget's ?lang= is the embedding site's setting, not the visitor's choice.
    dont_remember_language()


def load_widget_page(slug: str) -> CampaignPage:
    """The campaign's page data in the widget's language, or a 404.

    Unlike the campaign page, no session remembers the counts shown: the frame has none.
    """
    page = get_campaign_page(slug, preferred_language)
    if page is None:
        abort(404)
    return page


def widget_url(endpoint: str, slug: str, **values) -> str:
    """A widget address keeping this request's ?lang= (the page's language setting)."""
    return url_for(endpoint, slug=slug, lang=request.args.get("lang"), **values)


@bp.get("/<slug>")
def widget(slug):
    """The compact campaign page with its sign form; a fresh form token each time, no-store.

    Every visitor of one widget address sees the same HTML but for the form token and the
    render stamp: it is rendered once a moment, keyed by all it shows, with slots that each
    response fills in with its own (as the campaign page does).
    """
    page = load_widget_page(slug)
    referrer = referrer_code(request.args.get("referrer"))
    allies = widget_allies(page.id)
    ally = allies.ally(referrer)

    def render() -> str:
        form = EmbedSignForm.for_page(page)
        form.referrer.data = referrer
        form.ask_ally(ally)
        return widget_html(page, form, page.accepting, page_slot("csrf"), page_slot("stamp"))

    language = request.args.get("lang")  # kept as sent in the form's action address
    key = ("widget-html", slug, page.language, str(get_locale()), language, referrer)
    # The ally's name and question are shown: an edited question is a new rendering.
    key += (page.count, page.updated_at, page.accepting, astuple(ally) if ally else None)
    html = render_with_slots(
        key, render, {"csrf": make_form_token(page.id), "stamp": make_render_stamp(page.id)}
    )
    return widget_response(page, html)


def widget_form(page: CampaignPage) -> EmbedSignForm:
    """The widget's form as posted, asking the question of the ally its referrer names."""
    form = EmbedSignForm.for_page(page)
    form.ask_ally(widget_allies(page.id).ally(form.referrer.data or ""))
    return form


def frameable(page: CampaignPage, response):
    """Let the sites the campaign allows frame this widget response: any, or its allies'."""
    return allow_framing(response, widget_allies(page.id).frame_ancestors)


def render_widget(page: CampaignPage, form: EmbedSignForm, status=200, keep_form=False):
    """The widget with a fresh form token; a form shown again keeps its first render stamp.

    `keep_form` shows the form even if the campaign closed meanwhile, with what was typed.
    """
    sent = form.rendered.data or ""
    kept = sent if seconds_since_render(sent, page.id) is not None else ""
    token, stamp = make_form_token(page.id), kept or make_render_stamp(page.id)
    return widget_response(
        page, widget_html(page, form, page.accepting or keep_form, token, stamp), status
    )


def widget_html(page: CampaignPage, form, show_form: bool, form_token: str, render_stamp: str):
    """The widget's HTML with this form, form token and render stamp."""
    return render_template(
        "embed/widget.html",
        page=page,
        form=form,
        show_form=show_form,
        form_token=form_token,
        render_stamp=render_stamp,
        action=widget_url("embed.sign", page.slug),
    )


def widget_response(page: CampaignPage, html: str, status=200):
    """The widget's response: never stored, and framed only where the campaign allows."""
    response = make_response(html, status)
    # Its token expires: a copy kept by a cache in front of us would go stale for everyone.
    response.headers["Cache-Control"] = "no-store"
    return frameable(page, response)


def show_widget_again(message: str, status: int):
    """The widget with its form as submitted and `message` at the top (a 429, a closing)."""
    page = load_widget_page(request.view_args["slug"])
    form = widget_form(page)
    form.form_errors.append(message)
    return render_widget(page, form, status=status, keep_form=True)


def refusal(page: CampaignPage) -> str:
    """Why this widget POST on `page` is refused ("" if it is not): its token and headers."""
    return widget_post_refusal(
        page.id,
        request.form.get("form_token", ""),
        request.headers.get("Origin"),
        request.headers.get("Sec-Fetch-Site"),
    )


def posted_widget_form(page: CampaignPage) -> tuple[EmbedSignForm, bool]:
    """The widget's form as posted, and whether it is valid (validated once per request)."""
    return validated_once(WIDGET_FORM, lambda: widget_form(page))


def _widget_post_refused() -> bool:
    page = load_widget_page(request.view_args["slug"])
    return bool(refusal(page)) or not posted_widget_form(page)[1]


# Refused submissions do not use up the signing limits (see the sign view's limits).
widget_post_refused = never_raises(_widget_post_refused, default=True)


@bp.post("/<slug>/sign")
@csrf.exempt  # cookieless: the form token and the origin checks stand in (case 28, 29)
@shows_form_again(show_widget_again)
# The campaign page's limits and counters (shared): the widget is one more way in.
@signing_limits(widget_post_refused)
def sign(slug):
    """Check the token and origin, then sign as the campaign page does, marked 'embed'."""
    page = load_widget_page(slug)
    reason = refusal(page)
    if reason:
        log.info("Widget signature on %s refused: %s", slug, reason)
        return render_refused(page)
    form, valid = posted_widget_form(page)
    if not valid:
        return render_widget(page, form, status=400, keep_form=True)
    try:
        record_signature(page, form, {"source": "embed", "referrer": form.referrer.data or ""})
    except signing.CampaignNotAccepting:
        return show_widget_again(
            _("This petition closed before your signature could be recorded."), 400
        )
    kept = form.referrer.data or None
    return redirect(widget_url(".check_inbox", slug, referrer=kept), code=303)


def render_refused(page: CampaignPage):
    """A plain 400 in the frame: nothing was stored; reloading gives a fresh form."""
    referrer = referrer_code(request.form.get("referrer"))
    html = render_template(
        "embed/refused.html",
        page=page,
        reload_url=widget_url(".widget", page.slug, referrer=referrer or None),
    )
    return frameable(page, make_response(html, 400))


@bp.get("/<slug>/check-inbox")
def check_inbox(slug):
    """What the widget shows after signing."""
    page = load_widget_page(slug)
    referrer = referrer_code(request.args.get("referrer")) or None
    back_url = widget_url(".widget", slug, referrer=referrer)
    html = render_template("embed/check_inbox.html", page=page, back_url=back_url)
    return frameable(page, make_response(html))
