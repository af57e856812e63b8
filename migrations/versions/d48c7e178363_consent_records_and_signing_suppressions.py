"""consent records and signing suppressions

Revision ID: d48c7e178363
Revises: db6556da9779
Create Date: 2026-11-25 12:20:48.979280

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd48c7e178363'
down_revision = 'db6556da9779'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('signing_suppressions',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('identity_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_signing_suppressions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'identity_hash', name=op.f('pk_signing_suppressions'))
    )
    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=32), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('wording', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=12), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_consent_records_signature_id_signatures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_records_signature_id'), ['signature_id'], unique=False)




def downgrade():

    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_records_signature_id'))

    op.drop_table('consent_records')
    op.drop_table('signing_suppressions')

