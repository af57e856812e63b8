"""oEmbed (oembed.com): a campaign link pasted in WordPress and the like becomes its widget.

Campaign pages name this endpoint in a `<link rel="alternate" type="application/json+oembed">`
(discovery); a consumer asks it for the page's URL and gets a `rich` answer whose HTML is
the widget's iframe. It reads no cookie and answers the same to everyone, so any site may
call it from a browser too (`Access-Control-Allow-Origin: *`).
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, current_app, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from app.campaigns.pages import CampaignPage, get_campaign_page
from app.core.urls import absolute_url
from app.embed.services import own_origin
from app.embed.snippets import DEFAULT_HEIGHT, iframe_snippet
from app.errors import json_error

bp = Blueprint("oembed", __name__)

URL_MAX = 2000
DEFAULT_WIDTH = 600
# An edited title reaches consumers within the hour; the widget in the frame is always live.
CACHE_AGE = 3600
CAMPAIGN_PATH = re.compile(r"/c/([a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?)/?")


class OembedRefusal(Exception):
    """A request the endpoint cannot answer: the HTTP status and a message for the consumer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class OembedRequest:
    """What a consumer asked for: a campaign, maybe in a language, within some size."""

    slug: str
    language: str
    maxwidth: int | None
    maxheight: int | None


def campaign_address(url: str, base_url: str) -> tuple[str, str] | None:
    """(slug, ?lang= or "") when `url` is one of our campaign pages' addresses, else None.

    Other query parameters (?source=, ?utm_*, a referrer) are ignored: they say how the
    link travelled, not which page it is.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or own_origin(url) != own_origin(base_url):
        return None
    base_path = urlsplit(base_url).path.rstrip("/")
    if not parts.path.startswith(base_path + "/"):
        return None
    match = CAMPAIGN_PATH.fullmatch(parts.path[len(base_path) :])
    if match is None:
        return None
    language = parse_qs(parts.query).get("lang", [""])[0]
    return match.group(1), language


def pixels(value: str | None, name: str) -> int | None:
    """A maxwidth or maxheight parameter: a whole number of pixels above zero, or None."""
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) == 0 or len(value) > 6:
        raise OembedRefusal(400, _("%(name)s must be a whole number of pixels above 0.", name=name))
    return int(value)


def read_oembed_request(args, base_url: str) -> OembedRequest:
    """The request's parameters checked in the spec's order; OembedRefusal says what is wrong."""
    if args.get("format", "json") != "json":
        raise OembedRefusal(501, _("Only format=json is available."))
    url = args.get("url", "")
    if not url or len(url) > URL_MAX:
        raise OembedRefusal(400, _("Give the address of a campaign page as url=."))
    maxwidth = pixels(args.get("maxwidth"), "maxwidth")
    maxheight = pixels(args.get("maxheight"), "maxheight")
    try:
        address = campaign_address(url, base_url)
    except ValueError:  # an address urlsplit cannot read (a bad port, an unclosed [)
        raise OembedRefusal(400, _("Give the address of a campaign page as url=.")) from None
    if address is None:
        raise OembedRefusal(404, _("This address is not a campaign page on this site."))
    return OembedRequest(address[0], address[1], maxwidth, maxheight)


def load_oembed_page(asked: OembedRequest) -> CampaignPage:
    """The published campaign's page data in the language the URL names (else its default)."""
    page = get_campaign_page(
        asked.slug,
        lambda available, default: asked.language if asked.language in available else default,
    )
    if page is None:
        raise OembedRefusal(404, _("This address is not a campaign page on this site."))
    return page


def oembed_answer(page: CampaignPage, asked: OembedRequest) -> dict:
    """The `rich` oEmbed answer for `page`, no larger than the consumer's maxwidth/maxheight.

    The HTML leads with a link to the page in a <blockquote>: WordPress frames sites it does
    not know in a sandbox where no form can be sent, keeps such a link and hides the frame
    until the frame speaks to it, which the widget never does in such a sandbox.
    """
    width = min(DEFAULT_WIDTH, asked.maxwidth or DEFAULT_WIDTH)
    height = min(DEFAULT_HEIGHT, asked.maxheight or DEFAULT_HEIGHT)
    language = page.language if asked.language == page.language else ""
    page_url = absolute_url("signatures.sign_page", slug=page.slug, lang=language or None)
    fallback = f'<blockquote><a href="{escape(page_url)}">{escape(page.title)}</a></blockquote>'
    iframe = iframe_snippet(page.slug, page.title, language=language, height=height, width=width)
    return {
        "version": "1.0",
        "type": "rich",
        "title": page.title,
        "provider_name": provider_name(page.language),
        "provider_url": current_app.config["BASE_URL"] + "/",
        "cache_age": CACHE_AGE,
        "width": width,
        "height": height,
        "html": fallback + iframe,
    }


def provider_name(language: str) -> str:
    """Our name in the page's language where the interface has it: the same for every caller."""
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        return _("Rally")


def discovery_url(page_url: str) -> str:
    """The oEmbed address for one campaign page's URL, for its discovery link."""
    return absolute_url("oembed.oembed", url=page_url, format="json")


bp.add_app_template_global(discovery_url, "oembed_discovery_url")


@bp.get("/oembed")
def oembed():
    """The oEmbed answer for a campaign page's URL, or a JSON error."""
    try:
        asked = read_oembed_request(request.args, current_app.config["BASE_URL"])
        answer = oembed_answer(load_oembed_page(asked), asked)
    except OembedRefusal as refusal:
        return json_error(refusal.status, refusal.message, {"Access-Control-Allow-Origin": "*"})
    response = jsonify(answer)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={CACHE_AGE}"
    return response
