"""Surge alerts to a campaign's team: once per incident, never for big webmail."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core.database import utcnow
from app.core.outbox import OutboxEmail, write_templated_email
from app.extensions import db
from app.organisers.review.alerts import send_review_alerts
from app.organisers.review.models import ReviewAlert
from tests.factories import (
    make_campaign,
    make_signature,
)
from tests.organisers.review.desk_data import (
    BAD_IP,
    GOOD_IP,
    NETWORK,
    signals,
)
from tests.parallel import run_in_parallel

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
    from app.organisers.review.jobs import send_review_alerts_job

    def due(moment) -> bool:
        return any(
            isinstance(t, send_review_alerts_job.task_class) for t in huey.read_periodic(moment)
        )

    # Huey's scheduler asks with a naive UTC time.
    assert due(datetime(2026, 12, 2, 10, 40)) and not due(datetime(2026, 12, 2, 10, 41))
    burst(team[0], 5, utcnow() - timedelta(minutes=5), ip_hash=BAD_IP)
    send_review_alerts_job.call_local()
    assert len(alert_mails()) == 2


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
