"""Alerts to a campaign's team when one IP hash, network or email domain surges."""

import calendar
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.campaigns.models import OPEN, Campaign
from app.core.audit import record_event
from app.core.database import utcnow
from app.core.outbox import queue_templated_email
from app.core.urls import absolute_url
from app.extensions import db
from app.organisers.review.figures import SHORT_HASH
from app.organisers.review.models import ReviewAlert
from app.signatures.fraud.email_domains import is_common_webmail
from app.signatures.models import Signature

# Alert kinds and the Signature column each groups by.
IP, NETWORK, DOMAIN = "ip", "network", "domain"
ALERT_COLUMNS = {
    IP: Signature.ip_hash,
    NETWORK: Signature.network_hash,
    DOMAIN: Signature.email_domain,
}


def is_alert_minute(moment: datetime) -> bool:
    """Whether the periodic check runs at this (UTC) minute: every FRAUD_ALERT_MINUTES."""
    every = max(1, int(current_app.config["FRAUD_ALERT_MINUTES"]))
    return (calendar.timegm(moment.utctimetuple()) // 60) % every == 0


def _thresholds() -> dict[str, int]:
    config = current_app.config
    return {
        IP: config["FRAUD_ALERT_IP"],
        NETWORK: config["FRAUD_ALERT_NETWORK"],
        DOMAIN: config["FRAUD_ALERT_DOMAIN"],
    }


def surges(campaign_id: int, since: datetime) -> list[tuple[str, str, int]]:
    """(kind, key, count) of each IP hash, network or domain at its threshold since `since`.

    Big webmail domains are left out: many real supporters share them.
    """
    found = []
    for kind, threshold in _thresholds().items():
        if threshold <= 0:
            continue
        column = ALERT_COLUMNS[kind]
        rows = db.session.execute(
            select(column, func.count())
            .where(
                Signature.campaign_id == campaign_id,
                Signature.created_at >= since,
                column.is_not(None),
                column != "",
            )
            .group_by(column)
            .having(func.count() >= threshold)
        )
        for key, count in rows:
            if kind == DOMAIN and is_common_webmail(key):
                continue
            found.append((kind, key, int(count)))
    return found


def _claim_alert(campaign_id, kind, key, count, window_start, now) -> bool:
    """Insert the incident's alert row unless another check did; True when this one did."""
    insert_for = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    claimed = db.session.execute(
        insert_for(ReviewAlert)
        .values(
            campaign_id=campaign_id,
            kind=kind,
            key=key,
            window_start=window_start,
            count=count,
            created_at=now,
            last_seen_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ReviewAlert.id)
    ).first()
    return claimed is not None


def _queue_alert_emails(campaign: Campaign, kind: str, key: str, count: int, now) -> None:
    from app.organisers.dashboard.services import goal_recipients

    url = absolute_url("review.desk", campaign_id=campaign.id, **{_FILTER_NAMES[kind]: key})
    minutes = current_app.config["FRAUD_ALERT_WINDOW_MINUTES"]
    for email, language in goal_recipients(campaign):
        queue_templated_email(
            email,
            "review/alert",
            language,
            {
                "title": campaign.translation(language).title,
                "kind": kind,
                "shown": key if kind == DOMAIN else key[:SHORT_HASH],
                "count": count,
                "minutes": minutes,
                "review_url": url,
            },
            now,
        )


_FILTER_NAMES = {IP: "ip_hash", NETWORK: "network_hash", DOMAIN: "email_domain"}


def _larger(column, value):
    # SQLite's two-argument max() is PostgreSQL's greatest().
    if db.engine.dialect.name == "postgresql":
        return func.greatest(column, value)
    return func.max(column, value)


def send_review_alerts(now: datetime | None = None) -> int:
    """Email each open campaign's team about new surges, once per incident; how many alerts.

    An incident lasts while checks keep finding it: one seen again within the window of
    its last sighting is the same incident. Each campaign is committed on its own.
    """
    now = now or utcnow()
    window = timedelta(minutes=current_app.config["FRAUD_ALERT_WINDOW_MINUTES"])
    every = timedelta(minutes=max(1, int(current_app.config["FRAUD_ALERT_MINUTES"])))
    since = now - window
    # The same for every check in one slot, so two workers running it claim one row.
    slot = datetime.fromtimestamp(
        now.timestamp() // every.total_seconds() * every.total_seconds(), tz=now.tzinfo
    )
    window_start = slot - window
    campaign_ids = (
        db.session.execute(select(Campaign.id).where(Campaign.status == OPEN).order_by(Campaign.id))
        .scalars()
        .all()
    )
    sent = 0
    for campaign_id in campaign_ids:
        for kind, key, count in surges(campaign_id, since):
            ongoing = db.session.execute(
                update(ReviewAlert)
                .where(
                    ReviewAlert.campaign_id == campaign_id,
                    ReviewAlert.kind == kind,
                    ReviewAlert.key == key,
                    ReviewAlert.last_seen_at >= since,
                )
                .values(last_seen_at=now, count=_larger(ReviewAlert.count, count))
                .execution_options(synchronize_session=False)
            ).rowcount
            if ongoing:
                continue
            if _claim_alert(campaign_id, kind, key, count, window_start, now):
                campaign = db.session.get(Campaign, campaign_id)
                _queue_alert_emails(campaign, kind, key, count, now)
                record_event(
                    "review.alert",
                    "campaign",
                    campaign_id,
                    organisation_id=campaign.organisation_id,
                    kind=kind,
                    key=key if kind == DOMAIN else key[:SHORT_HASH],
                    count=count,
                )
                sent += 1
        db.session.commit()
    return sent
