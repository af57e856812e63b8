"""Migrations: upgrade to head builds the models' schema, and downgrade works (SQLite)."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from app import create_app
from app.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[1] / "migrations")


def test_upgrade_matches_models_and_downgrade_empties(tmp_path):
    url = f"sqlite:///{tmp_path}/migrated.sqlite3"
    app = create_app({"SECRET_KEY": "m" * 40, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(directory=MIGRATIONS, revision="base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def insert_campaign_row(connection) -> None:
    """One campaign row, as the schema of the fraud-review migrations has it."""
    from sqlalchemy import text

    connection.execute(
        text(
            "INSERT INTO campaigns (slug, status, goal, default_language, required_fields,"
            " target_email, edited_in_browser, delivered_to, delivery_note,"
            " allowed_email_domains, created_at, updated_at) VALUES ('c', 'open', 10,"
            " 'en', '[]', '', 0, '', '', '', '2026-01-01', '2026-01-01')"
        )
    )


def test_stored_ip_addresses_become_keyed_hashes(tmp_path):
    from sqlalchemy import text

    from app.signatures.fraud.signals import review_signals

    url = f"sqlite:///{tmp_path}/migrated.sqlite3"
    app = create_app({"SECRET_KEY": "m" * 40, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="c5757382e78b")
        with db.engine.begin() as connection:
            insert_campaign_row(connection)
            connection.execute(
                text(
                    "INSERT INTO signatures (campaign_id, state, name, email, email_normalised,"
                    " postcode, country, public, contact_consent, language, ip_address,"
                    " emails_sent, created_at) VALUES (1, 'pending', 'A', 'a@example.org',"
                    " 'a@example.org', '', '', 0, 0, 'en', '203.0.113.9', 1, '2026-01-01')"
                )
            )
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            row = connection.execute(text("SELECT ip_hash, network_hash FROM signatures")).one()
            columns = {c["name"] for c in inspect(connection).get_columns("signatures")}
    expected = review_signals("203.0.113.9", "", "m" * 40)
    assert tuple(row) == (expected["ip_hash"], expected["network_hash"])
    assert "ip_address" not in columns


def test_ip_addresses_in_audit_events_become_keyed_hashes(tmp_path):
    import json

    from sqlalchemy import text

    from app.signatures.fraud.signals import ip_hash

    url = f"sqlite:///{tmp_path}/migrated.sqlite3"
    app = create_app({"SECRET_KEY": "m" * 40, "SQLALCHEMY_DATABASE_URI": url})
    details = [
        ("organiser.login_failed", {"reason": "unknown_account", "ip": "203.0.113.9"}),
        ("organiser.reauthentication_failed", {"ip": "::ffff:203.0.113.9"}),
        ("organiser.two_step_failed", {"ip": None}),
        ("organiser.login", {}),
    ]
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="d0b87935dab4")
        with db.engine.begin() as connection:
            for action, detail in details:
                connection.execute(
                    text(
                        "INSERT INTO audit_events (created_at, action, subject_type, detail)"
                        " VALUES ('2026-01-01', :action, 'organiser', :detail)"
                    ),
                    {"action": action, "detail": json.dumps(detail)},
                )
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT detail FROM audit_events ORDER BY id")).all()
    hashed = ip_hash("203.0.113.9", "m" * 40)
    assert [json.loads(detail) for (detail,) in rows] == [
        {"reason": "unknown_account", "ip_hash": hashed},
        {"ip_hash": hashed},  # an IPv4 address written as IPv6 is the same address
        {"ip_hash": None},
        {},
    ]


def test_public_signers_index_follows_the_name_review_and_downgrades(tmp_path):
    from sqlalchemy import text

    from app.campaigns.pages import SHOWN_ON_PAGE

    url = f"sqlite:///{tmp_path}/migrated.sqlite3"
    app = create_app({"SECRET_KEY": "m" * 40, "SQLALCHEMY_DATABASE_URI": url})
    index_sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_signatures_public_recent'"
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="fb70bbfa45f0")
        with db.engine.begin() as connection:
            insert_campaign_row(connection)
            connection.execute(
                text(
                    "INSERT INTO signatures (campaign_id, state, name, email, email_normalised,"
                    " postcode, country, public, contact_consent, language, emails_sent,"
                    " created_at) VALUES (1, 'confirmed', 'A', 'a@example.org',"
                    " 'a@example.org', '', '', 1, 0, 'en', 1, '2026-01-01')"
                )
            )
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as connection:
            # SQLite uses a partial index only when the query repeats its condition exactly.
            assert connection.execute(text(index_sql)).scalar().endswith(f"WHERE {SHOWN_ON_PAGE}")
            shown = connection.execute(
                text(f"SELECT name FROM signatures WHERE {SHOWN_ON_PAGE}")
            ).scalars()
            assert list(shown) == ["A"]  # existing names have nothing to review
        downgrade(directory=MIGRATIONS, revision="fb70bbfa45f0")
        with db.engine.connect() as connection:
            index = connection.execute(text(index_sql)).scalar()
            columns = {c["name"] for c in inspect(connection).get_columns("signatures")}
    assert index.endswith("WHERE state = 'confirmed' AND public = true")
    assert "name_moderation" not in columns
