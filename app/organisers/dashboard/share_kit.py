"""What a campaign's team hands out: links per channel, the widget's snippets, its preview."""

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.campaigns.models import Campaign
from app.core.urls import absolute_url
from app.embed.snippets import iframe_snippet, script_snippet

# The channels of the campaign page's share buttons (templates/campaigns/_share.html), in
# its order, plus the QR code: the codes the dashboard's "where signatures came from" shows.
CHANNELS = ("link", "email", "whatsapp", "telegram", "bluesky", "facebook", "x", "qr")

# What organisers read instead of each code, on the figures and the Share and embed page:
# the codes above, the device's share menu and the embedded widget. Services keep their
# own names in every language, as the campaign page's share buttons show them. A code a
# team makes up (newsletter) has no name: it is shown as typed.
CHANNEL_NAMES = {
    "link": _l("Copied link"),
    "email": _l("Email"),
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "bluesky": "Bluesky",
    "facebook": "Facebook",
    "x": "X",
    "qr": _l("QR code"),
    "webshare": _l("Share menu of the device"),
    "embed": _l("Embedded widget"),
}


def channel_name(source: str) -> str | None:
    """The readable name of a channel code, in the page's language; None for a team's own."""
    name = CHANNEL_NAMES.get(source)
    return str(name) if name is not None else None


@dataclass(frozen=True)
class ShareKit:
    """Everything the "Share and embed" page shows for one language and referrer."""

    campaign_url: str
    channel_links: list[tuple[str, str]]
    script: str
    iframe: str
    preview_url: str
    language: str
    referrer: str


def make_share_kit(
    campaign: Campaign, language: str, referrer: str = "", own_source: str = ""
) -> ShareKit:
    """The links and snippets of `campaign` in `language`, credited to `referrer` if given.

    `own_source` adds a link for a channel the team names itself (a newsletter, a poster).
    """
    title = campaign.translation(language).title
    # The page's language is a parameter only when it is not the campaign's default: the
    # default language's link stays the short one people recognise.
    lang = language if language != campaign.default_language else None
    credit = {"referrer": referrer} if referrer else {}

    def link(source: str) -> str:
        return absolute_url(
            "signatures.sign_page", slug=campaign.slug, lang=lang, source=source, **credit
        )

    sources = CHANNELS + ((own_source,) if own_source and own_source not in CHANNELS else ())
    return ShareKit(
        campaign_url=absolute_url("signatures.sign_page", slug=campaign.slug, lang=lang),
        channel_links=[(source, link(source)) for source in sources],
        script=script_snippet(campaign.slug, referrer=referrer, language=language, title=title),
        iframe=iframe_snippet(campaign.slug, title, referrer=referrer, language=language),
        # Relative: the preview is framed by the dashboard page itself, wherever it is served.
        preview_url=url_for(
            "embed.widget", slug=campaign.slug, lang=language, referrer=referrer or None
        ),
        language=language,
        referrer=referrer,
    )
