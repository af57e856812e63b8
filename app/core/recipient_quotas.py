"""A cap on the emails one mailbox receives from the platform in a UTC day (case 23)."""

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import Date, Integer, String, bindparam, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.core.addresses import identity_digest, mailbox_identity
from app.core.database import execute_core
from app.extensions import db


class RecipientQuota(db.Model):
    """How many emails were queued today for one mailbox, known only by a keyed hash."""

    __tablename__ = "recipient_quotas"

    # The day first, so forgetting old days is a range of the primary key.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


def recipient_key(address: str) -> str:
    """HMAC-SHA256 of the address's mailbox identity under SECRET_KEY, in hex.

    The table then says how often someone was emailed, but not who: without the key, a
    leaked copy cannot be matched against a list of addresses.
    """
    return identity_digest(
        mailbox_identity(address), current_app.config["SECRET_KEY"], "recipient-quota"
    )


@lru_cache(maxsize=4)
def _count_one_below_cap(dialect: str):
    """The statement that counts one more email unless the mailbox is at its cap.

    INSERT ... ON CONFLICT (day, key) DO UPDATE SET count = count + 1 WHERE count < :cap
    RETURNING count: no row comes back when the mailbox is at its cap.

    Built once per dialect; the values come as parameters.
    """
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = RecipientQuota.__table__
    return (
        insert(table)
        .values(day=bindparam("quota_day"), key_hash=bindparam("quota_key"), count=1)
        .on_conflict_do_update(
            index_elements=[table.c.day, table.c.key_hash],
            set_={"count": table.c.count + 1},
            where=table.c.count < bindparam("cap"),
        )
        .returning(table.c.count)
    )


def take_recipient_quota(address: str, now: datetime) -> bool:
    """Count one more email to `address`'s mailbox today; False, counting nothing, at the cap.

    One statement, so parallel transactions cannot both take the last place: on PostgreSQL
    the second waits on the first's row and then sees its count.
    """
    statement = _count_one_below_cap(db.engine.dialect.name)
    taken = execute_core(
        statement,
        {
            "quota_day": now.astimezone(UTC).date(),
            "quota_key": recipient_key(address),
            "cap": current_app.config["MAX_EMAILS_PER_ADDRESS_PER_DAY"],
        },
    ).scalar()
    return taken is not None


def forget_old_quotas(now: datetime) -> int:
    """Delete the counts of days before yesterday; return how many rows went."""
    yesterday = now.astimezone(UTC).date() - timedelta(days=1)
    return db.session.execute(
        delete(RecipientQuota.__table__).where(RecipientQuota.day < yesterday)
    ).rowcount
