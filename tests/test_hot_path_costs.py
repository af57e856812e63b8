"""What each hot path costs the database, counted: statements run, and rows their plans read.

The pages and posts that carry a campaign's traffic (the campaign page, signing,
confirming, the widget) and the organisers' views of a large campaign (its figures, its
signature list, the review desk) each have a budget of SQL statements. A change that
adds a query to one of them fails here, not months later in a benchmark: raise the
budget only with a reason, and add any new view or query on a hot path to PATHS.

On PostgreSQL the same requests run against a campaign of 100,000 confirmed signatures,
and every statement is explained (EXPLAIN ANALYZE, inside a transaction rolled back):
none may read more than a few thousand rows of `signatures`. That is what keeps a view
from scanning the campaign as it grows, which statement counts alone cannot see.
"""

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import event, select, text

from app.core.cache import page_cache
from app.core.database import utcnow
from app.extensions import db
from app.signatures.models import Signature
from app.signatures.services import recount_campaign
from app.signatures.signing import confirmation_token
from bench.seed import seed_confirmed_signatures
from tests.factories import (
    confirm_with_click,
    csrf_token,
    form_as_shown,
    log_in_as,
    make_ally,
    make_campaign_team,
    sign_form,
    submit_signature,
)
from tests.helpers import postgres_only

SEEDED = 100_000
# The most rows of `signatures` one statement of a hot path may read on a campaign of
# SEEDED signatures: a page of the list, or the review desk's latest signatures
# (REVIEW_SAMPLE), never the campaign.
MOST_SIGNATURE_ROWS_READ = 5_000


@dataclass
class Statement:
    """One statement as the driver ran it, with its parameters."""

    sql: str
    parameters: object


@contextmanager
def recorded_statements():
    """Collect every statement the app's engine runs meanwhile (BEGIN and COMMIT aside)."""
    statements: list[Statement] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(Statement(statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def counted(statements: list[Statement]) -> list[str]:
    """The statements that do work: SQLite's BEGIN [IMMEDIATE|DEFERRED] left out."""
    return [s.sql for s in statements if not re.match(r"\s*BEGIN\b", s.sql)]


@pytest.fixture
def config_overrides():
    # As in production: page data and rendered pages are kept a moment. Each path below
    # is measured with that cache warm (what nearly every visitor meets), and the page
    # data's own rebuild is measured as a path of its own.
    return {"PAGE_CACHE_SECONDS": 600}


# Each hot path: how to prepare it (outside the count) and the request counted.


def campaign_page(client, team):
    client.get("/c/c")
    return lambda: client.get("/c/c")


def campaign_page_rebuilt(client, team):
    client.get("/c/c")
    page_cache().clear()
    return lambda: client.get("/c/c")


def widget(client, team):
    client.get("/embed/c?referrer=riverside")
    return lambda: client.get("/embed/c?referrer=riverside")


def sign_post(client, team):
    token = csrf_token(client, "/c/c")
    data = {"csrf_token": token, **sign_form(email="new-signer@example.org")}
    return lambda: client.post("/c/c/sign", data=data)


def confirm_post(client, team):
    # A first confirmation does what a process does once: writes the locality's spelling,
    # reads the connection limit (campaigns/goals.py). Then the one counted.
    for email in ("first@example.org", "confirming@example.org"):
        submit_signature(client, "c", email=email)
    first = db.session.execute(select(Signature).where(Signature.email == "first@example.org"))
    confirm_with_click(client, f"/confirm/{confirmation_token(first.scalar_one())}")
    signature = db.session.execute(
        select(Signature).where(Signature.email == "confirming@example.org")
    ).scalar_one()
    path = f"/confirm/{confirmation_token(signature)}"
    data = form_as_shown(client.get(path).get_data(as_text=True))
    return lambda: client.post(path, data=data)


def dashboard_figures(client, team):
    log_in_as(client, team["viewer"])
    return lambda: client.get(f"/dashboard/campaigns/{team['campaign'].id}")


def signature_list(client, team):
    log_in_as(client, team["owner"])
    return lambda: client.get(f"/dashboard/campaigns/{team['campaign'].id}/signatures")


def review_desk(client, team):
    log_in_as(client, team["owner"])
    return lambda: client.get(f"/dashboard/campaigns/{team['campaign'].id}/review")


# (name, how to make the request, expected status, most statements it may run)
PATHS = [
    ("campaign page", campaign_page, 200, 0),
    ("campaign page, its data rebuilt", campaign_page_rebuilt, 200, 4),
    ("widget", widget, 200, 0),
    ("sign POST", sign_post, 303, 4),
    ("confirm POST", confirm_post, 200, 6),
    ("dashboard figures", dashboard_figures, 200, 14),
    ("signature list", signature_list, 200, 8),
    ("review desk", review_desk, 200, 14),
]


@pytest.fixture
def team(app):
    # A goal far off: near it, a confirmation on PostgreSQL checks it again after committing.
    team = make_campaign_team(goal=10_000_000)
    make_ally(team["campaign"], code="riverside", contact_question="May we email you?")
    return team


@pytest.mark.parametrize(
    ("request_for", "status", "budget"),
    [pytest.param(path, status, budget, id=name) for name, path, status, budget in PATHS],
)
def test_each_hot_path_runs_within_its_statement_budget(client, team, request_for, status, budget):
    make_request = request_for(client, team)
    with recorded_statements() as statements:
        response = make_request()
    assert response.status_code == status
    ran = counted(statements)
    assert len(ran) <= budget, f"{len(ran)} statements (budget {budget}):\n" + "\n".join(ran)


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def signature_rows_read(statement: Statement) -> int:
    """Rows of `signatures` the statement's plan read (EXPLAIN ANALYZE, rolled back)."""
    with db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            result = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement.sql, statement.parameters
            ).scalar()
        finally:
            transaction.rollback()
    plan = (json.loads(result) if isinstance(result, str) else result)[0]["Plan"]
    return sum(
        # Rows the scan looked at: those it returned and those its filter threw away.
        (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0))
        * node.get("Actual Loops", 1)
        for node in plan_nodes(plan)
        if node.get("Relation Name") == "signatures"
    )


@pytest.fixture
def large_team(app, team):
    """The team's campaign with SEEDED confirmed signatures, counted and analysed."""
    seed_confirmed_signatures(db.session, team["campaign"].id, SEEDED, 0.1, utcnow())
    db.session.commit()
    recount_campaign(team["campaign"])
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return team


@postgres_only
@pytest.mark.postgres
def test_no_hot_path_reads_much_of_a_large_campaign(app, client, large_team):
    # One campaign seeded once for every path: seeding is most of this test's time.
    too_many = []
    for name, request_for, status, _ in PATHS:
        make_request = request_for(app.test_client(), large_team)
        page_cache().clear()  # every statement behind the page data is explained too
        with recorded_statements() as statements:
            response = make_request()
        assert response.status_code == status, name
        too_many += [
            (name, rows, s.sql)
            for s in statements
            if "signatures" in s.sql and not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK)\b", s.sql)
            for rows in [signature_rows_read(s)]
            if rows > MOST_SIGNATURE_ROWS_READ
        ]
    assert not too_many, "\n\n".join(
        f"{name}: {rows} rows of signatures read by:\n{sql}" for name, rows, sql in too_many
    )
