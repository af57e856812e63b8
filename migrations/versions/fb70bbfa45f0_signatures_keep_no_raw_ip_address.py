"""signatures keep no raw IP address

Revision ID: fb70bbfa45f0
Revises: c5757382e78b
Create Date: 2026-12-02 06:10:54.318401

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fb70bbfa45f0'
down_revision = 'c5757382e78b'
branch_labels = None
depends_on = None


def upgrade():
    # The addresses already stored become keyed hashes (as new signatures get) before going.
    from flask import current_app

    from app.signatures.fraud.signals import review_signals

    secret = current_app.config["SECRET_KEY"]
    connection = op.get_bind()
    signatures = sa.table(
        "signatures",
        sa.column("id", sa.Integer),
        sa.column("ip_address", sa.String),
        sa.column("ip_hash", sa.String),
        sa.column("network_hash", sa.String),
    )
    rows = connection.execute(
        sa.select(signatures.c.id, signatures.c.ip_address).where(
            signatures.c.ip_address.is_not(None)
        )
    ).all()
    for row_id, ip in rows:
        hashes = review_signals(ip, "", secret)
        connection.execute(
            signatures.update()
            .where(signatures.c.id == row_id)
            .values(ip_hash=hashes["ip_hash"], network_hash=hashes["network_hash"])
        )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_column('ip_address')



def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_address', sa.VARCHAR(length=45), nullable=True))

