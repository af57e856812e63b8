"""review desk: actions, their rows, alerts

The organisers' bulk actions (invalidate, release) with the rows each changed and their
state before, so an action can be undone exactly; the alerts sent, one per incident; and an
index of a campaign's signatures by time for the hourly chart and the alert job.

Revision ID: 9ac8865ee864
Revises: 156ffa25eeac
Create Date: 2026-12-02 11:55:32.828801

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9ac8865ee864'
down_revision = '156ffa25eeac'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('filter', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.Column('undo_reason', sa.Text(), nullable=True),
    sa.Column('undone_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['organisers.id'], name=op.f('fk_review_actions_actor_id_organisers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_review_actions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['organisers.id'], name=op.f('fk_review_actions_undone_by_id_organisers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_actions'))
    )
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.create_index('ix_review_actions_campaign', ['campaign_id', 'id'], unique=False)

    op.create_table('review_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=253), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_review_alerts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_alerts')),
    sa.UniqueConstraint('campaign_id', 'kind', 'key', 'window_start', name=op.f('uq_review_alerts_campaign_id_kind_key_window_start'))
    )
    op.create_table('review_action_rows',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('previous_state', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['review_actions.id'], name=op.f('fk_review_action_rows_action_id_review_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_review_action_rows_signature_id_signatures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('action_id', 'signature_id', name=op.f('pk_review_action_rows'))
    )
    with op.batch_alter_table('review_action_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_action_rows_signature_id'), ['signature_id'], unique=False)

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index('ix_signatures_campaign_created', ['campaign_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_campaign_created')

    with op.batch_alter_table('review_action_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_action_rows_signature_id'))

    op.drop_table('review_action_rows')
    op.drop_table('review_alerts')
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_review_actions_campaign')

    op.drop_table('review_actions')
