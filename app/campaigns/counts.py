"""The maintained confirmed count of each campaign, kept in a few counter shards."""

import random

from flask import current_app
from sqlalchemy import bindparam, func, select, update

from app.campaigns.models import CampaignCountShard
from app.core.database import execute_core
from app.extensions import db


def ensure_count_shards(campaign_id: int) -> None:
    """Add any missing shard rows for the campaign (in the caller's transaction)."""
    have = set(
        db.session.execute(
            select(CampaignCountShard.shard).where(CampaignCountShard.campaign_id == campaign_id)
        ).scalars()
    )
    for shard in range(current_app.config["COUNT_SHARDS"]):
        if shard not in have:
            db.session.add(CampaignCountShard(campaign_id=campaign_id, shard=shard, count=0))


# Built once: the shard and delta come as parameters, so the compiled form is reused.
_BUMP_SHARD = (
    update(CampaignCountShard)
    .where(
        CampaignCountShard.campaign_id == bindparam("b_campaign_id"),
        CampaignCountShard.shard == bindparam("b_shard"),
    )
    .values(count=CampaignCountShard.count + bindparam("delta"))
    .execution_options(synchronize_session=False)
)


def add_to_confirmed_count(campaign_id: int, delta: int) -> None:
    """Bump one random shard of the campaign's count inside the caller's transaction."""
    shard = random.randrange(current_app.config["COUNT_SHARDS"])
    bump = dict(b_campaign_id=campaign_id, delta=delta)
    if execute_core(_BUMP_SHARD, {**bump, "b_shard": shard}).rowcount == 0:
        # COUNT_SHARDS was raised since the campaign was loaded: fall back to shard 0.
        execute_core(_BUMP_SHARD, {**bump, "b_shard": 0})


def confirmed_counts(campaign_ids: list[int]) -> dict[int, int]:
    """The maintained confirmed count of each campaign (a sum over a few shard rows)."""
    if not campaign_ids:
        return {}
    rows = db.session.execute(
        select(CampaignCountShard.campaign_id, func.sum(CampaignCountShard.count))
        .where(CampaignCountShard.campaign_id.in_(campaign_ids))
        .group_by(CampaignCountShard.campaign_id)
    )
    counts = {campaign_id: int(total or 0) for campaign_id, total in rows}
    return {campaign_id: counts.get(campaign_id, 0) for campaign_id in campaign_ids}


def set_confirmed_count(campaign_id: int, total: int) -> None:
    """Make the shards add up to `total` (in the caller's transaction)."""
    ensure_count_shards(campaign_id)
    db.session.flush()
    db.session.execute(
        update(CampaignCountShard)
        .where(CampaignCountShard.campaign_id == campaign_id)
        .values(count=0)
    )
    db.session.execute(
        update(CampaignCountShard)
        .where(CampaignCountShard.campaign_id == campaign_id, CampaignCountShard.shard == 0)
        .values(count=total)
    )
