"""Signer names held, hidden or approved for public lists

Revision ID: 156ffa25eeac
Revises: fb70bbfa45f0
Create Date: 2026-12-02 11:39:04.014200

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '156ffa25eeac'
down_revision = 'fb70bbfa45f0'
branch_labels = None
depends_on = None

PUBLIC_RECENT = 'ix_signatures_public_recent'
PUBLIC_RECENT_COLUMNS = ['campaign_id', 'confirmed_at', 'id']
# The query in app/campaigns/pages.py uses these conditions word for word.
SHOWN_BEFORE = "state = 'confirmed' AND public = true"
SHOWN_NOW = "state = 'confirmed' AND public = true AND name_moderation IN ('', 'approved')"
TO_REVIEW = 'ix_signatures_names_to_review'
TO_REVIEW_WHERE = "name_moderation = 'held'"


def _where(condition):
    return dict(postgresql_where=sa.text(condition), sqlite_where=sa.text(condition))


def _swap_public_recent(condition):
    """Rebuild the public-signers index on `condition`, and the review index with it."""
    if op.get_bind().dialect.name == 'postgresql':
        # CONCURRENTLY, and the new index built before the old one goes: a big signatures
        # table keeps taking signatures, and the page keeps its index, meanwhile.
        with op.get_context().autocommit_block():
            op.create_index(PUBLIC_RECENT + '_new', 'signatures', PUBLIC_RECENT_COLUMNS,
                            postgresql_concurrently=True, **_where(condition))
            op.drop_index(PUBLIC_RECENT, table_name='signatures', postgresql_concurrently=True)
            op.execute(f'ALTER INDEX {PUBLIC_RECENT}_new RENAME TO {PUBLIC_RECENT}')
    else:
        op.drop_index(PUBLIC_RECENT, table_name='signatures')
        op.create_index(PUBLIC_RECENT, 'signatures', PUBLIC_RECENT_COLUMNS, **_where(condition))


def upgrade():
    # A constant default: PostgreSQL adds the column without rewriting the table.
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_moderation', sa.String(length=10), server_default='', nullable=False))
    _swap_public_recent(SHOWN_NOW)
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index(TO_REVIEW, 'signatures', ['campaign_id', 'id'],
                            postgresql_concurrently=True, **_where(TO_REVIEW_WHERE))
    else:
        op.create_index(TO_REVIEW, 'signatures', ['campaign_id', 'id'], **_where(TO_REVIEW_WHERE))


def downgrade():
    op.drop_index(TO_REVIEW, table_name='signatures')
    # The old condition does not name the column, so the index can be rebuilt before it goes.
    _swap_public_recent(SHOWN_BEFORE)
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_column('name_moderation')
