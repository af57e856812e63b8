"""The database connection pool: idle connections are checked before use, busy ones are not.

A connection dropped while idle is replaced without the request noticing.
"""

import psycopg
from sqlalchemy import text

from app.core import database
from app.extensions import db
from tests.helpers import postgres_only


def backend_pid() -> int:
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.commit()
    return pid


def count_pings(monkeypatch) -> list:
    pings = []
    real_ping = db.engine.dialect.do_ping

    def ping(dbapi_connection):
        pings.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(db.engine.dialect, "do_ping", ping)
    return pings


@postgres_only
def test_a_connection_back_in_use_at_once_is_not_pinged(app, monkeypatch):
    pings = count_pings(monkeypatch)
    first = backend_pid()
    assert backend_pid() == first  # the same pooled connection, used again at once
    assert pings == []


@postgres_only
def test_a_connection_the_server_dropped_while_idle_is_replaced(app, client, monkeypatch):
    pings = count_pings(monkeypatch)
    dropped = backend_pid()
    # As a server restart or an idle timeout would, from outside the pool.
    with psycopg.connect(
        db.engine.url.set(drivername="postgresql").render_as_string(False)
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (dropped,))
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", -1.0)  # it sat idle
    assert client.get("/").status_code == 200
    assert backend_pid() != dropped
    assert pings
