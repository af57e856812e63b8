"""Maintained figures of each campaign: confirmed per day, country and locality, and pending.

One table, `campaign_tallies`, keyed by (campaign, dimension, key, shard). Every state
change of a signature adds to it in its own transaction by upsert, on a random shard so
that concurrent confirmations on PostgreSQL rarely wait on the same row. Dashboards read
these few rows, never the campaign's signatures.
"""

import random
import re
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date, datetime

from flask import current_app
from sqlalchemy import ForeignKey, Integer, String, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import execute_core, multi_row_insert, multi_row_parameters
from app.extensions import db

DAY = "day"  # key: the UTC date of confirmation, YYYY-MM-DD
COUNTRY = "country"  # key: ISO 3166-1 alpha-2 code, "" when not given
LOCALITY = "locality"  # key: the postcode/town as typed, folded for grouping
PENDING = "pending"  # key: "" (one figure per campaign)
SOURCE = "source"  # key: the share channel a confirmed signer came through, "" for none
REFERRER = "referrer"  # key: the referrer code (a signer's or an ally's), "" for none
# Not a figure: one count-0 row per locality key whose label is the spelling first seen.
# Kept apart from the figures so summing the localities reads only their own rows.
SPELLING = "spelling"
DIMENSIONS = (DAY, COUNTRY, LOCALITY, PENDING, SOURCE, REFERRER)

KEY_LENGTH = 64
_SPACES = re.compile(r"\s+")


class CampaignTally(db.Model):
    """One shard of one figure of a campaign; a figure is the sum over its shards."""

    __tablename__ = "campaign_tallies"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # How the key was first written (a locality keeps the spelling first seen).
    label: Mapped[str] = mapped_column(String(KEY_LENGTH), nullable=False, default="")


def locality_key(typed: str) -> tuple[str, str]:
    """(grouping key, display form) of a postcode or town as typed.

    "n1  9gu" and "N1 9GU" group together; the display form only has its spaces tidied.
    """
    shown = _SPACES.sub(" ", typed).strip()[:KEY_LENGTH]
    return shown.casefold()[:KEY_LENGTH], shown


def day_key(moment: datetime | date) -> str:
    """The key of a UTC day."""
    return moment.strftime("%Y-%m-%d")


def _insert_for():
    return postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


_ROW = ("campaign_id", "dimension", "key", "shard", "count", "label")


_ON_CONFLICT = 'ON CONFLICT (campaign_id, dimension, "key", shard) '
_ADD_COUNTS = _ON_CONFLICT + "DO UPDATE SET count = campaign_tallies.count + excluded.count"
_KEEP_ROWS = _ON_CONFLICT + "DO NOTHING"


def _execute_rows(rows: list[dict], labels_only: bool = False) -> None:
    """Upsert tally rows, adding to the counts of rows that exist (or, `labels_only`, not)."""
    then = _KEEP_ROWS if labels_only else _ADD_COUNTS
    statement = multi_row_insert(CampaignTally.__table__, _ROW, len(rows), then)
    execute_core(statement, multi_row_parameters(rows))


# The app remembers the locality labels it has written: a SPELLING row is never changed
# once there, so writing it again would only cost a statement. Bounded, since a
# long-running worker sees many localities; forgetting one merely writes it again. Kept
# per app (per database), never per module.
LABELS_WRITTEN = "rally.tally_labels_written"
_LABELS_REMEMBERED = 50_000


def _labels_written() -> OrderedDict:
    return current_app.extensions.setdefault(LABELS_WRITTEN, OrderedDict())


def add_to_tallies(campaign_id: int, changes: Iterable[tuple[str, str, int, str]]) -> None:
    """Add (dimension, key, delta, label) changes in the caller's transaction.

    All on one random shard: one statement, and concurrent writers spread over the shards.
    A label is kept once per key, as first written, in a SPELLING row of its own
    (count 0) that is inserted if missing and never updated, so it is no hot row either.
    """
    shard = random.randrange(current_app.config["COUNT_SHARDS"])
    changes = list(changes)
    rows = [
        dict(campaign_id=campaign_id, dimension=d, key=k, shard=shard, count=n, label="")
        for d, k, n, _ in changes
    ]
    if rows:
        _execute_rows(rows)
    written = _labels_written()
    labels = [
        dict(campaign_id=campaign_id, dimension=SPELLING, key=k, shard=0, count=0, label=label)
        for _, k, _, label in changes
        if label and (campaign_id, k) not in written
    ]
    if labels:
        _execute_rows(labels, labels_only=True)
        for row in labels:
            written[(campaign_id, row["key"])] = None
        while len(written) > _LABELS_REMEMBERED:
            written.popitem(last=False)


def tally_signed(campaign_id: int) -> None:
    """A new pending signature."""
    add_to_tallies(campaign_id, [(PENDING, "", 1, "")])


def tally_pending_removed(campaign_id: int) -> None:
    """A pending signature was removed without being confirmed."""
    add_to_tallies(campaign_id, [(PENDING, "", -1, "")])


def tally_confirmed(
    campaign_id: int,
    confirmed_at: datetime,
    country: str,
    postcode: str,
    was_pending=True,
    source: str = "",
    referrer: str = "",
) -> None:
    """A signature was confirmed (and left PENDING when `was_pending`)."""
    add_to_tallies(
        campaign_id,
        confirmed_changes([(confirmed_at, country, postcode, source, referrer)], 1)
        + ([(PENDING, "", -1, "")] if was_pending else []),
    )


def confirmed_changes(rows: Iterable, sign: int) -> list[tuple[str, str, int, str]]:
    """Tally changes of confirmed signatures entering (sign 1) or leaving (sign -1) the count.

    `rows` are (confirmed_at, country, postcode, source, referrer). Grouped, one change
    per key, since an upsert may not touch one row twice; a locality entering keeps the
    spelling first seen.
    """
    totals: dict[tuple[str, str], int] = {}
    labels: dict[str, str] = {}
    for confirmed_at, country, postcode, source, referrer in rows:
        locality, shown = locality_key(postcode or "")
        labels.setdefault(locality, shown)
        keys = [(COUNTRY, country or ""), (LOCALITY, locality), (SOURCE, source or "")]
        keys.append((REFERRER, referrer or ""))
        if confirmed_at is not None:
            keys.append((DAY, day_key(confirmed_at)))
        for key in keys:
            totals[key] = totals.get(key, 0) + sign
    return [
        (dimension, key, delta, labels.get(key, "") if dimension == LOCALITY and sign > 0 else "")
        for (dimension, key), delta in totals.items()
    ]


def rebuild_tallies(
    campaign_id: int,
    pending: int,
    by_day: Iterable[tuple[str, int]],
    by_country: Iterable[tuple[str, int]],
    by_postcode: Iterable[tuple[str, int]],
    by_source: Iterable[tuple[str, int]] = (),
    by_referrer: Iterable[tuple[str, int]] = (),
) -> None:
    """Replace the campaign's tallies with figures grouped from its rows (caller's transaction).

    `by_postcode` is grouped by the exact text typed; localities are folded here, the
    spelling already kept for a locality stays, else the first (in the order given).
    """
    # Spellings stay: they are never changed once written, and add_to_tallies trusts that
    # a label it wrote is still there.
    db.session.execute(
        delete(CampaignTally).where(
            CampaignTally.campaign_id == campaign_id, CampaignTally.dimension != SPELLING
        )
    )
    figures: dict[tuple[str, str], list] = {(PENDING, ""): [pending, ""]}
    for day, count in by_day:
        figures[(DAY, day)] = [count, ""]
    for country, count in by_country:
        figures[(COUNTRY, country or "")] = [count, ""]
    for dimension, grouped in ((SOURCE, by_source), (REFERRER, by_referrer)):
        for key, count in grouped:
            figures[(dimension, key or "")] = [count, ""]
    for postcode, count in by_postcode:
        locality, shown = locality_key(postcode or "")
        figures.setdefault((LOCALITY, locality), [0, shown])[0] += count
    rows = [
        dict(campaign_id=campaign_id, dimension=d, key=k, shard=0, count=n, label="")
        for (d, k), (n, _) in figures.items()
    ]
    labels = [
        dict(campaign_id=campaign_id, dimension=SPELLING, key=k, shard=0, count=0, label=label)
        for (_, k), (_, label) in figures.items()
        if label
    ]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(CampaignTally), rows[start : start + 5000])
    for start in range(0, len(labels), 5000):
        db.session.execute(
            _insert_for()(CampaignTally.__table__).on_conflict_do_nothing(),
            labels[start : start + 5000],
        )


def _summed(campaign_id: int, dimension: str):
    return (
        select(CampaignTally.key, func.sum(CampaignTally.count).label("total"))
        .where(CampaignTally.campaign_id == campaign_id, CampaignTally.dimension == dimension)
        .group_by(CampaignTally.key)
    )


def pending_count(campaign_id: int) -> int:
    """Signatures waiting for their email owner's click."""
    total = db.session.execute(
        select(func.sum(CampaignTally.count)).where(
            CampaignTally.campaign_id == campaign_id, CampaignTally.dimension == PENDING
        )
    ).scalar()
    return int(total or 0)


def confirmed_by_day(campaign_id: int, since: date) -> dict[str, int]:
    """Confirmed signatures per UTC day from `since` on (days without any left out)."""
    query = _summed(campaign_id, DAY).where(CampaignTally.key >= day_key(since))
    return {key: int(total) for key, total in db.session.execute(query) if total}


def top_figures(campaign_id: int, dimension: str, limit: int = 10) -> list[tuple[str, str, int]]:
    """The largest figures of a dimension: (key, label, count), largest first.

    The label is the spelling kept for the key, else the key itself.
    """
    summed = _summed(campaign_id, dimension).subquery()
    query = (
        select(summed.c.key, summed.c.total)
        .where(summed.c.total > 0)
        .order_by(summed.c.total.desc(), summed.c.key)
        .limit(limit)
    )
    top = db.session.execute(query).all()
    spellings = (
        dict(
            db.session.execute(
                select(CampaignTally.key, CampaignTally.label).where(
                    CampaignTally.campaign_id == campaign_id,
                    CampaignTally.dimension == SPELLING,
                    CampaignTally.key.in_([key for key, _ in top]),
                )
            ).all()
        )
        if dimension == LOCALITY and top
        else {}
    )
    return [(key, spellings.get(key, key), int(total)) for key, total in top]


def figures_of(campaign_id: int, dimension: str, keys: Iterable[str]) -> dict[str, int]:
    """The figures of these keys of a dimension (keys with none left out)."""
    query = _summed(campaign_id, dimension).where(CampaignTally.key.in_(list(keys)))
    return {key: int(total) for key, total in db.session.execute(query) if total}


def all_figures(campaign_id: int) -> dict[tuple[str, str], int]:
    """Every non-zero figure of the campaign by (dimension, key) (for checks and tests)."""
    rows = db.session.execute(
        select(CampaignTally.dimension, CampaignTally.key, func.sum(CampaignTally.count))
        .where(CampaignTally.campaign_id == campaign_id)
        .group_by(CampaignTally.dimension, CampaignTally.key)
    )
    return {(d, k): int(n) for d, k, n in rows if n}
