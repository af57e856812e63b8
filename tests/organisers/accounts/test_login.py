"""Login and logout: one message for every failure, safe `next`, new session ids, real logout."""

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from app import create_app
from app.core.audit import AuditEvent
from app.extensions import db
from app.organisers.accounts.passwords import hash_password, verify_password
from app.organisers.models import Organiser, OrganiserSession
from tests.factories import (
    ORGANISER_PASSWORD,
    csrf_token,
    log_in_as,
    log_in_with_form,
    make_organiser_with_password,
)
from tests.helpers import REAL_HASHING, app_config

FAILURE = "The email address or password is not right."


def session_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_right_password_logs_in_and_wrong_or_unknown_get_the_same_message(client):
    organiser = make_organiser_with_password(email="ada@example.org", confirmed=False)
    wrong = log_in_with_form(client, "ada@example.org", "not the password at all")
    unknown = log_in_with_form(client, "nobody@example.org", ORGANISER_PASSWORD)
    for response in (wrong, unknown):
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and FAILURE in html
        assert ORGANISER_PASSWORD not in html and "not the password at all" not in html
    assert client.get("/account").status_code == 302
    # Unconfirmed accounts can log in (they cannot publish until confirmed).
    right = log_in_with_form(client, "ADA@example.org ")
    assert right.status_code == 303 and right.headers["Location"] == "/dashboard"
    assert client.get("/account").status_code == 200
    failures = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "organiser.login_failed")
    ).scalars()
    details = [(e.subject_id, e.detail["reason"]) for e in failures]
    assert details == [(organiser.id, "wrong_password"), (None, "unknown_account")]
    assert all(ORGANISER_PASSWORD not in str(e.detail) for e in db.session.query(AuditEvent))
    assert db.session.query(AuditEvent).filter_by(action="organiser.login").count() == 1


@pytest.mark.parametrize(
    ("next_path", "destination"),
    [
        ("/account", "/account"),
        ("/account?tab=1", "/account?tab=1"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("\\\\evil.example", "/dashboard"),
        ("/%5Cevil", "/%5Cevil"),  # a path on this site (encoded), not another host
        ("javascript:alert(1)", "/dashboard"),
        ("http:evil.example", "/dashboard"),
        ("evil.example", "/dashboard"),
        ("/a\tb", "/dashboard"),
    ],
)
def test_next_goes_only_to_paths_on_this_site(client, next_path, destination):
    """Case 36: no open redirect after login."""
    make_organiser_with_password(email="ada@example.org")
    from urllib.parse import quote

    response = log_in_with_form(client, "ada@example.org", next_path=quote(next_path, safe=""))
    assert response.status_code == 303
    assert response.headers["Location"] == destination


def test_a_posted_next_is_checked_too(client):
    make_organiser_with_password(email="ada@example.org")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "ada@example.org",
            "password": ORGANISER_PASSWORD,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["Location"] == "/dashboard"


def test_the_login_page_sends_a_logged_in_organiser_on(client):
    log_in_as(client, make_organiser_with_password())
    response = client.get("/login?next=//evil.example")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


def test_logging_in_makes_a_new_session_id(client):
    make_organiser_with_password(email="ada@example.org")
    client.get("/login")
    # Whatever a visitor (or someone who planted the cookie) had before logging in...
    with client.session_transaction() as session:
        session["_user_id"] = "planted-session-id"
    before_cookie = client.get_cookie("rally").value
    log_in_with_form(client, "ada@example.org")
    after = session_user_id(client)
    assert after and after != "planted-session-id"
    assert db.session.get(OrganiserSession, after) is not None
    # ...the cookie from before the login is not a logged-in one.
    other = client.application.test_client()
    other.set_cookie("rally", before_cookie)
    assert other.get("/account").status_code == 302


def test_logout_ends_the_session_even_for_a_copied_cookie(client):
    """Case 35: replaying the cookie after logout leads to the login page."""
    make_organiser_with_password(email="ada@example.org")
    log_in_with_form(client, "ada@example.org")
    copied = client.get_cookie("rally").value
    token = csrf_token(client, "/account")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert db.session.execute(select(OrganiserSession)).first() is None
    replay = client.application.test_client()
    replay.set_cookie("rally", copied)
    response = replay.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_logout_and_password_change_refuse_a_post_without_csrf_token(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    log_in_with_form(client, "ada@example.org")
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200
    response = client.post(
        "/account",
        data={
            "current_password": ORGANISER_PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert verify_password(
        db.session.get(Organiser, organiser.id).password_hash, ORGANISER_PASSWORD
    )
    assert client.get("/account").status_code == 200


def test_logout_needs_post(client):
    log_in_as(client, make_organiser_with_password())
    assert client.get("/logout").status_code == 405


def test_a_hash_with_old_costs_is_upgraded_at_login(client, app):
    old = PasswordHasher(time_cost=1, memory_cost=512, parallelism=2).hash(ORGANISER_PASSWORD)
    organiser = make_organiser_with_password(email="ada@example.org")
    organiser.password_hash = old
    db.session.commit()
    assert log_in_with_form(client, "ada@example.org").status_code == 303
    db.session.expire_all()
    upgraded = db.session.get(Organiser, organiser.id).password_hash
    assert upgraded != old and "m=1024,t=1,p=1" in upgraded


@pytest.mark.parametrize("config_overrides", [REAL_HASHING])
def test_an_unknown_address_takes_as_long_as_a_wrong_password(client, monkeypatch):
    """No user enumeration by timing: both paths run one argon2 check with the same costs.

    Counted, not timed: every real verification is recorded with the costs its hash
    carries (argon2's cost is those parameters), whatever else the machine is doing.
    """
    make_organiser_with_password(email="ada@example.org")
    verified = []
    real_verify = PasswordHasher.verify

    def recording_verify(self, stored_hash, password):
        verified.append(extract_parameters(stored_hash))
        return real_verify(self, stored_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", recording_verify)
    costs = {}
    for email in ("ada@example.org", "who@example.org"):
        verified.clear()
        assert log_in_with_form(client, email, "wrong password!").status_code == 400
        assert len(verified) == 1, f"{email}: {len(verified)} argon2 checks"
        costs[email] = verified[0]
    assert costs["ada@example.org"] == costs["who@example.org"]
    assert costs["who@example.org"] == extract_parameters(hash_password("the configured costs"))


def test_production_cookie_is_host_prefixed_secure_httponly_lax(tmp_path, monkeypatch):
    """Case 30 (part): the session cookie of a production deployment."""
    monkeypatch.setenv("RALLY_ENV", "production")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app(
        app_config(
            tmp_path,
            # Its own SQLite file: this app is made outside the fixtures that clean up.
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/production.sqlite3",
            ARGON2_TIME_COST=1,
            ARGON2_MEMORY_COST=1024,
        )
    )
    with app.app_context():
        db.create_all()
        make_organiser_with_password(email="ada@example.org")
        client = app.test_client()
        https = "https://rally.test"
        page = client.get("/login", base_url=https).get_data(as_text=True)
        import re

        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login",
            data={"csrf_token": token, "email": "ada@example.org", "password": ORGANISER_PASSWORD},
            base_url=https,
            headers={"Referer": https + "/login"},
        )
        assert response.status_code == 303
        cookies = response.headers.getlist("Set-Cookie")
        assert len(cookies) == 1
        parts = [p.strip() for p in cookies[0].split(";")]
        assert parts[0].startswith("__Host-rally=")
        flags = {p.split("=")[0].lower(): p for p in parts[1:]}
        assert "secure" in flags and "httponly" in flags
        assert flags["samesite"] == "SameSite=Lax" and flags["path"] == "Path=/"
        assert "domain" not in flags
        db.session.remove()
        db.engine.dispose()


def test_failed_logins_keep_the_signatures_keyed_hash_of_the_ip_never_the_ip(client):
    """The audit log keeps what signatures keep of an address: its keyed hash."""
    from app.signatures.fraud.signals import ip_hash
    from app.signatures.models import Signature
    from tests.factories import make_campaign, make_organiser_with_two_factor, submit_signature
    from tests.helpers import SECRET

    address = "203.0.113.9"
    client.environ_base["REMOTE_ADDR"] = address
    make_organiser_with_password(email="ada@example.org")
    log_in_with_form(client, "ada@example.org", "not the password at all")
    log_in_with_form(client, "nobody@example.org")
    make_organiser_with_two_factor(email="bo@example.org")
    log_in_with_form(client, "bo@example.org")
    token = csrf_token(client, "/login/two-step")
    client.post("/login/two-step", data={"csrf_token": token, "code": "000000"})
    organiser = make_organiser_with_password(email="cy@example.org")
    log_in_as(client, organiser)
    token = csrf_token(client, "/reauthenticate")
    client.post("/reauthenticate", data={"csrf_token": token, "password": "wrong password"})

    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action.like("%failed"))
    ).scalars()
    details = {(e.action, e.detail.get("reason")): e.detail for e in events}
    assert set(details) == {
        ("organiser.login_failed", "wrong_password"),
        ("organiser.login_failed", "unknown_account"),
        ("organiser.two_step_failed", None),
        ("organiser.reauthentication_failed", None),
    }
    expected = ip_hash(address, SECRET)
    assert expected and address not in expected
    for detail in details.values():
        assert detail["ip_hash"] == expected and "ip" not in detail
        assert address not in str(detail)
    # The very hash a signature from that address keeps: a review can match the two.
    make_campaign(slug="c")
    submit_signature(client, "c")
    assert db.session.execute(select(Signature.ip_hash)).scalar_one() == expected
