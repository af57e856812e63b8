"""Configuration from the environment: database URLs, secret keys, production safety."""

import pytest

from app import create_app
from app.config import load_secret_key, normalise_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgresql://user@db.example:5432/rally",
            "postgresql+psycopg://user@db.example:5432/rally",
        ),
        ("postgres://user:pw@host/db", "postgresql+psycopg://user:pw@host/db"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////srv/rally.sqlite3", "sqlite:////srv/rally.sqlite3"),
    ],
)
def test_plain_postgres_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_database_url_from_environment_reaches_the_engine(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone@127.0.0.1:5432/whatever")
    app = create_app({"SECRET_KEY": "k" * 40})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://someone@")


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("RALLY_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        load_secret_key(str(tmp_path), production=True)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="at least 32"):
        load_secret_key(str(tmp_path), production=True)


def test_development_generates_a_key_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_secret_key(str(tmp_path), production=False)
    assert len(first) >= 64 and load_secret_key(str(tmp_path), production=False) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_defaults_to_secure_cookies_and_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("RALLY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite3")
    monkeypatch.setenv("RATELIMIT_ACCEPT_PER_PROCESS", "1")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.test_client().get("/static/css/site.css") as response:  # closes the file
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
