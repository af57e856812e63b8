"""Allies of a campaign: their codes, sites and stats links; who may frame the widget;
the answer to an ally's contact question

Revision ID: d0b87935dab4
Revises: 61728906db45
Create Date: 2026-12-02 15:54:55.789278

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0b87935dab4'
down_revision = '61728906db45'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('allies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('sites', sa.Text(), server_default='', nullable=False),
    sa.Column('contact_question', sa.Text(), server_default='', nullable=False),
    sa.Column('stats_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_allies_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allies')),
    sa.UniqueConstraint('campaign_id', 'code', name=op.f('uq_allies_campaign_id_code')),
    sa.UniqueConstraint('stats_key', name=op.f('uq_allies_stats_key'))
    )
    # Plain ALTER TABLE (no batch copy): SQLite cannot drop the campaigns table that
    # signatures and others reference, and needs no copy to add a column with a default.
    op.add_column('campaigns', sa.Column('widget_allies_only', sa.Boolean(), server_default=sa.false(), nullable=False))

    # Nullable and without a default: instant on a big signatures table.
    op.add_column('signatures', sa.Column('ally_contact_consent', sa.Boolean(), nullable=True))



def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 or later): no copy of either table.
    op.drop_column('signatures', 'ally_contact_consent')
    op.drop_column('campaigns', 'widget_allies_only')

    op.drop_table('allies')
