"""What the dashboard shows: campaigns an organiser may see, their figures, their signatures.

Figures come from the maintained counts and tallies (app.campaigns.counts and .tallies);
the signature list reads one page of rows through an index, never the whole campaign.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import selectinload

from app.campaigns.counts import confirmed_counts
from app.campaigns.goals import goal_reached
from app.campaigns.models import Campaign
from app.campaigns.tallies import (
    COUNTRY,
    LOCALITY,
    REFERRER,
    SOURCE,
    confirmed_by_day,
    pending_count,
    top_figures,
)
from app.core.addresses import mailbox_identity
from app.core.countries import country_choices
from app.core.database import utcnow
from app.core.outbox import queue_templated_email
from app.core.urls import absolute_url
from app.extensions import db
from app.organisers.access import organisations_of
from app.organisers.allies.services import ally_names
from app.organisers.models import Membership, Organisation, Organiser, Role
from app.signatures.models import (
    CONFIRMED,
    NAMES_TO_REVIEW,
    STATES,
    Signature,
    name_search_form,
)

CHART_DAYS = 90
PAGE_SIZE = 50
TOP = 10
# Share channels shown: every channel there is, up to a bound (codes are free-form).
SOURCES = 50
# Above every code point: "name_search < prefix + this" ends the range of the prefix.
AFTER_EVERY_PREFIX = "\U0010ffff"


def init_app(app: Flask) -> None:
    """Listen for goals reached, to email the team."""
    goal_reached.connect(queue_goal_emails)


# Home ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSummary:
    """One line of the organiser's home: a campaign and its maintained count."""

    campaign: Campaign
    title: str
    confirmed: int
    organisation: Organisation | None


def visible_campaigns(organiser: Organiser, language: str) -> list[CampaignSummary]:
    """Campaigns of the organiser's organisations; for site admins also the admins' own."""
    organisations = {org.id: org for org, _ in organisations_of(organiser)}
    conditions = [Campaign.organisation_id.in_(list(organisations))]
    if organiser.is_admin:
        conditions.append(Campaign.organisation_id.is_(None))
    campaigns = (
        db.session.execute(
            select(Campaign)
            .where(or_(*conditions))
            .options(selectinload(Campaign.translations))
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
        .scalars()
        .all()
    )
    counts = confirmed_counts([campaign.id for campaign in campaigns])
    return [
        CampaignSummary(
            campaign,
            campaign.translation(language).title,
            counts[campaign.id],
            organisations.get(campaign.organisation_id),
        )
        for campaign in campaigns
    ]


# Campaign figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What the campaign dashboard shows: counts, the daily series and the top places."""

    confirmed: int
    pending: int
    rate_percent: float | None
    days: list[tuple[date, int]]
    countries: list[tuple[str, int]]
    localities: list[tuple[str, int]]
    # Attribution: confirmed signatures by share channel, and the referrers that brought most.
    sources: list[tuple[str, int]] = field(default_factory=list)
    referrers: list[tuple[str, int]] = field(default_factory=list)
    # Referrer code -> name, for the codes that are the campaign's allies'.
    ally_names: dict[str, str] = field(default_factory=dict)


def campaign_figures(campaign: Campaign, language: str, today: date | None = None) -> Figures:
    """The campaign's figures, from a few dozen maintained rows."""
    today = today or utcnow().date()
    confirmed = confirmed_counts([campaign.id])[campaign.id]
    pending = max(0, pending_count(campaign.id))
    started = campaign.created_at.date() if campaign.created_at else today
    first_day = max(today - timedelta(days=CHART_DAYS - 1), min(started, today))
    per_day = confirmed_by_day(campaign.id, first_day)
    dates = [first_day + timedelta(days=n) for n in range((today - first_day).days + 1)]
    days = [(day, per_day.get(day.isoformat(), 0)) for day in dates]
    names = dict(country_choices(language))
    countries = [
        (names.get(code, code) if code else "", count)
        for code, _, count in top_figures(campaign.id, COUNTRY, TOP)
    ]
    localities = [(label, count) for _, label, count in top_figures(campaign.id, LOCALITY, TOP)]
    total = confirmed + pending
    rate = 100.0 * confirmed / total if total else None
    return Figures(
        confirmed,
        pending,
        rate,
        days,
        countries,
        localities,
        sources=[(key, count) for key, _, count in top_figures(campaign.id, SOURCE, SOURCES)],
        # The top referrers, "" (no referrer) left out.
        referrers=[
            (key, count) for key, _, count in top_figures(campaign.id, REFERRER, TOP + 1) if key
        ][:TOP],
        ally_names=ally_names(campaign.id),
    )


# Signature list -----------------------------------------------------------------------


@dataclass
class SignaturePage:
    """One page of signatures, newest first, with the ids to page on from."""

    rows: list[Signature] = field(default_factory=list)
    older_than: int | None = None  # ?before= for the next (older) page
    newer_than: int | None = None  # ?after= for the previous (newer) page


def _search_condition(campaign_id: int, q: str):
    """Exact mailbox (when it looks like an address) or name prefix; None without a query."""
    q = q.strip()
    if not q:
        return None
    if "@" in q:
        return Signature.email_normalised == mailbox_identity(q)
    prefix = name_search_form(q)
    return Signature.name_search.between(prefix, prefix + AFTER_EVERY_PREFIX)


def _names_to_review(campaign_id: int) -> list:
    """Held names the public would otherwise see: confirmed signers who chose to be shown.

    The condition is written as the partial index's, so SQLite can use that index; the
    state is compared as an expression (`state || ''`) so that SQLite, which has no
    statistics, does not range over every confirmed row of the campaign instead.
    """
    return [
        Signature.campaign_id == campaign_id,
        text(NAMES_TO_REVIEW),
        Signature.state.concat("") == CONFIRMED,
        Signature.public.is_(True),
    ]


def names_to_review_count(campaign: Campaign) -> int:
    """How many names wait for the team's review (a count over a small partial index)."""
    query = select(func.count()).select_from(Signature).where(*_names_to_review(campaign.id))
    return db.session.execute(query).scalar_one()


def signature_page(
    campaign: Campaign,
    state: str = CONFIRMED,
    q: str = "",
    before: int | None = None,
    after: int | None = None,
    names_to_review: bool = False,
) -> SignaturePage:
    """Up to PAGE_SIZE signatures older than `before` (or newer than `after`), newest first.

    Keyset paging by id over the (campaign, state, id) index, or over the name or email
    index when searching: a deep page costs what the first one does. An address search
    finds that signature whatever its state. `names_to_review` lists only the names the
    word list held (whatever `state` says).
    """
    search = _search_condition(campaign.id, q)
    if names_to_review:
        conditions = _names_to_review(campaign.id)
    else:
        conditions = [Signature.campaign_id == campaign.id]
        if search is None or "@" not in q:
            conditions.append(Signature.state == (state if state in STATES else CONFIRMED))
    if search is not None:
        conditions.append(search)
    query = select(Signature).where(*conditions)
    if after is not None:
        rows = db.session.execute(
            query.where(Signature.id > after).order_by(Signature.id.asc()).limit(PAGE_SIZE)
        ).scalars()
        rows = list(reversed(rows.all()))
    else:
        if before is not None:
            query = query.where(Signature.id < before)
        rows = (
            db.session.execute(query.order_by(Signature.id.desc()).limit(PAGE_SIZE)).scalars().all()
        )
    page = SignaturePage(rows=list(rows))
    if page.rows:
        newest, oldest = page.rows[0].id, page.rows[-1].id
        if _any_row(*conditions, Signature.id < oldest):
            page.older_than = oldest
        if _any_row(*conditions, Signature.id > newest):
            page.newer_than = newest
    return page


def _any_row(*conditions) -> bool:
    query = select(Signature.id).where(*conditions).limit(1)
    return db.session.execute(query).first() is not None


# Goal email ---------------------------------------------------------------------------


def goal_recipients(campaign: Campaign) -> list[tuple[str, str]]:
    """(email, language) of the team to tell: owners and editors, or the site admins."""
    if campaign.organisation_id is None:
        query = select(Organiser.email, Organiser.language).where(Organiser.is_admin.is_(True))
    else:
        query = (
            select(Organiser.email, Organiser.language)
            .join(Membership, Membership.organiser_id == Organiser.id)
            .where(
                Membership.organisation_id == campaign.organisation_id,
                Membership.role.in_((Role.OWNER, Role.EDITOR)),
            )
        )
    rows = db.session.execute(query.order_by(Organiser.id))
    return [(email, language) for email, language in rows]


def queue_goal_emails(sender, campaign_id: int, goal: int, now: datetime | None = None) -> None:
    """Queue "goal reached" to each of the team, in the transaction that announced it."""
    campaign = db.session.get(Campaign, campaign_id)
    url = absolute_url("dashboard.campaign", campaign_id=campaign_id)
    for email, language in goal_recipients(campaign):
        queue_templated_email(
            email,
            "dashboard/goal_reached",
            language,
            {"title": campaign.translation(language).title, "goal": goal, "dashboard_url": url},
            now,
        )
