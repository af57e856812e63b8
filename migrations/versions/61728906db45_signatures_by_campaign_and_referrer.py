"""Signatures by campaign and referrer: whom a signer's links brought

Revision ID: 61728906db45
Revises: 9ac8865ee864
Create Date: 2026-12-02 13:12:43.343383

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '61728906db45'
down_revision = '9ac8865ee864'
branch_labels = None
depends_on = None

INDEX = 'ix_signatures_campaign_referrer'
COLUMNS = ['campaign_id', 'referrer', 'state']


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # CONCURRENTLY: a big signatures table keeps taking signatures meanwhile.
        with op.get_context().autocommit_block():
            op.create_index(INDEX, 'signatures', COLUMNS, postgresql_concurrently=True)
    else:
        op.create_index(INDEX, 'signatures', COLUMNS)


def downgrade():
    op.drop_index(INDEX, table_name='signatures')
