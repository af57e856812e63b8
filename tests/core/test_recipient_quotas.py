"""Case 23: one mailbox gets at most MAX_EMAILS_PER_ADDRESS_PER_DAY emails, whoever submits."""

import itertools
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.campaigns.pages import get_campaign_page
from app.core.outbox import OutboxEmail, queue_email, queue_templated_email, send_due_emails
from app.core.recipient_quotas import RecipientQuota
from app.extensions import db
from app.signatures.signing import SignatureDetails, sign_campaign
from tests.factories import make_campaign
from tests.helpers import postgres_only
from tests.parallel import run_in_parallel

DAY = datetime(2031, 3, 14, 0, 0, tzinfo=UTC)


def outbox_count() -> int:
    return db.session.execute(select(func.count()).select_from(OutboxEmail)).scalar_one()


def quota_rows() -> list[RecipientQuota]:
    db.session.expire_all()
    return db.session.execute(select(RecipientQuota)).scalars().all()


def test_a_hundred_submissions_across_campaigns_send_the_victim_the_cap(app, smtp):
    cap = app.config["MAX_EMAILS_PER_ADDRESS_PER_DAY"]
    assert cap == 10
    pages = []
    for number in range(10):
        make_campaign(slug=f"c{number}")
        pages.append(get_campaign_page(f"c{number}", lambda available, default: default))
    db.session.commit()
    # Ten campaigns, ten tries each, two minutes apart: without the cap each campaign
    # would send MAX_EMAILS_PER_SIGNATURE (5) emails, fifty in all, within the day.
    now = DAY + timedelta(hours=1)
    for attempt in range(10):
        for page in pages:
            details = SignatureDetails(name="Victim", email=f"Victim+{attempt}@Example.org")
            sign_campaign(page, details, "en", now=now)
            now += timedelta(minutes=2)
    assert now.date() == DAY.date()

    send_due_emails(now=now)
    delivered = [e.rcpt_tos for e in smtp.envelopes]
    assert len(delivered) == cap
    assert all(rcpt[0].lower().startswith("victim+") for rcpt in delivered)
    # Someone else still gets theirs.
    assert queue_email("bystander@example.org", "s", "b", now=now)


def test_the_cap_counts_every_email_and_resets_on_the_next_utc_day(app, caplog):
    cap = app.config["MAX_EMAILS_PER_ADDRESS_PER_DAY"] = 3
    late = DAY + timedelta(hours=23, minutes=59)
    assert queue_email("ana@example.org", "s", "b", now=late)
    assert queue_templated_email("ANA+news@example.org", "signatures/confirm", "en", {}, late)
    assert queue_email("ana+x@Example.org", "s", "b", now=late)
    with caplog.at_level(logging.INFO, logger="rally.mail"):
        assert not queue_email("ana@example.org", "s", "b", now=late)
        assert not queue_templated_email("ana+y@example.org", "signatures/confirm", "en", {}, late)
    assert "not queued" in caplog.text and "example.org" not in caplog.text
    db.session.commit()
    assert outbox_count() == cap

    next_day = DAY + timedelta(days=1)
    assert queue_email("ana@example.org", "s", "b", now=next_day)
    db.session.commit()
    assert outbox_count() == cap + 1


def test_only_a_keyed_hash_of_the_mailbox_is_stored(app):
    queue_email("Grace.Hopper+petitions@example.org", "s", "b", now=DAY)
    queue_email("grace.hopper@example.org", "s", "b", now=DAY)
    db.session.commit()
    [row] = quota_rows()
    assert row.count == 2 and row.day == DAY.date()
    assert "grace" not in row.key_hash and len(row.key_hash) == 64
    # Under another SECRET_KEY the same mailbox has an unrelated key.
    app.config["SECRET_KEY"] = "another-secret-" + "y" * 32
    queue_email("grace.hopper@example.org", "s", "b", now=DAY)
    db.session.commit()
    assert sorted(row.count for row in quota_rows()) == [1, 2]


def test_a_rolled_back_email_does_not_count(app):
    app.config["MAX_EMAILS_PER_ADDRESS_PER_DAY"] = 1
    assert queue_email("once@example.org", "s", "b", now=DAY)
    db.session.rollback()
    assert queue_email("once@example.org", "s", "b", now=DAY)


def test_the_sender_forgets_days_before_yesterday(app):
    for days_ago in (3, 2, 1, 0):
        queue_email("old@example.org", "s", "b", now=DAY - timedelta(days=days_ago))
    db.session.commit()
    send_due_emails(now=DAY)
    assert sorted(row.day for row in quota_rows()) == [
        (DAY - timedelta(days=1)).date(),
        DAY.date(),
    ]


@postgres_only
def test_parallel_queueing_never_exceeds_the_cap(app):
    """Twenty transactions at once for one mailbox: exactly the cap commit an email."""
    cap = app.config["MAX_EMAILS_PER_ADDRESS_PER_DAY"]
    queued = []

    def submit(number):
        with app.app_context():
            if queue_email(f"target+{number}@example.org", "s", "b", now=DAY):
                queued.append(number)
            db.session.commit()
            db.session.remove()

    numbers = itertools.count()
    assert run_in_parallel(20, lambda: submit(next(numbers))) == []
    assert len(queued) == cap and outbox_count() == cap
    assert [row.count for row in quota_rows()] == [cap]
