"""Shared fixtures: app (SQLite, or PostgreSQL via TEST_DATABASE_URL), client, runner, smtp."""

import os
import re
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from app import create_app
from app.core.i18n import compile_catalogues
from app.extensions import db as _db
from tests.helpers import ON_POSTGRES, app_config, free_port


def pytest_sessionstart(session):
    # Catalogues are compiled at build and test time, never by the app at start-up; by
    # pytest-xdist's controller only, before its workers start, so none reads a half-written one.
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        compile_catalogues()


def pytest_report_header(config):
    if ON_POSTGRES:
        return "database: PostgreSQL (TEST_DATABASE_URL)"
    return "database: SQLite (set TEST_DATABASE_URL=postgresql://... to run on PostgreSQL too)"


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives.

    `reply_for` maps a recipient to an SMTP reply (e.g. "550 no such user") to simulate
    refusals; `stop()` and `start()` simulate the server going down and coming back.
    `smtputf8` makes it offer SMTPUTF8; `envelopes` keeps each message's envelope.
    """

    port: int
    smtputf8: bool = False
    messages: list = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    reply_for: dict = field(default_factory=dict)
    controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reply_for.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def start(self):
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def messages_to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def confirm_link(self, address: str) -> str:
        """The path of the confirmation link in the latest email to `address`."""
        body = self.messages_to(address)[-1].get_body(preferencelist=("plain",)).get_content()
        url = re.search(r"https?://[^/\s]+(/confirm/\S+)", body)
        assert url, body
        return url.group(1)


@pytest.fixture
def smtp(request):
    """A running SmtpSink; parametrize it indirectly with SmtpSink options to change them."""
    sink = SmtpSink(port=free_port(), **getattr(request, "param", {}))
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def config_overrides():
    """Override in a test module (or parametrize) to change the app's configuration."""
    return {}


_fresh_postgres_schema: list = []


@pytest.fixture
def app(request, tmp_path, config_overrides):
    overrides = dict(config_overrides)
    if "smtp" in request.fixturenames:
        sink = request.getfixturevalue("smtp")
        overrides.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_TIMEOUT=5)
    app = create_app(app_config(tmp_path, **overrides))
    with app.app_context():
        if ON_POSTGRES and not _fresh_postgres_schema:
            # The database outlives test runs: rebuild the schema once per session so a
            # model change never meets last run's tables.
            _db.drop_all()
            _fresh_postgres_schema.append(True)
        _db.create_all()
        yield app
        _db.session.remove()
        if ON_POSTGRES:
            tables = ", ".join(t.name for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def pytest_collection_modifyitems(config, items):
    """Mark the tests that drive a real browser; skip PostgreSQL's without PostgreSQL.

    A test that uses the `live_server` or `browser` fixture (tests/journeys/conftest.py)
    drives Chromium: `-m "not browser"` leaves them all out, as CI's PostgreSQL pass does.
    """
    no_postgres = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL (CI does)")
    for item in items:
        if {"live_server", "browser"} & set(item.fixturenames):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("postgres") and not ON_POSTGRES:
            item.add_marker(no_postgres)
