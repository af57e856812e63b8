"""Signatures after signing: recounts, news of the delivery.

Signing is in signing.py, confirming in confirmation.py.
"""

from sqlalchemy import (
    func,
    select,
)

from app.campaigns.counts import set_confirmed_count
from app.campaigns.models import (
    Campaign,
)
from app.campaigns.tallies import (
    rebuild_tallies,
)
from app.core.cache import page_cache
from app.core.database import (
    is_row_id,
    utcnow,
)
from app.extensions import db
from app.signatures.emails import (
    queue_delivery_email,
)
from app.signatures.models import (
    CONFIRMED,
    PENDING,
    Signature,
)


def recount_campaign(campaign: Campaign) -> int:
    """Rebuild a campaign's count and tallies from its rows (repair after a restore or edit).

    The only place that scans a campaign's signatures for figures: one GROUP BY pass for
    the places and days, one each for the share channels and the referrers.
    """
    if db.engine.dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", Signature.confirmed_at), "YYYY-MM-DD")
    else:
        # SQLite keeps UTC timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text.
        day = func.substr(Signature.confirmed_at, 1, 10)
    rows = db.session.execute(
        select(Signature.state, day, Signature.country, Signature.postcode, func.count())
        .where(Signature.campaign_id == campaign.id, Signature.state.in_((PENDING, CONFIRMED)))
        .group_by(Signature.state, day, Signature.country, Signature.postcode)
        .order_by(Signature.state, day, Signature.country, Signature.postcode)
    ).all()
    confirmed = [row for row in rows if row[0] == CONFIRMED]
    total = sum(row[4] for row in confirmed)
    by_day: dict[str, int] = {}
    by_country: dict[str, int] = {}
    by_postcode: dict[str, int] = {}
    for _, day_key, country, postcode, count in confirmed:
        by_day[day_key] = by_day.get(day_key, 0) + count
        by_country[country] = by_country.get(country, 0) + count
        by_postcode[postcode] = by_postcode.get(postcode, 0) + count
    pending = sum(row[4] for row in rows if row[0] == PENDING)
    by_attribution = [
        db.session.execute(
            select(column, func.count())
            .where(Signature.campaign_id == campaign.id, Signature.state == CONFIRMED)
            .group_by(column)
        ).all()
        for column in (Signature.source, Signature.referrer)
    ]
    set_confirmed_count(campaign.id, total)
    rebuild_tallies(
        campaign.id,
        pending,
        by_day.items(),
        by_country.items(),
        by_postcode.items(),
        *by_attribution,
    )
    db.session.commit()
    page_cache().clear()
    return total


def signature_is_on(signature_id: int, campaign_id: int) -> bool:
    """Whether that signature exists on that campaign (any state)."""
    signature = _signature_by_id(signature_id)
    return signature is not None and signature.campaign_id == campaign_id


def signature_campaign(signature: Signature) -> Campaign:
    """The campaign a signature belongs to."""
    return db.session.get(Campaign, signature.campaign_id)


def _signature_by_id(signature_id) -> Signature | None:
    return db.session.get(Signature, signature_id) if is_row_id(signature_id) else None


DELIVERY_NEWS_BATCH = 500


def tell_signers_of_delivery(
    campaign: Campaign, after_id: int = 0, batch: int = DELIVERY_NEWS_BATCH, now=None
) -> int | None:
    """Queue the delivery news for one batch of confirmed signers who agreed to be contacted.

    Each batch commits on its own, in signature id order; returns the id to continue after,
    or None when every such signer has been queued. A batch that fails is rolled back whole,
    so running it again sends nobody the news twice. Each email respects the daily cap.
    """
    now = now or utcnow()
    signatures = (
        db.session.execute(
            select(Signature)
            .where(
                Signature.campaign_id == campaign.id,
                Signature.state == CONFIRMED,
                Signature.contact_consent.is_(True),
                Signature.id > after_id,
            )
            .order_by(Signature.id)
            .limit(batch)
        )
        .scalars()
        .all()
    )
    for signature in signatures:
        queue_delivery_email(
            signature,
            campaign.translation(signature.language).title,
            campaign.slug,
            campaign.delivered_to,
            campaign.delivered_on,
            now,
        )
    last_id = signatures[-1].id if signatures else None
    db.session.commit()
    return last_id if len(signatures) == batch else None
