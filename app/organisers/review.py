"""The organisers' review desk: fraud figures, bulk actions on a filtered selection, alerts.

Bulk actions never delete: invalidating moves rows to INVALIDATED, releasing moves HELD
rows to CONFIRMED. Each action keeps the rows it changed with their state before, so that
undoing it restores exactly those rows (the ones still as the action left them). The count
and the tallies change in the same transaction as the rows, by the number of rows each
conditional UPDATE actually changed, so concurrent actions never count a row twice.
"""

import calendar
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.campaigns.counts import add_to_confirmed_count
from app.campaigns.goals import announce_goal_if_reached
from app.campaigns.jobs import queue_share_images_after_counting
from app.campaigns.models import OPEN, Campaign
from app.campaigns.tallies import PENDING as PENDING_TALLY
from app.campaigns.tallies import add_to_tallies, confirmed_changes
from app.core.audit import record_event
from app.core.cache import page_cache
from app.core.database import utcnow
from app.core.outbox import queue_templated_email
from app.core.urls import absolute_url
from app.extensions import db
from app.organisers.models import Organiser
from app.signatures.fraud.email_domains import is_common_webmail, is_disposable
from app.signatures.models import (
    CONFIRMED,
    HELD,
    INVALIDATED,
    PENDING,
    ReviewAction,
    ReviewActionRow,
    ReviewAlert,
    Signature,
    name_search_form,
)

INVALIDATE = "invalidate"
RELEASE = "release"
REVIEW_HOURS = 48
TOP = 10
# The shares and top IPs, networks and domains are those of the latest signatures, at
# most this many: a flood is recent, and the desk never reads a whole large campaign.
REVIEW_SAMPLE = 5_000
SHORT_HASH = 8  # characters of a keyed hash shown on the page
REASON_MAX = 500
HASH_PATTERN = re.compile(r"^[0-9a-f]{1,32}$")
# Alert kinds and the Signature column each groups by.
IP, NETWORK, DOMAIN = "ip", "network", "domain"
ALERT_COLUMNS = {
    IP: Signature.ip_hash,
    NETWORK: Signature.network_hash,
    DOMAIN: Signature.email_domain,
}
# Rows per statement when many rows are written at once (SQLite's variable limit).
CHUNK = 1000


class FilterNeeded(ValueError):
    """A bulk action without any condition: it would touch the whole campaign, so it is refused."""


class ReasonNeeded(ValueError):
    """A bulk action or an undo without saying why."""


class AlreadyUndone(Exception):
    """The action was undone already (by this organiser or another, maybe a moment ago)."""


# Filter ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewFilter:
    """The selection a bulk action applies to; at least one condition is required.

    ip_hash and network_hash are the full keyed hashes; name_pattern is a substring of the
    name as search compares it (case, accents and spacing ignored); since/until bound the
    signing time (until excluded).
    """

    ip_hash: str = ""
    network_hash: str = ""
    email_domain: str = ""
    since: datetime | None = None
    until: datetime | None = None
    held_rule: str = ""
    name_pattern: str = ""

    def __post_init__(self):
        for name in ("ip_hash", "network_hash", "email_domain", "held_rule", "name_pattern"):
            object.__setattr__(self, name, (getattr(self, name) or "").strip())
        object.__setattr__(self, "email_domain", self.email_domain.lower().lstrip("@"))
        for name in ("ip_hash", "network_hash"):
            value = getattr(self, name).lower()
            if value and not HASH_PATTERN.match(value):
                raise ValueError(f"{name} is not a hash")
            object.__setattr__(self, name, value)
        if not any(self.conditions_given().values()):
            raise FilterNeeded("a bulk action needs at least one condition")

    def conditions_given(self) -> dict[str, bool]:
        """Which conditions this filter sets (a name pattern of only marks or spaces sets none)."""
        return {
            "ip_hash": bool(self.ip_hash),
            "network_hash": bool(self.network_hash),
            "email_domain": bool(self.email_domain),
            "since": self.since is not None,
            "until": self.until is not None,
            "held_rule": bool(self.held_rule),
            "name_pattern": bool(name_search_form(self.name_pattern)),
        }

    def as_dict(self) -> dict[str, str]:
        """The conditions set, as strings (for the action list, the audit log and links)."""
        values = asdict(self)
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in values.items()
            if self.conditions_given()[name]
        }


def _where(campaign_id: int, review_filter: ReviewFilter) -> list:
    """SQL conditions of the filter, always within one campaign."""
    if not any(review_filter.conditions_given().values()):
        raise FilterNeeded("a bulk action needs at least one condition")
    f = review_filter
    conditions = [Signature.campaign_id == campaign_id]
    if f.ip_hash:
        conditions.append(Signature.ip_hash == f.ip_hash)
    if f.network_hash:
        conditions.append(Signature.network_hash == f.network_hash)
    if f.email_domain:
        conditions.append(Signature.email_domain == f.email_domain)
    if f.since is not None:
        conditions.append(Signature.created_at >= f.since)
    if f.until is not None:
        conditions.append(Signature.created_at < f.until)
    if f.held_rule:
        conditions.append(Signature.held_rule == f.held_rule)
    pattern = name_search_form(f.name_pattern)
    if pattern:
        conditions.append(Signature.name_search.contains(pattern, autoescape=True))
    return conditions


def matching_counts(campaign: Campaign, review_filter: ReviewFilter) -> dict[str, int]:
    """How many of the campaign's signatures the filter selects, by state."""
    rows = db.session.execute(
        select(Signature.state, func.count())
        .where(*_where(campaign.id, review_filter))
        .group_by(Signature.state)
    )
    counts = {state: 0 for state in (CONFIRMED, HELD, PENDING, INVALIDATED)}
    counts.update({state: int(n) for state, n in rows})
    return counts


# Figures --------------------------------------------------------------------------------


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


def recent_actions(campaign: Campaign, limit: int = 50) -> list[tuple[ReviewAction, str, str]]:
    """The campaign's latest bulk actions, newest first, with who did and who undid them."""
    rows = db.session.execute(
        select(ReviewAction)
        .where(ReviewAction.campaign_id == campaign.id)
        .order_by(ReviewAction.id.desc())
        .limit(limit)
    ).scalars()
    actions = list(rows)
    ids = {a.actor_id for a in actions} | {a.undone_by_id for a in actions}
    emails = dict(
        db.session.execute(
            select(Organiser.id, Organiser.email).where(Organiser.id.in_(ids - {None}))
        ).all()
    )
    return [(a, emails.get(a.actor_id, ""), emails.get(a.undone_by_id, "")) for a in actions]


def campaign_action(campaign: Campaign, action_id: int) -> ReviewAction | None:
    """One of the campaign's actions (None for another campaign's)."""
    action = db.session.get(ReviewAction, action_id)
    return action if action is not None and action.campaign_id == campaign.id else None


# Bulk actions ---------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonNeeded("say why")
    return reason[:REASON_MAX]


def _count_rows(campaign_id: int, rows: list, sign: int) -> None:
    """Add confirmed rows to (sign 1) or take them from (sign -1) the count and tallies."""
    if not rows:
        return
    add_to_confirmed_count(campaign_id, sign * len(rows))
    # Each row is (id, confirmed_at, country, postcode, source, referrer), as _move returns.
    changes = confirmed_changes([row[1:] for row in rows], sign)
    for start in range(0, len(changes), CHUNK):
        add_to_tallies(campaign_id, changes[start : start + CHUNK])


def _move(conditions: list, from_state: str, **values) -> list:
    """Move the rows matching `conditions` that are in `from_state`; the rows moved.

    The state is in the UPDATE's WHERE, so of concurrent movers each row goes to one only.
    """
    return db.session.execute(
        update(Signature)
        .where(*conditions, Signature.state == from_state)
        .values(**values)
        .returning(
            Signature.id,
            Signature.confirmed_at,
            Signature.country,
            Signature.postcode,
            Signature.source,
            Signature.referrer,
        )
        .execution_options(synchronize_session=False)
    ).all()


def _remember(action_id: int, rows: list, previous_state: str) -> None:
    values = [
        dict(action_id=action_id, signature_id=row[0], previous_state=previous_state)
        for row in rows
    ]
    for start in range(0, len(values), CHUNK):
        db.session.execute(insert(ReviewActionRow), values[start : start + CHUNK])


def _start_action(campaign, kind, review_filter, actor, reason, now) -> ReviewAction:
    action = ReviewAction(
        campaign_id=campaign.id,
        kind=kind,
        filter=review_filter.as_dict(),
        reason=_reason(reason),
        actor_id=actor.id,
        count=0,
        created_at=now,
    )
    db.session.add(action)
    db.session.flush()
    return action


def _commit_counting(campaign_id: int, counted_more: int) -> None:
    """Commit; when `counted_more` rows were counted, announce the goal if they reached it.

    As when a supporter confirms: on PostgreSQL a confirmation committed meanwhile may
    have made the goal, so near it the check runs again after the commit; and a new count
    bucket's share images are queued once the rows are committed.
    """
    announced = announce_goal_if_reached(campaign_id) if counted_more else False
    db.session.commit()
    if announced is None and db.engine.dialect.name == "postgresql":
        announce_goal_if_reached(campaign_id)
        db.session.commit()
    # The public count and list of names change now, not when the cache entry expires.
    page_cache().clear()
    queue_share_images_after_counting(campaign_id, counted_more)


def _finish(
    action: ReviewAction, campaign: Campaign, event: str, counted_more=0, **detail
) -> ReviewAction:
    record_event(
        event,
        "campaign",
        campaign.id,
        actor_id=action.actor_id,
        organisation_id=campaign.organisation_id,
        review_action_id=action.id,
        filter=action.filter,
        reason=action.reason,
        count=action.count,
        **detail,
    )
    _commit_counting(campaign.id, counted_more)
    return action


def invalidate_signatures(
    campaign: Campaign,
    review_filter: ReviewFilter,
    actor: Organiser,
    reason: str,
    now: datetime | None = None,
) -> ReviewAction:
    """Invalidate the confirmed, held and pending signatures the filter selects (never deleted).

    The count drops by exactly the number of confirmed rows this call changed.
    """
    now = now or utcnow()
    conditions = _where(campaign.id, review_filter)
    action = _start_action(campaign, INVALIDATE, review_filter, actor, reason, now)
    by_state = {}
    for state in (CONFIRMED, HELD, PENDING):
        rows = _move(conditions, state, state=INVALIDATED)
        _remember(action.id, rows, state)
        by_state[state] = len(rows)
        if state == CONFIRMED:
            _count_rows(campaign.id, rows, -1)
        elif state == PENDING and rows:
            add_to_tallies(campaign.id, [(PENDING_TALLY, "", -len(rows), "")])
    action.count = sum(by_state.values())
    return _finish(action, campaign, "review.invalidate", by_state=by_state)


def release_signatures(
    campaign: Campaign,
    review_filter: ReviewFilter,
    actor: Organiser,
    reason: str,
    now: datetime | None = None,
) -> ReviewAction:
    """Count the held signatures the filter selects, each exactly once.

    A released row is confirmed as of its email check (or now, if it has none).
    """
    now = now or utcnow()
    conditions = _where(campaign.id, review_filter)
    action = _start_action(campaign, RELEASE, review_filter, actor, reason, now)
    rows = _move(
        conditions,
        HELD,
        state=CONFIRMED,
        confirmed_at=func.coalesce(Signature.email_verified_at, now),
    )
    _remember(action.id, rows, HELD)
    _count_rows(campaign.id, rows, 1)
    action.count = len(rows)
    return _finish(action, campaign, "review.release", counted_more=len(rows))


def undo_review_action(
    action: ReviewAction, actor: Organiser, reason: str, now: datetime | None = None
) -> ReviewAction:
    """Put back the rows the action changed that are still as it left them; once only.

    Rows changed again since (released, then invalidated by another action, say) stay as
    they are: their later action owns them.
    """
    now = now or utcnow()
    reason = _reason(reason)
    action_id, campaign_id, kind = action.id, action.campaign_id, action.kind
    claimed = db.session.execute(
        update(ReviewAction)
        .where(ReviewAction.id == action_id, ReviewAction.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=actor.id, undo_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise AlreadyUndone(action_id)

    def changed_by_action(previous_state):
        return Signature.id.in_(
            select(ReviewActionRow.signature_id).where(
                ReviewActionRow.action_id == action_id,
                ReviewActionRow.previous_state == previous_state,
            )
        )

    campaign_only = Signature.campaign_id == campaign_id
    restored = 0
    if kind == INVALIDATE:
        for state in (CONFIRMED, HELD, PENDING):
            rows = _move([campaign_only, changed_by_action(state)], INVALIDATED, state=state)
            restored += len(rows)
            if state == CONFIRMED:
                _count_rows(campaign_id, rows, 1)
            elif state == PENDING and rows:
                add_to_tallies(campaign_id, [(PENDING_TALLY, "", len(rows), "")])
    else:
        held = changed_by_action(HELD)
        rows = _move([campaign_only, held], CONFIRMED, state=HELD)
        # A held row is not confirmed: its time goes (the tallies used it just above).
        db.session.execute(
            update(Signature)
            .where(
                campaign_only, held, Signature.state == HELD, Signature.confirmed_at.is_not(None)
            )
            .values(confirmed_at=None)
            .execution_options(synchronize_session=False)
        )
        _count_rows(campaign_id, rows, -1)
        restored = len(rows)
    db.session.execute(
        update(ReviewAction)
        .where(ReviewAction.id == action_id)
        .values(undone_count=restored)
        .execution_options(synchronize_session=False)
    )
    campaign = db.session.get(Campaign, campaign_id)
    record_event(
        "review.undo",
        "campaign",
        campaign_id,
        actor_id=actor.id,
        organisation_id=campaign.organisation_id,
        review_action_id=action_id,
        kind=kind,
        reason=reason,
        count=restored,
    )
    _commit_counting(campaign_id, counted_more=restored if kind == INVALIDATE else 0)
    db.session.refresh(action)
    return action


# Alerts ---------------------------------------------------------------------------------


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

    url = absolute_url("dashboard.review", campaign_id=campaign.id, **{_FILTER_NAMES[kind]: key})
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
