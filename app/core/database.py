"""Database engine behaviour that the rest of the code relies on, per dialect."""

import sqlite3
import time
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import DateTime, Table, bindparam, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from app.extensions import db

# Row ids are 32-bit integers: a forged id (in a token or a URL) above this names no row,
# and is refused before it reaches the database.
MAX_ROW_ID = 2**31 - 1


def is_row_id(value) -> bool:
    """Whether `value` (from a token, a query string) can name a row: an int in 1..MAX_ROW_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """The value to store: converted to UTC; a naive datetime is refused."""
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        """The value read back, marked as UTC if the database dropped the zone."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def configure_engine(engine: Engine) -> None:
    """Give this engine the behaviour the code relies on."""
    if engine.dialect.name != "sqlite":
        _ping_connections_that_sat_idle(engine)
        return
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_immediate_on_sqlite)


# A pooled connection back in use within this many seconds goes to work without a ping.
PING_AFTER_IDLE_SECONDS = 1.0
_CHECKED_IN_AT = "rally.checked_in_at"


def _ping_connections_that_sat_idle(engine: Engine) -> None:
    # A server restart or a dropped connection is met by a connection that sat idle in the
    # pool: ping those before use, and a dead one is replaced (SQLAlchemy retries the
    # checkout on DisconnectionError). SQLAlchemy's pool_pre_ping pings every checkout,
    # and a request that reads, then writes, checks out twice: a round trip each.
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        since = record.info.get(_CHECKED_IN_AT)
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError("the pooled connection is gone") from error


def init_app(app) -> None:
    """Configure the engine of this app's database (and no other engine in the process)."""
    with app.app_context():
        configure_engine(db.engine)


def _configure_sqlite(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # SQLAlchemy emits BEGIN itself (see below), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin_immediate_on_sqlite(conn):
    # A deferred SQLite transaction that reads and then writes fails at once with
    # SQLITE_BUSY when another writer got in between; taking the write lock up front
    # makes concurrent writers wait their turn (busy_timeout) instead of erroring.
    # Pure reads may opt out with begin_read_only() so they do not queue behind writers.
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def end_read_only(session) -> None:
    """End a transaction begun with begin_read_only, now rather than with the request.

    With COMMIT: nothing was written, and psycopg forgets its prepared statements at every
    ROLLBACK (then tells the server to, a round trip more). A session holding changes,
    which a read should never have, is rolled back.
    """
    if session.new or session.dirty or session.deleted:
        session.rollback()
    else:
        session.commit()


def begin_read_only(session) -> None:
    """Start the session's next transaction as a plain reader (BEGIN DEFERRED on SQLite).

    Only for code that will not write before the transaction ends.
    """
    if not session().in_transaction():
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})


@lru_cache(maxsize=64)
def multi_row_insert(table: Table, columns: tuple[str, ...], rows: int, then: str = ""):
    """INSERT of `rows` rows of `columns` into `table`, built once per shape; `then` follows.

    SQLAlchemy cannot cache the compiled form of a multi-row VALUES, and executemany
    costs a driver round of its own per call: this is SQL text with typed parameters,
    named <column>_<row> (name_0, name_1 ...), the same on SQLite and PostgreSQL.
    """
    values = ", ".join(
        "(" + ", ".join(f":{name}_{row}" for name in columns) + ")" for row in range(rows)
    )
    quoted = ", ".join(f'"{name}"' for name in columns)
    return text(f"INSERT INTO {table.name} ({quoted}) VALUES {values} {then}".rstrip()).bindparams(
        *(
            bindparam(f"{name}_{row}", type_=table.c[name].type)
            for row in range(rows)
            for name in columns
        )
    )


def multi_row_parameters(rows: list[dict]) -> dict:
    """The parameters of multi_row_insert for these rows (each a dict by column)."""
    return {
        f"{name}_{index}": value for index, row in enumerate(rows) for name, value in row.items()
    }


def execute_core(statement, parameters=None):
    """Run a Core statement on the session's connection, in its transaction.

    For statements built once on the hot paths: it skips the ORM's work for each call
    (no objects are loaded or synchronised, and none need to be), a fraction of a
    millisecond each.
    """
    return db.session.connection().execute(statement, parameters)
