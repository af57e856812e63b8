"""Forgetting what was never confirmed: pending signatures older than the retention period.

A pending signature is an address someone typed and nobody confirmed: it counts for nothing,
and keeping it would keep a name, an address and a campaign side by side for no one's good.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.campaigns.models import Campaign
from app.campaigns.tallies import PENDING as PENDING_TALLY
from app.campaigns.tallies import add_to_tallies
from app.core.audit import record_event
from app.core.database import utcnow
from app.extensions import db
from app.signatures.models import PENDING, Signature

BATCH = 1000


def pending_cutoff(now: datetime) -> datetime:
    """Pending signatures made before this moment are forgotten.

    Never sooner than a confirmation link expires: a working link finds its signature.
    """
    config = current_app.config
    keep = max(timedelta(days=config["PENDING_RETENTION_DAYS"]), config["CONFIRMATION_MAX_AGE"])
    return now - keep


def forget_stale_pending_signatures(now: datetime | None = None, batch: int = BATCH) -> int:
    """Delete every pending signature older than PENDING_RETENTION_DAYS; how many went.

    Campaign by campaign, `batch` rows a transaction, oldest first along the index on
    (campaign_id, state, id): ids grow with the signing time, so a campaign's scan stops at
    its first pending row still within the period, and no run reads the whole table.
    """
    cutoff = pending_cutoff(now or utcnow())
    campaign_ids = db.session.execute(select(Campaign.id).order_by(Campaign.id)).scalars().all()
    db.session.commit()
    forgotten = 0
    for campaign_id in campaign_ids:
        in_campaign = 0
        more = True
        while more:
            deleted, more = _forget_batch(campaign_id, cutoff, batch)
            in_campaign += deleted
        if in_campaign:
            record_event("signatures.pending_forgotten", "campaign", campaign_id, count=in_campaign)
            db.session.commit()
        forgotten += in_campaign
    return forgotten


def _forget_batch(campaign_id: int, cutoff: datetime, batch: int) -> tuple[int, bool]:
    """Delete up to `batch` of the campaign's oldest pending rows made before `cutoff`.

    Returns how many went, and whether older ones may remain (a full batch, all old).
    """
    rows = db.session.execute(
        select(Signature.id, Signature.created_at)
        .where(Signature.campaign_id == campaign_id, Signature.state == PENDING)
        .order_by(Signature.id)
        .limit(batch)
    ).all()
    ids = [row.id for row in rows if row.created_at < cutoff]
    if not ids:
        db.session.commit()
        return 0, False
    # The state is in the DELETE too: a row confirmed since it was read stays.
    deleted = db.session.execute(
        delete(Signature)
        .where(Signature.id.in_(ids), Signature.state == PENDING)
        .execution_options(synchronize_session=False)
    ).rowcount
    if deleted:
        add_to_tallies(campaign_id, [(PENDING_TALLY, "", -deleted, "")])
    db.session.commit()
    # A newer row in the batch means this campaign's old ones are all gone.
    return deleted, len(rows) == batch and len(ids) == len(rows)
