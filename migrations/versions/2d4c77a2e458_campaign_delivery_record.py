"""campaign delivery record

When, to whom and with what note a campaign's petition was delivered.

Revision ID: 2d4c77a2e458
Revises: e6aac2c1cbe0
Create Date: 2026-11-25 15:39:52.701525

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2d4c77a2e458'
down_revision = 'e6aac2c1cbe0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('delivered_to', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('delivery_note', sa.Text(), nullable=False, server_default=''))



def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('delivery_note')
        batch_op.drop_column('delivered_to')
        batch_op.drop_column('delivered_on')

