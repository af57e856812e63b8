"""Pending signatures never confirmed are forgotten after PENDING_RETENTION_DAYS."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.campaigns.tallies import all_figures
from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.jobs import huey
from app.extensions import db
from app.signatures.jobs import forget_stale_pending_signatures_job
from app.signatures.models import CONFIRMED, HELD, PENDING, Signature
from app.signatures.retention import forget_stale_pending_signatures
from app.signatures.services import recount_campaign
from tests.factories import make_campaign, make_held_signature, make_signature


def signed_days_ago(signature, days: float):
    signature.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return signature


def remaining(campaign) -> dict[str, int]:
    rows = db.session.execute(
        select(Signature.state, func.count())
        .where(Signature.campaign_id == campaign.id)
        .group_by(Signature.state)
    )
    return dict(rows.all())


def test_old_pending_rows_go_and_everything_else_stays(app):
    campaign = make_campaign(slug="c")
    for _ in range(3):
        signed_days_ago(make_signature(campaign, state=PENDING), 31)
    recent = signed_days_ago(make_signature(campaign, state=PENDING), 29)
    signed_days_ago(make_signature(campaign, state=CONFIRMED), 400)
    signed_days_ago(make_held_signature(campaign), 400)
    recount_campaign(campaign)  # the factories keep the count, not the pending tally

    assert forget_stale_pending_signatures() == 3
    assert remaining(campaign) == {PENDING: 1, CONFIRMED: 1, HELD: 1}
    assert db.session.get(Signature, recent.id) is not None
    # The tallies kept up: they equal a rebuild from the rows that are left.
    tallies = all_figures(campaign.id)
    recount_campaign(campaign)
    assert all_figures(campaign.id) == tallies
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "signatures.pending_forgotten")
    ).scalars()
    assert (event.subject_id, event.detail["count"]) == (campaign.id, 3)
    assert forget_stale_pending_signatures() == 0  # nothing left to do, nothing logged


def test_many_campaigns_in_batches_smaller_than_their_backlog(app):
    campaigns = [make_campaign(slug=f"c{n}") for n in range(2)]
    for campaign in campaigns:
        for _ in range(7):
            signed_days_ago(make_signature(campaign, state=PENDING), 45)
        signed_days_ago(make_signature(campaign, state=PENDING), 1)
    assert forget_stale_pending_signatures(batch=3) == 14
    assert [remaining(c) for c in campaigns] == [{PENDING: 1}, {PENDING: 1}]


@pytest.mark.parametrize("config_overrides", [{"PENDING_RETENTION_DAYS": 2}])
def test_a_short_period_never_cuts_a_working_confirmation_link(app):
    """Links work CONFIRMATION_MAX_AGE (7 days): a 2-day period waits for them."""
    campaign = make_campaign(slug="c")
    signed_days_ago(make_signature(campaign, state=PENDING), 3)
    signed_days_ago(make_signature(campaign, state=PENDING), 8)
    assert forget_stale_pending_signatures() == 1
    assert remaining(campaign) == {PENDING: 1}


def test_the_worker_runs_it_every_hour(app):
    def due(minute: int) -> bool:
        # Huey's scheduler asks with a naive UTC time.
        moment = utcnow().replace(minute=minute, tzinfo=None)
        job = forget_stale_pending_signatures_job.task_class
        return any(isinstance(task, job) for task in huey.read_periodic(moment))

    assert due(23) and not due(24)


def test_the_command_reports_how_many_went(app):
    campaign = make_campaign(slug="c")
    signed_days_ago(make_signature(campaign, state=PENDING), 60)
    result = app.test_cli_runner().invoke(args=["signatures", "forget-pending"])
    assert result.exit_code == 0, result.output
    assert "Forgot 1 pending signature" in result.output
    assert remaining(campaign) == {}
