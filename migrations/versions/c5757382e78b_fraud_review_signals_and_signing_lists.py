"""fraud review signals and signing lists

Revision ID: c5757382e78b
Revises: 2d4c77a2e458
Create Date: 2026-12-02 04:15:32.723730

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5757382e78b'
down_revision = '2d4c77a2e458'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signing_list_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_name', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('pattern', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['organisers.id'], name=op.f('fk_signing_list_entries_created_by_id_organisers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_list_entries')),
    sa.UniqueConstraint('list_name', 'kind', 'pattern', name=op.f('uq_signing_list_entries_list_name_kind_pattern'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allowed_email_domains', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_hash', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('network_hash', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('email_domain', sa.String(length=253), server_default='', nullable=False))
        batch_op.add_column(sa.Column('user_agent_family', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('seconds_to_submit', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('referrer', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('held_rule', sa.String(length=30), nullable=True))
        batch_op.create_index('ix_signatures_campaign_domain', ['campaign_id', 'email_domain', 'created_at'], unique=False)
        batch_op.create_index('ix_signatures_campaign_ip_hash', ['campaign_id', 'ip_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_signatures_campaign_network', ['campaign_id', 'network_hash', 'created_at'], unique=False)

    # Existing signatures get their email domain (the review desk groups by it).
    if op.get_bind().dialect.name == "postgresql":
        domain = "split_part(email_normalised, '@', 2)"
    else:
        domain = "substr(email_normalised, instr(email_normalised, '@') + 1)"
    op.execute(f"UPDATE signatures SET email_domain = {domain} WHERE email_domain = ''")


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_campaign_network')
        batch_op.drop_index('ix_signatures_campaign_ip_hash')
        batch_op.drop_index('ix_signatures_campaign_domain')
        batch_op.drop_column('held_rule')
        batch_op.drop_column('referrer')
        batch_op.drop_column('source')
        batch_op.drop_column('seconds_to_submit')
        batch_op.drop_column('user_agent_family')
        batch_op.drop_column('email_domain')
        batch_op.drop_column('network_hash')
        batch_op.drop_column('ip_hash')

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('allowed_email_domains')

    op.drop_table('signing_list_entries')
