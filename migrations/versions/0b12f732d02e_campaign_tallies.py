"""campaign tallies and the signature name search

Maintained per-campaign figures (confirmed per day, country and locality; pending) in
sharded rows; a searchable form of each signature's name with its index, and an index for
the organisers' signature list. Existing signatures get their name's search form and
existing campaigns their tallies, computed here once (the same grouping as
`flask campaigns recount`).

Revision ID: 0b12f732d02e
Revises: 635135ea1258
Create Date: 2026-11-25 14:14:49.477004

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0b12f732d02e'
down_revision = '635135ea1258'
branch_labels = None
depends_on = None

_SPACES = re.compile(r"\s+")


def _name_search_form(name):
    # A frozen copy of app.signatures.models.name_search_form as of this revision.
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.casefold()).strip()[:200]


def _locality(typed):
    shown = _SPACES.sub(" ", typed or "").strip()[:64]
    return shown.casefold()[:64], shown


def _backfill(connection):
    signatures = sa.table(
        "signatures",
        sa.column("id"), sa.column("campaign_id"), sa.column("name"), sa.column("name_search"),
        sa.column("state"), sa.column("confirmed_at"), sa.column("country"),
        sa.column("postcode"),
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(signatures.c.id, signatures.c.name)
            .where(signatures.c.id > last_id).order_by(signatures.c.id).limit(2000)
        ).all()
        if not rows:
            break
        connection.execute(
            signatures.update().where(signatures.c.id == sa.bindparam("row_id"))
            .values(name_search=sa.bindparam("form")),
            [{"row_id": row.id, "form": _name_search_form(row.name)} for row in rows],
        )
        last_id = rows[-1].id
    if connection.dialect.name == "postgresql":
        day = sa.func.to_char(sa.func.timezone("UTC", signatures.c.confirmed_at), "YYYY-MM-DD")
    else:
        day = sa.func.substr(signatures.c.confirmed_at, 1, 10)
    figures = {}
    grouped = connection.execute(
        sa.select(signatures.c.campaign_id, signatures.c.state, day, signatures.c.country,
                  signatures.c.postcode, sa.func.count())
        .where(signatures.c.state.in_(("pending", "confirmed")))
        .group_by(signatures.c.campaign_id, signatures.c.state, day, signatures.c.country,
                  signatures.c.postcode)
    )
    for campaign_id, state, day_key, country, postcode, count in grouped:
        if state == "pending":
            keys = [("pending", "", "")]
        else:
            locality, shown = _locality(postcode)
            keys = [("day", day_key, ""), ("country", country or "", ""),
                    ("locality", locality, shown)]
        for dimension, key, label in keys:
            figure = figures.setdefault((campaign_id, dimension, key), [0, label])
            figure[0] += count
    tallies = sa.table(
        "campaign_tallies",
        sa.column("campaign_id"), sa.column("dimension"), sa.column("key"), sa.column("shard"),
        sa.column("count"), sa.column("label"),
    )
    # Counts on shard 0; a locality's spelling in a count-0 "spelling" row of its own.
    rows = [
        dict(campaign_id=c, dimension=d, key=k, shard=0, count=n, label="")
        for (c, d, k), (n, label) in figures.items()
    ]
    rows += [
        dict(campaign_id=c, dimension="spelling", key=k, shard=0, count=0, label=label)
        for (c, d, k), (n, label) in figures.items()
        if label
    ]
    for start in range(0, len(rows), 5000):
        connection.execute(tallies.insert(), rows[start:start + 5000])


def upgrade():
    op.create_table('campaign_tallies',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('shard', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_tallies_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'dimension', 'key', 'shard', name=op.f('pk_campaign_tallies'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_search', sa.String(length=200).with_variant(sa.String(length=200, collation='C'), 'postgresql'), server_default='', nullable=False))
        batch_op.create_index('ix_signatures_campaign_state_id', ['campaign_id', 'state', 'id'], unique=False)
        batch_op.create_index('ix_signatures_name_search', ['campaign_id', 'name_search'], unique=False)
    _backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_name_search')
        batch_op.drop_index('ix_signatures_campaign_state_id')
        batch_op.drop_column('name_search')

    op.drop_table('campaign_tallies')
