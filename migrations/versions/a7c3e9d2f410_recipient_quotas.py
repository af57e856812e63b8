"""recipient quotas: emails per mailbox per UTC day, keyed by a hash

Revision ID: a7c3e9d2f410
Revises: d48c7e178363
Create Date: 2026-11-26 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d2f410'
down_revision = 'd48c7e178363'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recipient_quotas',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'key_hash', name=op.f('pk_recipient_quotas'))
    )


def downgrade():
    op.drop_table('recipient_quotas')
