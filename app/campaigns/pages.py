"""The public read model: what campaign pages and the campaign list show, cached a moment.

It reads campaigns, their maintained counts and, for the recent public signers, four columns
of the signatures table (named below, not imported: signatures build on campaigns, never
the other way round). It writes nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import column, select, table, text
from sqlalchemy.orm import joinedload

from app.campaigns.counts import confirmed_counts
from app.campaigns.models import OPEN, Campaign, accepts_signatures
from app.core.cache import page_cache
from app.core.database import begin_read_only, end_read_only, utcnow
from app.extensions import db

RECENT_SIGNERS = 10
# What the page reads of the signatures table, and which rows it lists: confirmed signers
# who chose to be shown, whose name the team has not hidden or is not yet to review. The
# partial index ix_signatures_public_recent repeats this condition word for word (SQLite
# uses a partial index only for a literal match).
SIGNATURES_SHOWN = table(
    "signatures",
    column("id"),
    column("campaign_id"),
    column("name"),
    column("postcode"),
    column("confirmed_at"),
)
SHOWN_ON_PAGE = "state = 'confirmed' AND public = true AND name_moderation IN ('', 'approved')"


def progress_percent(count: int, goal: int) -> int:
    """Share of the goal reached, capped at 100."""
    return min(100, count * 100 // goal) if goal else 0


@dataclass(frozen=True)
class CampaignPage:
    """What a campaign page shows, detached from the session so it can be cached."""

    id: int
    slug: str
    status: str
    goal: int
    deadline: datetime | None
    accepting: bool
    required_fields: tuple[str, ...]
    allowed_email_domains: tuple[str, ...]
    languages: tuple[str, ...]
    default_language: str
    language: str
    title: str
    summary: str
    body_html: str
    target_name: str
    target_role: str
    target_institution: str
    count: int
    recent_signers: tuple[tuple[str, str], ...]
    updated_at: datetime | None = None
    thank_you_html: str = ""
    delivered_on: date | None = None
    delivered_to: str = ""
    delivery_note: str = ""

    @property
    def progress_percent(self) -> int:
        """Share of the goal reached, 0 to 100."""
        return progress_percent(self.count, self.goal)

    def accepts_signatures(self, now: datetime) -> bool:
        """Checked at the moment of signing, not when the page data was cached."""
        return accepts_signatures(self.status, self.deadline, now)


def get_campaign(slug: str, include_drafts: bool = False) -> Campaign | None:
    """The campaign with this slug, or None (drafts are hidden from the public)."""
    campaign = (
        db.session.execute(
            select(Campaign).where(Campaign.slug == slug).options(joinedload(Campaign.translations))
        )
        .unique()
        .scalar_one_or_none()
    )
    if campaign is None or (not campaign.is_public and not include_drafts):
        return None
    return campaign


def get_campaign_page(slug: str, language_picker, seen_count: int = 0) -> CampaignPage | None:
    """Page data for a public campaign, cached for PAGE_CACHE_SECONDS per slug and language.

    `language_picker(available, default)` chooses the content language. `seen_count` is
    the highest count this visitor has been shown: a cached copy older than that is
    rebuilt, so a reload never shows the count going down, whichever process answers.
    """
    cache = page_cache()
    languages = cache.get_or_compute(("languages", slug), lambda: _languages(slug))
    if languages is None:
        return None
    language = language_picker(languages[1], languages[0])
    key = ("page", slug, language)
    page = cache.get_or_compute(key, lambda: _build_campaign_page(slug, language))
    if page is not None and page.count < seen_count:
        page = cache.refresh(key, lambda: _build_campaign_page(slug, language))
    return page


def _languages(slug: str):
    begin_read_only(db.session)
    campaign = get_campaign(slug)
    languages = (campaign.default_language, tuple(campaign.languages)) if campaign else None
    end_read_only(db.session)
    return languages


def _build_campaign_page(slug: str, language: str) -> CampaignPage | None:
    begin_read_only(db.session)
    campaign = get_campaign(slug)
    page = build_campaign_page(campaign, language) if campaign is not None else None
    end_read_only(db.session)
    return page


def build_campaign_page(campaign: Campaign, language: str) -> CampaignPage:
    """The page data of `campaign` in `language` (else its default), public or not.

    The public path reaches it only for public campaigns; the organisers' preview shows
    drafts with it too.
    """
    text = campaign.translation(language)
    return CampaignPage(
        id=campaign.id,
        slug=campaign.slug,
        status=campaign.status,
        goal=campaign.goal,
        deadline=campaign.deadline,
        accepting=campaign.accepts_signatures(utcnow()),
        required_fields=tuple(campaign.required_fields),
        allowed_email_domains=tuple(campaign.allowed_email_domains.split()),
        languages=tuple(campaign.languages),
        default_language=campaign.default_language,
        language=text.language,
        title=text.title,
        summary=text.summary,
        body_html=text.body_html,
        target_name=text.target_name,
        target_role=text.target_role,
        target_institution=text.target_institution,
        count=confirmed_counts([campaign.id])[campaign.id],
        recent_signers=tuple(recent_public_signers(campaign.id, RECENT_SIGNERS)),
        updated_at=campaign.updated_at,
        thank_you_html=text.thank_you_html,
        delivered_on=campaign.delivered_on,
        delivered_to=campaign.delivered_to,
        delivery_note=campaign.delivery_note,
    )


def recent_public_signers(campaign_id: int, limit: int) -> list[tuple[str, str]]:
    """Name and town of the latest confirmed signers who chose to be shown (and may be).

    The partial index `ix_signatures_public_recent` holds only those rows, so this reads
    `limit` index entries however few signers chose to be shown.
    """
    signers = SIGNATURES_SHOWN.c
    rows = db.session.execute(
        select(signers.name, signers.postcode)
        .where(signers.campaign_id == campaign_id, text(SHOWN_ON_PAGE))
        .order_by(signers.confirmed_at.desc(), signers.id.desc())
        .limit(limit)
    )
    return [(name, postcode) for name, postcode in rows]


@dataclass(frozen=True)
class CampaignSummary:
    """One line of the public campaign list."""

    slug: str
    title: str
    summary: str
    language: str
    goal: int
    count: int

    @property
    def progress_percent(self) -> int:
        """Share of the goal reached, 0 to 100."""
        return progress_percent(self.count, self.goal)


def list_open_campaigns(language: str, seen_counts: dict | None = None) -> list[CampaignSummary]:
    """Open campaigns with their confirmed counts, cached for a moment per language.

    As with a campaign page, a cached list showing any count lower than `seen_counts`
    (slug to the count this visitor was last shown) is rebuilt first.
    """
    cache, key = page_cache(), ("index", language)
    summaries = cache.get_or_compute(key, lambda: _open_campaigns(language))
    seen_counts = seen_counts or {}
    if any(summary.count < seen_counts.get(summary.slug, 0) for summary in summaries):
        summaries = cache.refresh(key, lambda: _open_campaigns(language))
    return summaries


def _open_campaigns(language: str) -> list[CampaignSummary]:
    begin_read_only(db.session)
    campaigns = (
        db.session.execute(
            select(Campaign)
            .where(Campaign.status == OPEN, Campaign.unpublished_reason.is_(None))
            .order_by(Campaign.id)
        )
        .scalars()
        .all()
    )
    counts = confirmed_counts([c.id for c in campaigns])
    summaries = []
    for campaign in campaigns:
        text = campaign.translation(language)
        summaries.append(
            CampaignSummary(
                slug=campaign.slug,
                title=text.title,
                summary=text.summary,
                language=text.language,
                goal=campaign.goal,
                count=counts[campaign.id],
            )
        )
    end_read_only(db.session)
    return summaries
