"""Signing from any form (the campaign page, the embed widget): what each sign POST shares.

The same rate limits and counters, the form validated once per request, and the recording.
"""

from flask import request

from app.campaigns.pages import CampaignPage
from app.core.i18n import page_language
from app.core.rate_limits import client_address, configured_limit
from app.signatures import signing
from app.signatures.forms import SignForm
from app.signatures.fraud.rules import SigningChecks


def ip_and_campaign():
    """Rate-limit key: a flood on one campaign does not throttle another (case 24)."""
    return f"{client_address()}:{request.view_args['slug']}"


def validated_once(key: str, make_form):
    """(form, valid): the posted form `make_form()` builds, validated once per request.

    The signing limits ask whether the form is valid before the view runs, and the view
    needs the same answer and the form's data: both get this one validation. Kept in the
    request's environ, since `g` can outlive a request in tests.
    """
    if key not in request.environ:
        form = make_form()
        request.environ[key] = (form, form.validate())
    return request.environ[key]


def signing_limits(form_refused):
    """The sign POST's rate limits, shared by every way in (same keys, same counters).

    Signing from the campaign page and from the widget does not double anyone's allowance.
    A submission for which `form_refused()` is true is not counted towards the limits (a
    typo corrected twice does not use them up); deciding that before the view, rather than
    deducting after it, counts in one atomic step: concurrent requests cannot all pass a
    limit that has one place left. Every attempt counts towards RATELIMIT_SIGN_ATTEMPTS.
    """
    limits = (
        configured_limit("RATELIMIT_SIGN_ATTEMPTS", shared=True, key_func=ip_and_campaign),
        configured_limit(
            "RATELIMIT_SIGN", shared=True, key_func=ip_and_campaign, exempt_when=form_refused
        ),
        configured_limit(
            "RATELIMIT_SIGN_GLOBAL", shared=True, key_func=client_address, exempt_when=form_refused
        ),
    )

    def decorate(view):
        for limit in reversed(limits):
            view = limit(view)
        return view

    return decorate


def record_signature(page: CampaignPage, form: SignForm, credit: dict[str, str]) -> None:
    """Sign `page` with a validated sign form, as this request's client, credited to `credit`.

    Raises signing.CampaignNotAccepting if the campaign closed meanwhile.
    """
    details = signing.SignatureDetails(
        **{name: form[name].data for name in ("name", "email", "postcode", "country")},
        public=form.public.data,
        contact_consent=form.contact_consent.data,
        ally_contact_consent=form.ally_contact_answer(),
    )
    signing.sign_campaign(
        page,
        details,
        page_language(),
        request.remote_addr,
        user_agent=request.headers.get("User-Agent", ""),
        checks=SigningChecks(form.website.data or "", form.rendered.data or ""),
        attribution=credit,
    )
