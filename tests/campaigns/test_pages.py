"""The page read model: cached a moment, shared through Redis, never showing a count go down."""

import os
import secrets

import pytest
from sqlalchemy import event

from app import create_app
from app.campaigns.pages import recent_public_signers
from app.extensions import db
from app.signatures.models import CONFIRMED
from tests.campaign_page import shown_count
from tests.factories import make_campaign, make_signature
from tests.helpers import ON_POSTGRES, app_config

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not TEST_REDIS_URL, reason="needs Redis: set TEST_REDIS_URL")


@pytest.fixture
def config_overrides():
    return {"PAGE_CACHE_SECONDS": 60}


@pytest.fixture
def another_process(tmp_path):
    """Make more apps on the same database, as more gunicorn workers would be."""
    made = []

    def make(**overrides):
        made.append(create_app(app_config(tmp_path, PAGE_CACHE_SECONDS=60, **overrides)))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()  # close its connections before the database is reset


def move_cookies(source, target):
    """The same browser, answered by another process."""
    name = source.application.config["SESSION_COOKIE_NAME"]
    target.set_cookie(name, source.get_cookie(name).value)


def test_a_reload_answered_by_a_process_with_an_older_copy_never_shows_a_lower_count(
    app, another_process
):
    campaign = make_campaign(slug="c")
    first_worker = app.test_client()
    assert shown_count(first_worker, "c") == 0  # this process now holds a copy with 0
    make_signature(campaign, state=CONFIRMED)

    second_worker = another_process().test_client()
    move_cookies(first_worker, second_worker)
    assert shown_count(second_worker, "c") == 1  # a fresh copy in the other process

    move_cookies(second_worker, first_worker)
    assert shown_count(first_worker, "c") == 1  # the older copy is rebuilt for this visitor
    assert shown_count(app.test_client(), "c") == 1  # and replaced for everyone


@needs_redis
def test_with_redis_every_process_serves_the_same_copy(app, another_process):
    prefix = f"rally-test:{secrets.token_hex(4)}:"
    shared = {"REDIS_URL": TEST_REDIS_URL, "PAGE_CACHE_PREFIX": prefix}
    first, second = another_process(**shared), another_process(**shared)
    campaign = make_campaign(slug="c")
    try:
        assert shown_count(first.test_client(), "c") == 0
        make_signature(campaign, state=CONFIRMED)
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        # A new visitor on the other process gets the shared copy, without a query.
        assert shown_count(second.test_client(), "c") == 0
        assert statements == []
    finally:
        with first.app_context():
            first.extensions["rally.page_cache"].clear()


@needs_redis
def test_an_unreachable_redis_serves_pages_from_the_database(app, another_process):
    broken = another_process(REDIS_URL="redis://127.0.0.1:1/0")
    make_campaign(slug="c")
    assert shown_count(broken.test_client(), "c") == 0


def test_recent_public_signers_read_only_the_public_rows_index(app):
    campaign = make_campaign(slug="c")
    for number in range(3):
        make_signature(campaign, state=CONFIRMED, public=number != 1, name=f"Signer {number}")
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert [name for name, _ in recent_public_signers(campaign.id, 10)] == [
            "Signer 2",
            "Signer 0",
        ]
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        db.session.commit()
    statement, parameters = captured[-1]
    with db.engine.connect() as connection:
        if ON_POSTGRES:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        else:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert "ix_signatures_public_recent" in " ".join(str(row) for row in plan)


def test_the_campaign_list_never_shows_a_lower_count_than_the_campaign_page_did(
    app, another_process
):
    campaign = make_campaign(slug="c")
    first_worker = app.test_client()
    assert "0 signatures" in first_worker.get("/").get_data(as_text=True)  # a copy with 0
    make_signature(campaign, state=CONFIRMED)
    second_worker = another_process().test_client()
    move_cookies(first_worker, second_worker)
    assert shown_count(second_worker, "c") == 1
    move_cookies(second_worker, first_worker)
    assert "1 signature" in first_worker.get("/").get_data(as_text=True)
