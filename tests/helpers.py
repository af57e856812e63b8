"""What tests share besides fixtures: settings, the test app's configuration, free ports.

Fixtures live in conftest.py; test modules import these from here, never from conftest.
Importing this module first gives each pytest-xdist worker its own databases.
"""

import os
import re
import socket
import time

import psycopg
import pytest

from app.config import build_config
from app.core.outbox import send_due_emails


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


# `-m postgres` selects these; without TEST_DATABASE_URL they are skipped, with the reason.
postgres_only = pytest.mark.postgres


# Emails ----------------------------------------------------------------------------------


def deliver():
    """Send what the outbox holds to the test's SMTP sink."""
    return send_due_emails()


def texts_of(message) -> tuple[str, str, str]:
    """Subject, plain-text body and HTML body of an email the SMTP sink received."""
    html = message.get_body(preferencelist=("html",))
    return message["Subject"], body_of(message), html.get_content() if html else ""


def body_of(message) -> str:
    """The plain-text body of an email the SMTP sink received."""
    return message.get_body(preferencelist=("plain",)).get_content()


def emailed_link(smtp, address: str, path_prefix: str) -> str:
    """The full URL starting with BASE_URL + `path_prefix` in the latest email to `address`."""
    deliver()
    messages = smtp.messages_to(address)
    assert messages, f"no email to {address}"
    match = re.search(
        r"(https?://[^/\s]+)(" + re.escape(path_prefix) + r"\S*)", body_of(messages[-1])
    )
    assert match, body_of(messages[-1])
    return match.group(0)


def path_of(url: str) -> str:
    """`url` without its scheme and host."""
    return re.sub(r"^https?://[^/]+", "", url)
