"""The review desk's services: figures, bulk actions that count exactly once, undo, alerts."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.campaigns.counts import confirmed_counts
from app.campaigns.tallies import all_figures
from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.outbox import OutboxEmail, write_templated_email
from app.extensions import db
from app.organisers import review
from app.organisers.models import Role
from app.organisers.review import (
    AlreadyUndone,
    FilterNeeded,
    ReasonNeeded,
    ReviewFilter,
    invalidate_signatures,
    matching_counts,
    release_signatures,
    review_figures,
    send_review_alerts,
    undo_review_action,
)
from app.signatures.models import (
    CONFIRMED,
    HELD,
    INVALIDATED,
    PENDING,
    ReviewAction,
    ReviewAlert,
    Signature,
)
from app.signatures.services import recount_campaign
from tests.factories import (
    log_in_as,
    make_campaign,
    make_held_signature,
    make_member,
    make_organisation,
    make_organiser,
    make_signature,
)
from tests.parallel import run_in_parallel

BAD_IP = "a" * 32
GOOD_IP = "b" * 32
NETWORK = "c" * 32


@pytest.fixture
def team(app):
    owner = make_organiser(email="owner@example.org")
    organisation = make_organisation(owner=owner)
    editor = make_member(organisation, role=Role.EDITOR, email="editor@example.org")
    make_member(organisation, role=Role.VIEWER, email="viewer@example.org")
    campaign = make_campaign(organisation=organisation)
    return campaign, owner, editor


def signals(signature, **values):
    """Give a factory-made signature review signals (and any other column values)."""
    for name, value in values.items():
        setattr(signature, name, value)
    db.session.commit()
    return signature


def confirmed_rows(campaign) -> int:
    return db.session.execute(
        select(func.count()).where(
            Signature.campaign_id == campaign.id, Signature.state == CONFIRMED
        )
    ).scalar()


def shown_count(campaign) -> int:
    return confirmed_counts([campaign.id])[campaign.id]


def assert_figures_true(campaign):
    """The shown count is the number of confirmed rows, and the tallies survive a recount."""
    assert shown_count(campaign) == confirmed_rows(campaign)
    tallies = all_figures(campaign.id)
    assert recount_campaign(campaign) == confirmed_rows(campaign)
    assert all_figures(campaign.id) == tallies


def states(signatures) -> list[str]:
    for signature in signatures:
        db.session.refresh(signature)
    return [signature.state for signature in signatures]


def attack(campaign):
    """3 confirmed + 2 held + 1 pending from BAD_IP; 2 confirmed from elsewhere."""
    bad = [signals(make_signature(campaign, state=CONFIRMED), ip_hash=BAD_IP) for _ in range(3)]
    bad += [signals(make_held_signature(campaign), ip_hash=BAD_IP) for _ in range(2)]
    bad += [signals(make_signature(campaign, state=PENDING), ip_hash=BAD_IP)]
    good = [signals(make_signature(campaign, state=CONFIRMED), ip_hash=GOOD_IP) for _ in range(2)]
    recount_campaign(campaign)  # the factories keep the count but not the tallies
    return bad, good


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


# Figures ------------------------------------------------------------------------------


def test_figures_show_hours_tops_shares_and_held_rules(team):
    campaign, _, _ = team
    now = utcnow().replace(minute=30)
    for n in range(3):
        signals(
            make_signature(campaign, state=CONFIRMED, email=f"p{n}@mailinator.com"),
            ip_hash=BAD_IP,
            network_hash=NETWORK,
            created_at=now - timedelta(hours=2),
        )
    signals(
        make_signature(campaign, state=CONFIRMED, email="ada+petition@example.org"),
        ip_hash=GOOD_IP,
        created_at=now,
    )
    signals(make_held_signature(campaign, rule="same_ip"), created_at=now - timedelta(days=5))
    make_held_signature(campaign, rule="disposable")
    make_held_signature(campaign, rule="disposable")

    figures = review_figures(campaign, now)

    assert figures.total == 7
    assert len(figures.hours) == 48
    by_hour = dict(figures.hours)
    assert by_hour[now.replace(minute=0, second=0, microsecond=0)] == 1
    assert by_hour[(now - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)] == 3
    assert sum(count for _, count in figures.hours) == 3 + 1 + 2  # not the one 5 days ago
    assert [(t.shown, t.count) for t in figures.top_ips] == [(BAD_IP[:8], 3), (GOOD_IP[:8], 1)]
    assert figures.top_ips[0].key == BAD_IP
    assert figures.top_networks[0].count == 3
    assert [(t.key, t.count, t.disposable) for t in figures.top_domains] == [
        ("example.org", 4, False),
        ("mailinator.com", 3, True),
    ]
    assert (figures.disposable, figures.plus_addressed, figures.held) == (3, 1, 3)
    assert figures.held_by_rule == [("disposable", 2), ("same_ip", 1)]
    assert round(figures.percent(figures.held)) == 43


def test_figures_of_a_large_campaign_count_its_latest_signatures(team, monkeypatch, client):
    campaign, owner, _ = team
    monkeypatch.setattr(review, "REVIEW_SAMPLE", 4)
    now = utcnow()
    for n in range(3):  # an old burst from one address, beyond the latest 4
        signals(make_signature(campaign), ip_hash=BAD_IP, created_at=now - timedelta(days=9 + n))
    for n in range(4):
        signals(make_signature(campaign, email=f"new{n}@mailinator.com"), created_at=now)
    make_held_signature(campaign)  # older than the latest 4, still counted as held

    figures = review_figures(campaign, now)

    assert figures.sampled and figures.total == 4
    assert figures.top_ips == [] and figures.disposable == 4
    assert figures.held == 1
    log_in_as(client, owner)
    page = client.get(f"/dashboard/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert "Latest signatures, in every state, counted below" in page


# Alerts -------------------------------------------------------------------------------


def alert_mails() -> list[OutboxEmail]:
    return (
        db.session.execute(select(OutboxEmail).where(OutboxEmail.template == "review/alert"))
        .scalars()
        .all()
    )


def burst(campaign, count, at, **values):
    """`count` signatures at `at`, each from its own email domain unless one is given."""
    for _ in range(count):
        signature = make_signature(campaign)
        signals(signature, created_at=at, **{"email_domain": f"d{signature.id}.test", **values})


@pytest.fixture
def config_overrides():
    return {
        "FRAUD_ALERT_IP": 5,
        "FRAUD_ALERT_NETWORK": 8,
        "FRAUD_ALERT_DOMAIN": 5,
        "FRAUD_ALERT_WINDOW_MINUTES": 60,
        "FRAUD_ALERT_MINUTES": 10,
    }


def test_an_ip_over_its_threshold_alerts_owners_and_editors_once(team):
    campaign, owner, editor = team
    now = utcnow()
    burst(campaign, 5, now - timedelta(minutes=20), ip_hash=BAD_IP)
    burst(campaign, 4, now - timedelta(minutes=20), ip_hash=GOOD_IP)  # under the threshold

    assert send_review_alerts(now) == 1
    mails = alert_mails()
    assert sorted(m.to_address for m in mails) == ["editor@example.org", "owner@example.org"]
    write_templated_email(mails[0])
    assert BAD_IP[:8] in mails[0].body_text and BAD_IP[8:] not in mails[0].body_text.split("\n")[0]
    assert f"/dashboard/campaigns/{campaign.id}/review?ip_hash={BAD_IP}" in mails[0].body_text

    # Later checks of the same incident (more signatures too) send nothing more.
    burst(campaign, 3, now + timedelta(minutes=5), ip_hash=BAD_IP)
    assert send_review_alerts(now + timedelta(minutes=10)) == 0
    assert send_review_alerts(now + timedelta(minutes=50)) == 0
    assert len(alert_mails()) == 2


def test_two_checks_at_once_claim_one_incident(app, team):
    campaign, _, _ = team
    now = utcnow()
    burst(campaign, 5, now - timedelta(minutes=5), ip_hash=BAD_IP)

    def check():
        with app.app_context():
            send_review_alerts(now)
            db.session.remove()

    assert run_in_parallel(2, check) == []
    assert len(alert_mails()) == 2  # owner and editor, once
    assert db.session.execute(select(func.count()).select_from(ReviewAlert)).scalar() == 1


def test_a_new_burst_after_a_quiet_window_is_a_new_incident(team):
    campaign, _, _ = team
    now = utcnow()
    burst(campaign, 5, now - timedelta(minutes=5), ip_hash=BAD_IP)
    assert send_review_alerts(now) == 1
    later = now + timedelta(hours=3)
    burst(campaign, 5, later - timedelta(minutes=5), ip_hash=BAD_IP)
    assert send_review_alerts(later) == 1
    assert len(alert_mails()) == 4


def test_domains_alert_but_big_webmail_does_not(team):
    campaign, _, _ = team
    now = utcnow()
    burst(campaign, 6, now - timedelta(minutes=5), email_domain="gmail.com")
    assert send_review_alerts(now) == 0
    burst(campaign, 5, now - timedelta(minutes=5), email_domain="throwaway.test")
    assert send_review_alerts(now) == 1
    [alert] = db.session.execute(select(ReviewAlert)).scalars().all()
    assert (alert.kind, alert.key, alert.count) == ("domain", "throwaway.test", 5)


def test_old_signatures_and_closed_campaigns_do_not_alert(team):
    campaign, owner, _ = team
    now = utcnow()
    burst(campaign, 9, now - timedelta(minutes=90), ip_hash=BAD_IP, network_hash=NETWORK)
    assert send_review_alerts(now) == 0
    closed = make_campaign(status="closed")
    burst(closed, 9, now - timedelta(minutes=5), ip_hash=BAD_IP)
    assert send_review_alerts(now) == 0


def test_the_periodic_job_sends_the_alerts(app, team):
    from app.core.jobs import huey
    from app.organisers.jobs import send_review_alerts_job

    def due(moment) -> bool:
        return any(
            isinstance(t, send_review_alerts_job.task_class) for t in huey.read_periodic(moment)
        )

    # Huey's scheduler asks with a naive UTC time.
    assert due(datetime(2026, 12, 2, 10, 40)) and not due(datetime(2026, 12, 2, 10, 41))
    burst(team[0], 5, utcnow() - timedelta(minutes=5), ip_hash=BAD_IP)
    send_review_alerts_job.call_local()
    assert len(alert_mails()) == 2


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


def test_many_ips_one_throwaway_domain_alert_on_the_domain_case_21(team):
    campaign, _, _ = team
    now = utcnow()
    for n in range(5):
        signals(
            make_signature(campaign, email=f"bot{n}@mailinator.com"),
            ip_hash=f"{n:032x}",
            network_hash=f"{n:032x}",
            created_at=now - timedelta(minutes=3),
        )
    assert send_review_alerts(now) == 1
    [alert] = db.session.execute(select(ReviewAlert)).scalars().all()
    assert (alert.kind, alert.key) == ("domain", "mailinator.com")
    mail = alert_mails()[0]
    write_templated_email(mail)
    assert "mailinator.com" in mail.subject + mail.body_text
    assert "review?email_domain=mailinator.com" in mail.body_text
