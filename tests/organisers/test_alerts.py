"""Site admins are emailed when rate limits lose their shared storage (case 20)."""

from sqlalchemy import select

from app.core.outbox import OutboxEmail, send_due_emails
from app.core.rate_limits import rate_limit_storage_down
from app.extensions import db
from tests.factories import make_organiser


def test_admins_are_told_when_rate_limits_fall_back_to_memory(app, smtp):
    admin = make_organiser(email="admin@example.org", admin=True)
    make_organiser(email="organiser@example.org")
    make_organiser(email="new-admin@example.org", admin=True, confirmed=False)
    rate_limit_storage_down.send(app)
    queued = db.session.execute(select(OutboxEmail.to_address)).scalars().all()
    assert queued == [admin.email]
    send_due_emails()
    message = smtp.messages_to(admin.email)[0]
    assert "Rate limits fell back" in message["Subject"]
    assert "Redis" in message.get_body(preferencelist=("plain",)).get_content()
