"""Allies of a campaign: add, change, remove, renew their stats link; what they brought.

Counts read the signatures' (campaign, referrer, state) index: one ally's confirmed rows,
never the whole campaign.
"""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.campaigns.models import Ally, Campaign
from app.campaigns.tallies import REFERRER, figures_of
from app.core.audit import record_event
from app.core.cache import page_cache
from app.core.database import utcnow
from app.extensions import db
from app.signatures.models import CONFIRMED, Signature

STATS_DAYS = 30
STATS_KEY_BYTES = 24


class CodeTaken(Exception):
    """Another ally of the campaign already has this referrer code."""


@dataclass(frozen=True)
class AllyRow:
    """An ally on the organisers' list, with the confirmed signatures its code brought."""

    ally: Ally
    brought: int


@dataclass(frozen=True)
class AllyStats:
    """What an ally's stats page shows: counts only, nobody's details."""

    total: int
    days: list[tuple[date, int]] = field(default_factory=list)


def new_stats_key() -> str:
    """A fresh secret for a stats page's address."""
    return secrets.token_urlsafe(STATS_KEY_BYTES)


def campaign_allies(campaign: Campaign) -> list[AllyRow]:
    """The campaign's allies by name, each with the confirmed signatures it brought."""
    allies = db.session.scalars(
        select(Ally).where(Ally.campaign_id == campaign.id).order_by(Ally.name, Ally.id)
    ).all()
    brought = confirmed_by_code(campaign.id, [ally.code for ally in allies])
    return [AllyRow(ally, brought.get(ally.code, 0)) for ally in allies]


def confirmed_by_code(campaign_id: int, codes: list[str]) -> dict[str, int]:
    """Confirmed signatures of the campaign per referrer code, for these codes."""
    return figures_of(campaign_id, REFERRER, codes) if codes else {}


def ally_names(campaign_id: int) -> dict[str, str]:
    """Referrer code -> ally name, for the campaign's allies."""
    rows = db.session.execute(select(Ally.code, Ally.name).where(Ally.campaign_id == campaign_id))
    return {code: name for code, name in rows}


def campaign_ally_by_id(campaign: Campaign, ally_id: int) -> Ally | None:
    """The ally with this id if it is one of `campaign`'s, else None."""
    ally = db.session.get(Ally, ally_id)
    return ally if ally is not None and ally.campaign_id == campaign.id else None


def ally_by_stats_key(key: str) -> Ally | None:
    """The ally whose stats link carries `key`; None for an unknown or replaced key."""
    if not key or len(key) > 64:
        return None
    return db.session.execute(select(Ally).where(Ally.stats_key == key)).scalar_one_or_none()


def _audit(action: str, ally: Ally, campaign: Campaign, actor_id: int | None, **detail) -> None:
    record_event(
        action,
        "ally",
        ally.id,
        actor_id=actor_id,
        organisation_id=campaign.organisation_id,
        campaign_id=campaign.id,
        **detail,
    )


def _commit() -> None:
    db.session.commit()
    # The widget keeps the allies' questions and framing a moment: show the change now.
    page_cache().clear()


def add_ally(
    campaign: Campaign,
    actor_id: int | None,
    name: str,
    code: str,
    sites: list[str],
    contact_question: str = "",
) -> Ally:
    """Register an ally with its referrer code; raises CodeTaken if the campaign has it."""
    ally = Ally(
        campaign_id=campaign.id,
        name=name,
        code=code,
        sites="\n".join(sites),
        contact_question=contact_question,
        stats_key=new_stats_key(),
    )
    db.session.add(ally)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise CodeTaken(code) from error
    _audit("ally.added", ally, campaign, actor_id, code=code, sites=sites)
    _commit()
    return ally


def code_is_taken(campaign: Campaign, code: str) -> bool:
    """Whether one of the campaign's allies already uses this referrer code."""
    query = select(Ally.id).where(Ally.campaign_id == campaign.id, Ally.code == code)
    return db.session.execute(query).first() is not None


def update_ally(
    ally: Ally,
    campaign: Campaign,
    actor_id: int | None,
    name: str,
    sites: list[str],
    contact_question: str = "",
) -> None:
    """Change an ally's name, sites and question; its code stays (signatures keep it)."""
    ally.name, ally.sites, ally.contact_question = name, "\n".join(sites), contact_question
    _audit("ally.changed", ally, campaign, actor_id, sites=sites)
    _commit()


def remove_ally(ally: Ally, campaign: Campaign, actor_id: int | None) -> None:
    """Remove an ally; the signatures it brought keep its code (and still count)."""
    _audit("ally.removed", ally, campaign, actor_id, code=ally.code)
    db.session.delete(ally)
    _commit()


def renew_stats_link(ally: Ally, campaign: Campaign, actor_id: int | None) -> None:
    """Give the ally a new stats link; the old one stops working at once."""
    ally.stats_key = new_stats_key()
    _audit("ally.stats_link_renewed", ally, campaign, actor_id)
    _commit()


def set_widget_allies_only(campaign: Campaign, actor_id: int | None, allies_only: bool) -> None:
    """Let only the allies' sites frame the widget, or any site again."""
    campaign.widget_allies_only = allies_only
    record_event(
        "campaign.widget_framing",
        "campaign",
        campaign.id,
        actor_id=actor_id,
        organisation_id=campaign.organisation_id,
        allies_only=allies_only,
    )
    _commit()


def _day_of_confirmation():
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Signature.confirmed_at), "YYYY-MM-DD")
    # SQLite keeps UTC timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text.
    return func.substr(Signature.confirmed_at, 1, 10)


def ally_stats(ally: Ally, today: date | None = None) -> AllyStats:
    """Confirmed signatures the ally's code brought: in all, and per day for STATS_DAYS days."""
    today = today or utcnow().date()
    first_day = today - timedelta(days=STATS_DAYS - 1)
    mine = (
        Signature.campaign_id == ally.campaign_id,
        Signature.referrer == ally.code,
        Signature.state == CONFIRMED,
    )
    total = db.session.scalar(select(func.count()).where(*mine))
    day = _day_of_confirmation()
    rows = db.session.execute(
        select(day, func.count())
        .where(*mine, Signature.confirmed_at >= datetime.combine(first_day, time(), UTC))
        .group_by(day)
    )
    per_day = {key: count for key, count in rows}
    dates = [first_day + timedelta(days=n) for n in range(STATS_DAYS)]
    return AllyStats(total, [(d, per_day.get(d.isoformat(), 0)) for d in dates])
