"""Partial index for the latest public confirmed signers (replaces ix_signatures_recent)

Revision ID: db6556da9779
Revises: 55a1ef93282e
Create Date: 2026-11-25 12:13:53.315705

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'db6556da9779'
down_revision = '55a1ef93282e'
branch_labels = None
depends_on = None

COLUMNS = ['campaign_id', 'confirmed_at', 'id']
# The query in app/campaigns/pages.py uses this condition word for word.
SHOWN_ON_PAGE = "state = 'confirmed' AND public = true"
WHERE = dict(postgresql_where=sa.text(SHOWN_ON_PAGE), sqlite_where=sa.text(SHOWN_ON_PAGE))


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # CONCURRENTLY: a big signatures table keeps taking signatures while it builds.
        with op.get_context().autocommit_block():
            op.create_index('ix_signatures_public_recent', 'signatures', COLUMNS,
                            postgresql_concurrently=True, **WHERE)
    else:
        op.create_index('ix_signatures_public_recent', 'signatures', COLUMNS, **WHERE)
    # The old index served only the recent-signers query, which now has its own.
    op.drop_index('ix_signatures_recent', table_name='signatures')


def downgrade():
    op.create_index('ix_signatures_recent', 'signatures', ['campaign_id', 'state', 'confirmed_at'])
    op.drop_index('ix_signatures_public_recent', table_name='signatures')
