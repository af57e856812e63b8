"""The review desk's bulk actions: invalidate, release and undo, each counted exactly once.

Bulk actions never delete: invalidating moves rows to INVALIDATED, releasing moves HELD
rows to CONFIRMED. Each action keeps the rows it changed with their state before, so that
undoing it restores exactly those rows (the ones still as the action left them). The count
and the tallies change in the same transaction as the rows, by the number of rows each
conditional UPDATE actually changed, so concurrent actions never count a row twice.
"""

from datetime import datetime

from sqlalchemy import func, insert, select, update

from app.campaigns.counts import add_to_confirmed_count
from app.campaigns.goals import announce_goal_if_reached
from app.campaigns.jobs import queue_share_images_after_counting
from app.campaigns.models import Campaign
from app.campaigns.tallies import PENDING as PENDING_TALLY
from app.campaigns.tallies import add_to_tallies, confirmed_changes
from app.core.audit import record_event
from app.core.cache import page_cache
from app.core.database import utcnow
from app.extensions import db
from app.organisers.models import Organiser
from app.organisers.review.models import ReviewAction, ReviewActionRow
from app.organisers.review.selection import ReviewFilter, selected_by
from app.signatures.models import CONFIRMED, HELD, INVALIDATED, PENDING, Signature

INVALIDATE = "invalidate"
RELEASE = "release"
REASON_MAX = 500
# Rows per statement when many rows are written at once (SQLite's variable limit).
CHUNK = 1000


class ReasonNeeded(ValueError):
    """A bulk action or an undo without saying why."""


class AlreadyUndone(Exception):
    """The action was undone already (by this organiser or another, maybe a moment ago)."""


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
    conditions = selected_by(campaign.id, review_filter)
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
    conditions = selected_by(campaign.id, review_filter)
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
