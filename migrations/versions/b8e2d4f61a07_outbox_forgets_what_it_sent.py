"""outbox forgets what it sent: address and bodies go, a keyed hash stays

Revision ID: b8e2d4f61a07
Revises: 3226d91ed150
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e2d4f61a07'
down_revision = '3226d91ed150'
branch_labels = None
depends_on = None

DONE = ("sent", "failed")


def upgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('to_address', existing_type=sa.String(length=320), nullable=True)
    # Emails already sent or failed lose their address, subject, bodies and error text
    # (which may name the address) in plain SQL. Their recipient hash stays empty: the
    # app's key is not this migration's business, and nothing reads those hashes back.
    outbox = sa.table(
        'outbox_emails',
        sa.column('status', sa.String),
        sa.column('to_address', sa.String),
        sa.column('subject', sa.String),
        sa.column('body_text', sa.Text),
        sa.column('body_html', sa.Text),
        sa.column('context', sa.JSON),
        sa.column('last_error', sa.Text),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.status.in_(DONE))
        .values(
            to_address=None,
            subject=None,
            body_text=None,
            body_html=None,
            context=None,
            last_error=None,
        )
    )


def downgrade():
    # What was deleted does not come back; rows without an address get an empty one.
    outbox = sa.table('outbox_emails', sa.column('to_address', sa.String))
    op.execute(outbox.update().where(outbox.c.to_address.is_(None)).values(to_address=''))
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.alter_column('to_address', existing_type=sa.String(length=320), nullable=False)
        batch_op.drop_column('recipient_hash')
