"""Telling the team once when a campaign reaches its goal.

The package that confirms signatures calls `announce_goal_if_reached` in the confirming
transaction; whoever listens to `goal_reached` (the organisers' dashboard) queues the
emails in that same transaction, so the announcement and its emails commit together.
"""

from blinker import Namespace
from flask import current_app
from sqlalchemy import bindparam, func, or_, select, text, update

from app.campaigns.models import Campaign, CampaignCountShard
from app.core.database import execute_core
from app.extensions import db

signals = Namespace()
# Sent with campaign_id= and goal= inside the transaction that records the announcement.
goal_reached = signals.signal("goal-reached")


# Built once: a campaign's goal, whether announced, and its summed confirmed count.
_GOAL_AND_COUNT = select(
    Campaign.goal,
    Campaign.goal_announced,
    select(func.coalesce(func.sum(CampaignCountShard.count), 0))
    .where(CampaignCountShard.campaign_id == bindparam("campaign_id"))
    .scalar_subquery(),
).where(Campaign.id == bindparam("campaign_id"))


def announce_goal_if_reached(campaign_id: int) -> bool | None:
    """Announce the goal if the confirmed count has reached it (in the caller's transaction).

    Returns True when this call announced it, None when the goal is near but not reached
    as far as this transaction sees (on PostgreSQL a concurrent confirmation may still
    be uncommitted: call again after committing), and False otherwise.
    """
    return announce_goal_and_count(campaign_id)[0]


def announce_goal_and_count(campaign_id: int) -> tuple[bool | None, int]:
    """announce_goal_if_reached's answer, and the confirmed count it saw (one read).

    The guarded UPDATE matches only while the goal is unannounced, so of racing
    confirmations exactly one announces; a raised goal is announced again when reached.
    """
    row = execute_core(_GOAL_AND_COUNT, {"campaign_id": campaign_id}).one_or_none()
    if row is None:
        return False, 0
    goal, goal_announced, confirmed = row[0], row[1], int(row[2])
    if goal_announced == goal or goal <= 0:
        return False, confirmed
    if confirmed < goal:
        return (None if confirmed >= goal - recheck_margin() else False), confirmed
    announced = db.session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            Campaign.goal == goal,
            or_(Campaign.goal_announced.is_(None), Campaign.goal_announced != goal),
        )
        .values(goal_announced=goal)
        .execution_options(synchronize_session=False)
    ).rowcount
    if announced != 1:
        return False, confirmed
    goal_reached.send(current_app._get_current_object(), campaign_id=campaign_id, goal=goal)
    return True, confirmed


MARGIN_KEY = "rally.goal_recheck_margin"


def recheck_margin() -> int:
    """How far under its goal a confirming transaction may see a campaign that reached it.

    On PostgreSQL a transaction does not see the confirmations of transactions not yet
    committed, one each (a team's release of held signatures checks again itself after
    committing), and there are no more of those than the server's connections. GOAL_RECHECK_MARGIN
    overrides it; SQLite's writers take turns, so nothing is hidden there. Read once per app.
    """
    margin = current_app.extensions.get(MARGIN_KEY)
    if margin is None:
        margin = current_app.config.get("GOAL_RECHECK_MARGIN")
        if margin is None:
            margin = (
                int(execute_core(text("SHOW max_connections")).scalar())
                if db.engine.dialect.name == "postgresql"
                else 0
            )
        current_app.extensions[MARGIN_KEY] = margin
    return margin


def announce_reached_goals() -> int:
    """Announce every goal reached but not announced; returns how many were announced.

    The periodic catch-up behind the confirming transactions' own check: a confirmation
    racing a large release of held signatures can leave a reached goal unannounced.
    """
    counts = (
        select(CampaignCountShard.campaign_id, func.sum(CampaignCountShard.count).label("total"))
        .group_by(CampaignCountShard.campaign_id)
        .subquery()
    )
    reached = db.session.scalars(
        select(Campaign.id)
        .join(counts, counts.c.campaign_id == Campaign.id)
        .where(
            Campaign.goal > 0,
            or_(Campaign.goal_announced.is_(None), Campaign.goal_announced != Campaign.goal),
            counts.c.total >= Campaign.goal,
        )
    ).all()
    db.session.rollback()
    announced = 0
    for campaign_id in reached:
        announced += announce_goal_if_reached(campaign_id) is True
        db.session.commit()
    return announced
