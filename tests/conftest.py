"""Shared fixtures: app (SQLite, or PostgreSQL via TEST_DATABASE_URL), client, runner, smtp."""

import os
import re
import socket
import time
from dataclasses import dataclass, field

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from app import create_app
from app.config import build_config
from app.core.i18n import compile_catalogues
from app.extensions import db as _db


def _own_database_per_worker() -> None:
    """Give each pytest-xdist worker its own PostgreSQL database and Redis db number.

    Run before any test module reads TEST_DATABASE_URL or TEST_REDIS_URL: worker gw1 of
    postgresql://.../test gets .../test_gw1 (created when missing), and redis://.../0 gets
    /2. Tests empty their tables and keys freely, so two workers must never share them.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    database_url = os.environ.get("TEST_DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql")):
        base, _, name = database_url.rpartition("/")
        own = f"{name}_{worker}"
        for attempt in range(20):
            try:
                with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as pg:
                    exists = pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,))
                    if exists.fetchone() is None:
                        pg.execute(f'CREATE DATABASE "{own}"')
                break
            except psycopg.errors.ObjectInUse:  # the other worker is copying template1 too
                time.sleep(0.2 * (attempt + 1))
        os.environ["TEST_DATABASE_URL"] = f"{base}/{own}"
    if os.environ.get("TEST_REDIS_URL"):
        os.environ["TEST_REDIS_URL"] = workers_redis_url(os.environ["TEST_REDIS_URL"])


def workers_redis_url(url: str) -> str:
    """`url` with this pytest-xdist worker's own db number (gw0 takes /1 for /0), if a worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) + 1 + int(worker[2:])) % 16}"


_own_database_per_worker()
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith(("postgres://", "postgresql"))
SECRET = "test-secret-key-" + "x" * 32
BASE_URL = "http://rally.test"


def pytest_sessionstart(session):
    # Catalogues are compiled at build and test time, never by the app at start-up; by
    # pytest-xdist's controller only, before its workers start, so none reads a half-written one.
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        compile_catalogues()


def pytest_report_header(config):
    if ON_POSTGRES:
        return "database: PostgreSQL (TEST_DATABASE_URL)"
    return "database: SQLite (set TEST_DATABASE_URL=postgresql://... to run on PostgreSQL too)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


# Cheap argon2 costs: the real ones take a tenth of a second a hash, and the browser
# journeys log in hundreds of times. The login timing test asks for REAL_HASHING.
FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024}
REAL_HASHING = {name: build_config("")[name] for name in FAST_HASHING}


def app_config(tmp_path, **overrides) -> dict:
    """Configuration for a test app: real CSRF, no rate limits, no page cache, no inline mail."""
    config = {
        **FAST_HASHING,
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{tmp_path}/rally-test.sqlite3",
        "BASE_URL": BASE_URL,
        "RATELIMIT_ENABLED": False,
        # Tests sign from one address within milliseconds of rendering: the fraud rules
        # would hold nearly everything. Their own tests turn them on.
        "FRAUD_RULES_ENABLED": False,
        "PAGE_CACHE_SECONDS": 0,
        "OUTBOX_SEND_AFTER_REQUEST": False,
        "SMTP_HOST": "",
        "MAIL_FROM": "Rally <no-reply@rally.test>",
        # The job queue and export files of a test live in its own folder, not the checkout.
        "JOBS_SQLITE_PATH": f"{tmp_path}/jobs.sqlite3",
        "EXPORTS_PATH": f"{tmp_path}/exports",
        "SHARE_IMAGES_PATH": f"{tmp_path}/share-images",
    }
    config.update(overrides)
    return config


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


# `-m postgres` selects these; without TEST_DATABASE_URL they are skipped, with the reason.
postgres_only = pytest.mark.postgres


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
