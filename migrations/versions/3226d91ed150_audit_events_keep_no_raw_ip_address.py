"""audit events keep no raw IP address

Revision ID: 3226d91ed150
Revises: a3c1f0e2b9d4
Create Date: 2026-12-06 04:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3226d91ed150'
down_revision = 'a3c1f0e2b9d4'
branch_labels = None
depends_on = None

# The events that kept the client's IP address in their detail.
ACTIONS = (
    "organiser.login_failed",
    "organiser.two_step_failed",
    "organiser.reauthentication_failed",
)


def upgrade():
    # New failed logins keep the keyed hash of the address that signatures keep; the rows
    # already written get the same hash in place of the address.
    from flask import current_app

    from app.signatures.fraud.signals import ip_hash

    secret = current_app.config["SECRET_KEY"]
    connection = op.get_bind()
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("detail", sa.JSON),
    )
    rows = connection.execute(
        sa.select(events.c.id, events.c.detail).where(events.c.action.in_(ACTIONS))
    ).all()
    for row_id, detail in rows:
        if not isinstance(detail, dict) or "ip" not in detail:
            continue
        kept = {key: value for key, value in detail.items() if key != "ip"}
        kept["ip_hash"] = ip_hash(detail["ip"], secret)
        connection.execute(events.update().where(events.c.id == row_id).values(detail=kept))


def downgrade():
    # A hash does not give the address back: the rows keep their hashes.
    pass
