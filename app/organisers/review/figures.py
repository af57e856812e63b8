"""The review desk's figures: signatures per hour, the top IP hashes, networks and domains."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.campaigns.models import Campaign
from app.core.database import utcnow
from app.extensions import db
from app.signatures.fraud.email_domains import is_disposable
from app.signatures.models import HELD, Signature

REVIEW_HOURS = 48
TOP = 10
# The shares and top IPs, networks and domains are those of the latest signatures, at
# most this many: a flood is recent, and the desk never reads a whole large campaign.
REVIEW_SAMPLE = 5_000
SHORT_HASH = 8  # characters of a keyed hash shown on the page


@dataclass(frozen=True)
class TopKey:
    """One IP hash, network hash or domain among the most frequent, with its count."""

    key: str  # the full value, for the filter
    shown: str  # what the page shows: a hash's first characters, a domain as it is
    count: int
    disposable: bool = False


@dataclass(frozen=True)
class ReviewFigures:
    """What the review desk shows about one campaign's signatures (every state).

    `total` is the number of signatures the shares and tops were counted over: all of
    them, or the latest REVIEW_SAMPLE when `sampled`.
    """

    total: int
    hours: list[tuple[datetime, int]]
    top_ips: list[TopKey]
    top_networks: list[TopKey]
    top_domains: list[TopKey]
    disposable: int
    plus_addressed: int
    held: int
    held_by_rule: list[tuple[str, int]] = field(default_factory=list)
    sampled: bool = False

    def percent(self, part: int) -> float | None:
        """`part` as a percentage of all signatures (None when there are none)."""
        return 100.0 * part / self.total if self.total else None


def _hour_of_created():
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", Signature.created_at), "YYYY-MM-DD HH24")
    # SQLite keeps UTC timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text.
    return func.substr(Signature.created_at, 1, 13)


def _per_hour(campaign_id: int, now: datetime) -> list[tuple[datetime, int]]:
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=REVIEW_HOURS - 1)
    hour = _hour_of_created()
    rows = db.session.execute(
        select(hour, func.count())
        .where(Signature.campaign_id == campaign_id, Signature.created_at >= first)
        .group_by(hour)
    )
    counts = {key.replace("T", " "): int(n) for key, n in rows}
    hours = [first + timedelta(hours=n) for n in range(REVIEW_HOURS)]
    return [(moment, counts.get(moment.strftime("%Y-%m-%d %H"), 0)) for moment in hours]


def _top(counts: Counter) -> list[TopKey]:
    top = sorted(((n, key) for key, n in counts.items() if key), key=lambda x: (-x[0], x[1]))
    return [TopKey(key, key[:SHORT_HASH], n) for n, key in top[:TOP]]


def review_figures(campaign: Campaign, now: datetime | None = None) -> ReviewFigures:
    """Signatures per hour (last 48 h), the top IP hashes, networks and domains, the shares.

    The tops and shares count the latest REVIEW_SAMPLE signatures (all, in a smaller
    campaign): one read of that many index entries and rows, however large the campaign.
    """
    now = now or utcnow()
    campaign_id = campaign.id
    latest = db.session.execute(
        select(
            Signature.email_domain,
            Signature.ip_hash,
            Signature.network_hash,
            Signature.email.like("%+%@%"),
        )
        .where(Signature.campaign_id == campaign_id)
        .order_by(Signature.created_at.desc())
        .limit(REVIEW_SAMPLE)
    ).all()
    domains, ips, networks = Counter(), Counter(), Counter()
    for domain, ip_hash, network_hash, _ in latest:
        domains[domain] += 1
        ips[ip_hash] += 1
        networks[network_hash] += 1
    disposable = {domain for domain in domains if domain and is_disposable(domain)}
    held_by_rule = [
        (rule or "", int(n))
        for rule, n in db.session.execute(
            select(Signature.held_rule, func.count())
            .where(Signature.campaign_id == campaign_id, Signature.state == HELD)
            .group_by(Signature.held_rule)
            .order_by(func.count().desc(), Signature.held_rule)
        )
    ]
    return ReviewFigures(
        total=len(latest),
        hours=_per_hour(campaign_id, now),
        top_ips=_top(ips),
        top_networks=_top(networks),
        top_domains=[TopKey(d.key, d.key, d.count, d.key in disposable) for d in _top(domains)],
        disposable=sum(domains[d] for d in disposable),
        plus_addressed=sum(1 for *_, plus in latest if plus),
        held=sum(n for _, n in held_by_rule),
        held_by_rule=held_by_rule,
        sampled=len(latest) == REVIEW_SAMPLE,
    )
