"""The batch commands: outbox send and campaign recount."""

from sqlalchemy import select

from app.campaigns.models import CampaignCountShard
from app.core.outbox import OutboxEmail, Status, queue_email
from app.extensions import db
from app.signatures.models import CONFIRMED
from tests.factories import make_campaign, make_signature


def test_outbox_send_delivers_due_emails(runner, smtp):
    queue_email("a@example.org", "Subject", "Body")
    queue_email("b@example.org", "Subject", "Body")
    db.session.commit()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0
    assert "sent 2, retrying later 0, failed 0" in result.output
    assert sorted(m["To"] for m in smtp.messages) == ["a@example.org", "b@example.org"]
    db.session.expire_all()
    assert {e.status for e in db.session.execute(select(OutboxEmail)).scalars()} == {Status.SENT}


def test_campaigns_recount_repairs_a_wrong_count(runner):
    campaign = make_campaign(slug="c")
    make_signature(campaign, state=CONFIRMED)
    make_signature(campaign, state=CONFIRMED)
    db.session.execute(CampaignCountShard.__table__.update().values(count=7))
    db.session.commit()
    assert runner.invoke(args=["campaigns", "recount", "c"]).output.strip() == "c: 2 confirmed"
    assert "c " in runner.invoke(args=["campaigns", "list"]).output
    assert runner.invoke(args=["campaigns", "recount", "nope"]).exit_code != 0
