"""A campaign's allies as the public side reads them: by referrer code, and who may frame.

The organisers' pages (app.organisers.allies) add, change and remove allies; the widget
and the confirmation page only read them, through these functions.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from app.campaigns.models import Ally, Campaign
from app.core.cache import page_cache
from app.core.database import begin_read_only, end_read_only
from app.core.headers import ANY_SITE
from app.extensions import db

OWN_SITE = "'self'"
DEFAULT_PORTS = {"http": 80, "https": 443}
# A DNS name in ASCII (IDNA) form: letters, digits and hyphens in dot-separated labels.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


class NotAnOrigin(ValueError):
    """Not a web site's origin (scheme://host[:port]); the message says what is wrong."""


def normalise_origin(text: str) -> str:
    """`text` as a CSP host source: `https://host[:port]`, lower case, IDNA, no default port.

    Raises NotAnOrigin for anything else: another scheme, a path, a query, a user name,
    a wildcard. The result goes into a response header, so nothing but these characters
    may pass.
    """
    text = text.strip()
    if not text or any(ch.isspace() for ch in text):
        raise NotAnOrigin("empty")
    if "*" in text:
        raise NotAnOrigin("wildcard")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise NotAnOrigin("port") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not text.lower().startswith(scheme + "://"):
        raise NotAnOrigin("scheme")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in text or "#" in text:
        raise NotAnOrigin("path")
    if parts.username is not None or parts.password is not None:
        raise NotAnOrigin("user")
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise NotAnOrigin("host") from error
    if not HOST.fullmatch(host) or (
        IPV4.fullmatch(host) and any(int(n) > 255 for n in host.split("."))
    ):
        raise NotAnOrigin("host")
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class AllyQuestion:
    """What the public side needs of an ally: its name and its contact question."""

    name: str
    contact_question: str


def _read(query):
    """Run `query()` in a reader's transaction of its own when none is open.

    On SQLite a plain reader takes no write lock, so widget views never queue behind
    signing; inside a caller's transaction it simply runs there.
    """
    if db.session().in_transaction():
        return query()
    begin_read_only(db.session)
    try:
        result = query()
    except Exception:
        db.session.rollback()
        raise
    end_read_only(db.session)
    return result


def campaign_ally(campaign_id: int, code: str) -> AllyQuestion | None:
    """The name and question of the campaign's ally whose referrer code is `code`, if any."""
    if not code:
        return None
    row = _read(
        lambda: db.session.execute(
            select(Ally.name, Ally.contact_question).where(
                Ally.campaign_id == campaign_id, Ally.code == code
            )
        ).first()
    )
    return AllyQuestion(row.name, row.contact_question) if row else None


@dataclass(frozen=True)
class WidgetAllies:
    """What the widget needs of a campaign's allies, cached a moment with the page data."""

    # CSP frame-ancestors of the campaign's widget pages.
    frame_ancestors: str
    # Referrer code -> the ally's name and question.
    questions: tuple[tuple[str, AllyQuestion], ...]

    def ally(self, code: str) -> AllyQuestion | None:
        """The name and question of the ally whose referrer code is `code`, if any."""
        return dict(self.questions).get(code) if code else None


def widget_allies(campaign_id: int) -> WidgetAllies:
    """The campaign's framing and its allies' questions, read at most once a moment.

    The widget is the hottest page an ally's site serves: like its HTML, what it knows of
    the allies is kept for PAGE_CACHE_SECONDS (the organisers' changes clear it at once).
    """
    return page_cache().get_or_compute(
        ("widget-allies", campaign_id), lambda: _read(lambda: _widget_allies(campaign_id))
    )


def _widget_allies(campaign_id: int) -> WidgetAllies:
    only_allies = db.session.scalar(
        select(Campaign.widget_allies_only).where(Campaign.id == campaign_id)
    )
    allies = db.session.execute(
        select(Ally.code, Ally.name, Ally.contact_question, Ally.sites)
        .where(Ally.campaign_id == campaign_id)
        .order_by(Ally.id)
    ).all()
    questions = tuple((a.code, AllyQuestion(a.name, a.contact_question)) for a in allies)
    sites = [a.sites for a in allies] if only_allies else None
    return WidgetAllies(frame_ancestors(sites), questions)


def frame_ancestors(allies_sites: list[str] | None) -> str:
    """frame-ancestors for these allies' stored sites; None: the campaign lets any site.

    Any site, unless the campaign allows only its allies' sites: then exactly those and
    this site itself (its team's "Share and embed" page previews the widget). Each stored
    site is checked again on the way out, so a bad row can never put anything else into
    the header.
    """
    if allies_sites is None:
        return ANY_SITE
    sites: dict[str, None] = {OWN_SITE: None}
    for stored in allies_sites:
        for site in stored.split():
            try:
                sites[normalise_origin(site)] = None
            except NotAnOrigin:
                continue
    return " ".join(sites)
