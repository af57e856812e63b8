"""attribution tallies: confirmed signatures by share channel and referrer

Revision ID: a3c1f0e2b9d4
Revises: d0b87935dab4
Create Date: 2026-12-06 03:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a3c1f0e2b9d4'
down_revision = 'd0b87935dab4'
branch_labels = None
depends_on = None


def upgrade():
    # The dashboard now reads these figures from maintained tallies, as it does countries
    # and days; campaigns that already have signatures get theirs grouped once, here.
    for dimension in ("source", "referrer"):
        op.execute(
            "INSERT INTO campaign_tallies (campaign_id, dimension, \"key\", shard, count, label) "
            f"SELECT campaign_id, '{dimension}', {dimension}, 0, count(*), '' "
            "FROM signatures WHERE state = 'confirmed' "
            f"GROUP BY campaign_id, {dimension}"
        )


def downgrade():
    op.execute("DELETE FROM campaign_tallies WHERE dimension IN ('source', 'referrer')")
