"""Bulk actions that count exactly once, their undo and their audit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.campaigns.tallies import all_figures
from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.outbox import OutboxEmail
from app.extensions import db
from app.organisers.review.actions import (
    AlreadyUndone,
    ReasonNeeded,
    invalidate_signatures,
    release_signatures,
    undo_review_action,
)
from app.organisers.review.models import ReviewAction
from app.organisers.review.selection import FilterNeeded, ReviewFilter, matching_counts
from app.signatures.models import CONFIRMED, HELD, INVALIDATED, PENDING, Signature
from app.signatures.services import recount_campaign
from tests.factories import (
    make_campaign,
    make_held_signature,
    make_signature,
)
from tests.organisers.review.desk_data import (
    BAD_IP,
    NETWORK,
    assert_figures_true,
    attack,
    shown_count,
    signals,
    states,
)
from tests.parallel import run_in_parallel

# Case 22: refused without a condition -------------------------------------------------


def test_a_bulk_action_without_any_condition_is_refused(team):
    campaign, owner, _ = team
    attack(campaign)
    with pytest.raises(FilterNeeded):
        ReviewFilter()
    with pytest.raises(FilterNeeded):
        ReviewFilter(ip_hash="  ", name_pattern=" \u0301 ")  # spaces and a lone accent
    assert shown_count(campaign) == 5
    assert db.session.execute(select(func.count()).select_from(ReviewAction)).scalar() == 0


def test_a_hash_condition_must_look_like_a_hash(team):
    with pytest.raises(ValueError):
        ReviewFilter(ip_hash="' OR 1=1 --")


def test_an_action_without_a_reason_is_refused_and_changes_nothing(team):
    campaign, owner, _ = team
    attack(campaign)
    with pytest.raises(ReasonNeeded):
        invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "   ")
    db.session.rollback()
    assert shown_count(campaign) == 5
    assert matching_counts(campaign, ReviewFilter(ip_hash=BAD_IP))[INVALIDATED] == 0


# Invalidate ---------------------------------------------------------------------------


def test_invalidating_3_confirmed_and_2_held_drops_the_count_by_exactly_3(team):
    campaign, owner, _ = team
    bad, good = attack(campaign)
    assert shown_count(campaign) == 5

    action = invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "one laptop")

    assert shown_count(campaign) == 2
    assert states(bad) == [INVALIDATED] * 6
    assert states(good) == [CONFIRMED] * 2
    assert action.count == 6 and action.kind == "invalidate"
    assert db.session.get(Signature, bad[0].id) is not None  # never deleted
    assert_figures_true(campaign)


def test_invalidating_again_touches_nothing_and_counts_nothing(team):
    campaign, owner, _ = team
    attack(campaign)
    invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "first")
    again = invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "second")
    assert again.count == 0
    assert shown_count(campaign) == 2
    assert_figures_true(campaign)


def test_invalidation_stays_inside_the_campaign(team):
    campaign, owner, _ = team
    other = make_campaign()
    elsewhere = signals(make_signature(other, state=CONFIRMED), ip_hash=BAD_IP)
    attack(campaign)
    invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "why")
    assert states([elsewhere]) == [CONFIRMED]
    assert shown_count(other) == 1


def test_filters_by_name_substring_ignoring_case_and_accents(team):
    campaign, owner, _ = team
    zoe = make_signature(campaign, state=CONFIRMED, name="Zoë Bot 17")
    percent = make_signature(campaign, state=CONFIRMED, name="100% real")
    ada = make_signature(campaign, state=CONFIRMED, name="Ada Lovelace")
    invalidate_signatures(campaign, ReviewFilter(name_pattern="ZOE BOT"), owner, "bots")
    assert states([zoe, percent, ada]) == [INVALIDATED, CONFIRMED, CONFIRMED]
    # "%" is a character to find, not a wildcard.
    invalidate_signatures(campaign, ReviewFilter(name_pattern="0%"), owner, "fake")
    assert states([percent, ada]) == [INVALIDATED, CONFIRMED]


def test_filters_by_time_window_rule_domain_and_network(team):
    campaign, owner, _ = team
    now = utcnow()
    early = signals(make_signature(campaign, state=CONFIRMED), created_at=now - timedelta(hours=5))
    late = signals(make_signature(campaign, state=CONFIRMED), created_at=now - timedelta(hours=1))
    spam = signals(make_held_signature(campaign, rule="disposable"), email_domain="spam.test")
    ip_rule = signals(make_held_signature(campaign, rule="same_ip"), network_hash=NETWORK)
    window = ReviewFilter(since=now - timedelta(hours=6), until=now - timedelta(hours=4))
    assert matching_counts(campaign, window)[CONFIRMED] == 1
    assert matching_counts(campaign, ReviewFilter(held_rule="disposable"))[HELD] == 1
    assert matching_counts(campaign, ReviewFilter(email_domain="SPAM.test"))[HELD] == 1
    assert matching_counts(campaign, ReviewFilter(network_hash=NETWORK))[HELD] == 1
    invalidate_signatures(campaign, window, owner, "burst at night")
    assert states([early, late, spam, ip_rule]) == [INVALIDATED, CONFIRMED, HELD, HELD]


# Release ------------------------------------------------------------------------------


def test_release_counts_held_signatures_once(team):
    campaign, owner, _ = team
    held = [make_held_signature(campaign, rule="same_name") for _ in range(2)]
    make_held_signature(campaign, rule="same_ip")
    recount_campaign(campaign)

    first = release_signatures(campaign, ReviewFilter(held_rule="same_name"), owner, "twins")
    again = release_signatures(campaign, ReviewFilter(held_rule="same_name"), owner, "twice")

    assert (first.count, again.count) == (2, 0)
    assert shown_count(campaign) == 2
    for signature in held:
        db.session.refresh(signature)
        assert signature.state == CONFIRMED
        assert signature.confirmed_at == signature.email_verified_at
    assert_figures_true(campaign)


def test_a_released_signature_without_an_email_check_is_confirmed_now(team):
    campaign, owner, _ = team
    held = signals(make_held_signature(campaign), email_verified_at=None)
    before = utcnow()
    release_signatures(campaign, ReviewFilter(held_rule="same_ip"), owner, "checked by phone")
    db.session.refresh(held)
    assert held.confirmed_at >= before


def test_release_leaves_confirmed_pending_and_invalidated_rows_alone(team):
    campaign, owner, _ = team
    attack(campaign)
    action = release_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "real people")
    assert action.count == 2
    assert shown_count(campaign) == 7
    assert_figures_true(campaign)


def test_racing_releases_count_each_row_once(app, team):
    campaign, owner, _ = team
    for _ in range(3):
        signals(make_held_signature(campaign), ip_hash=BAD_IP)
    recount_campaign(campaign)
    campaign_id, owner_id = campaign.id, owner.id

    def release():
        with app.app_context():
            release_signatures(
                db.session.get(type(campaign), campaign_id),
                ReviewFilter(ip_hash=BAD_IP),
                db.session.get(type(owner), owner_id),
                "race",
            )
            db.session.remove()

    assert run_in_parallel(4, release) == []
    assert shown_count(campaign) == 3
    counts = sorted(a.count for a in db.session.execute(select(ReviewAction)).scalars())
    assert counts == [0, 0, 0, 3]
    assert_figures_true(campaign)


# Undo ---------------------------------------------------------------------------------


def test_undoing_an_invalidation_restores_rows_count_and_tallies(team):
    campaign, owner, editor = team
    bad, good = attack(campaign)
    tallies = all_figures(campaign.id)
    action = invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "oops")

    undone = undo_review_action(action, editor, "they were real")

    assert states(bad) == [CONFIRMED] * 3 + [HELD] * 2 + [PENDING]
    assert shown_count(campaign) == 5
    assert all_figures(campaign.id) == tallies
    assert (undone.undone_by_id, undone.undone_count) == (editor.id, 6)
    assert undone.undone_at is not None
    assert_figures_true(campaign)


def test_undoing_a_release_holds_the_rows_again(team):
    campaign, owner, _ = team
    held = [make_held_signature(campaign) for _ in range(2)]
    recount_campaign(campaign)
    action = release_signatures(campaign, ReviewFilter(held_rule="same_ip"), owner, "fine")
    assert shown_count(campaign) == 2

    undo_review_action(action, owner, "not fine after all")

    assert states(held) == [HELD, HELD]
    assert [s.confirmed_at for s in held] == [None, None]
    assert shown_count(campaign) == 0
    assert_figures_true(campaign)


def test_an_action_is_undone_once(team):
    campaign, owner, _ = team
    attack(campaign)
    action = invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "why")
    undo_review_action(action, owner, "back")
    with pytest.raises(AlreadyUndone):
        undo_review_action(action, owner, "back again")
    assert shown_count(campaign) == 5
    assert_figures_true(campaign)


def test_undo_leaves_rows_a_later_action_changed(team):
    campaign, owner, _ = team
    held = signals(make_held_signature(campaign, name="Mallory"), ip_hash=BAD_IP)
    recount_campaign(campaign)
    released = release_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "ok")
    invalidated = invalidate_signatures(campaign, ReviewFilter(name_pattern="mallory"), owner, "no")

    undone = undo_review_action(released, owner, "wrong one")  # the row is no longer confirmed
    assert undone.undone_count == 0
    assert states([held]) == [INVALIDATED]
    assert_figures_true(campaign)

    undo_review_action(invalidated, owner, "back to confirmed")
    assert states([held]) == [CONFIRMED]
    assert shown_count(campaign) == 1
    assert_figures_true(campaign)


# Audit --------------------------------------------------------------------------------


def test_every_action_and_undo_is_audited_with_who_why_and_how_many(team):
    campaign, owner, editor = team
    attack(campaign)
    action = invalidate_signatures(campaign, ReviewFilter(ip_hash=BAD_IP), owner, "one laptop")
    undo_review_action(action, editor, "they were real")
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    [done] = [e for e in events if e.action == "review.invalidate"]
    [undo] = [e for e in events if e.action == "review.undo"]
    assert done.actor_id == owner.id and done.organisation_id == campaign.organisation_id
    assert done.detail["reason"] == "one laptop"
    assert done.detail["count"] == 6
    assert done.detail["by_state"] == {CONFIRMED: 3, HELD: 2, PENDING: 1}
    assert done.detail["filter"] == {"ip_hash": BAD_IP}
    assert done.created_at is not None
    assert (undo.actor_id, undo.detail["reason"], undo.detail["count"]) == (
        editor.id,
        "they were real",
        6,
    )


def test_releasing_up_to_the_goal_announces_it_once(team):
    campaign, owner, _ = team
    campaign.goal = 3
    db.session.commit()
    make_signature(campaign, state=CONFIRMED)
    for _ in range(2):
        make_held_signature(campaign)
    release_signatures(campaign, ReviewFilter(held_rule="same_ip"), owner, "real")
    goal_mails = db.session.execute(
        select(OutboxEmail).where(OutboxEmail.template == "dashboard/goal_reached")
    ).scalars()
    assert sorted(m.to_address for m in goal_mails) == ["editor@example.org", "owner@example.org"]
