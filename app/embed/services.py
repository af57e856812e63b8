"""The widget's signed form token, and the checks a widget's POST must pass (cases 28, 29).

The widget signs without cookies (browsers block them in third-party frames), so instead
of the session's CSRF token its form carries a short-lived token bound to the campaign,
and the browser's own Origin and Sec-Fetch-Site headers must not name another site.
"""

from urllib.parse import urlsplit

from flask import current_app

from app.core.tokens import TokenExpired, TokenInvalid, make_token, read_token

FORM_TOKEN = "rally.embed.form-token"
DEFAULT_PORTS = {"http": 80, "https": 443}

NO_TOKEN = "no token"
BAD_TOKEN = "forged or malformed token"
EXPIRED_TOKEN = "expired token"
OTHER_CAMPAIGN = "token for another campaign"
FOREIGN_ORIGIN = "foreign Origin"
CROSS_SITE = "Sec-Fetch-Site not same-origin"


def make_form_token(campaign_id: int) -> str:
    """A fresh token for one rendering of the widget's form on this campaign."""
    return make_token(FORM_TOKEN, {"campaign": campaign_id})


def own_origin(base_url: str) -> str:
    """scheme://host[:port] of `base_url`, as a browser writes it in an Origin header."""
    parts = urlsplit(base_url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def widget_post_refusal(
    campaign_id: int, token: str, origin: str | None, fetch_site: str | None
) -> str:
    """Why a widget POST must be refused, or "" when it may go on to the form.

    A browser that sends no Origin or Sec-Fetch-Site (older ones) is judged by the
    token alone.
    """
    if origin is not None and origin != own_origin(current_app.config["BASE_URL"]):
        return FOREIGN_ORIGIN
    if fetch_site is not None and fetch_site != "same-origin":
        return CROSS_SITE
    if not token:
        return NO_TOKEN
    try:
        payload = read_token(FORM_TOKEN, token, current_app.config["EMBED_FORM_TOKEN_MAX_AGE"])
    except TokenExpired:
        return EXPIRED_TOKEN
    except TokenInvalid:
        return BAD_TOKEN
    if payload.get("campaign") != campaign_id:
        return OTHER_CAMPAIGN
    return ""
