"""Two-step login: authenticator codes once each, recovery codes once, set-up and turning off."""

import re
import time
from datetime import timedelta

import pyotp
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.extensions import db
from app.organisers.access import REQUIRE_TWO_FACTOR, site_setting
from app.organisers.models import Organiser, RecoveryCode, Role
from tests.factories import (
    ORGANISER_PASSWORD,
    csrf_token,
    form_as_shown,
    log_in_as,
    log_in_with_form,
    make_member,
    make_organisation,
    make_organiser_with_password,
    make_organiser_with_two_factor,
)


def second_step(client, code):
    return client.post(
        "/login/two-step", data={"csrf_token": csrf_token(client, "/login/two-step"), "code": code}
    )


def logged_in(client):
    return client.get("/account").status_code == 200


def log_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def test_login_asks_for_a_code_and_each_code_works_once(client):
    organiser = make_organiser_with_two_factor(email="ada@example.org")
    response = log_in_with_form(client, "ada@example.org", next_path="/account")
    assert response.status_code == 303 and response.headers["Location"] == "/login/two-step"
    assert not logged_in(client)
    page = client.get("/login/two-step").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    assert second_step(client, "000000").status_code == 400
    code = pyotp.TOTP(organiser.totp_secret).now()
    response = second_step(client, code)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert logged_in(client)

    # The same code, seen over someone's shoulder, does not work a second time.
    log_out(client)
    log_in_with_form(client, "ada@example.org")
    response = second_step(client, code)
    assert response.status_code == 400 and "used already" in response.get_data(as_text=True)
    assert not logged_in(client)
    # Nor does the previous step's code (still inside the accepted window).
    previous = pyotp.TOTP(organiser.totp_secret).at(time.time() - 30)
    assert second_step(client, previous).status_code == 400


def test_a_recovery_code_works_once(client):
    organiser = make_organiser_with_two_factor(email="ada@example.org")
    codes = enable_through_the_page(client, make_organiser_with_password(email="bob@example.org"))
    assert len(codes) == 10
    log_out(client)
    log_in_with_form(client, "bob@example.org")
    assert second_step(client, codes[0].upper().replace("-", " ")).status_code == 303
    assert logged_in(client)
    log_out(client)
    log_in_with_form(client, "bob@example.org")
    assert second_step(client, codes[0]).status_code == 400
    assert second_step(client, codes[1]).status_code == 303
    # Another account's codes are no use here, and its own codes are not stored in clear.
    stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
    assert not set(codes) & set(stored) and organiser.id


def test_the_second_step_must_follow_soon_after_the_password(client, app):
    make_organiser_with_two_factor(email="ada@example.org")
    log_in_with_form(client, "ada@example.org")
    app.config["TWO_STEP_MAX_AGE"] = timedelta(seconds=-1)
    response = client.get("/login/two-step")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "took too long" in client.get("/login").get_data(as_text=True)


def test_two_step_without_a_password_first_goes_to_login(client):
    assert client.get("/login/two-step").headers["Location"] == "/login"


def enable_through_the_page(client, organiser):
    """Log in, open the set-up page, type the app's code; returns the recovery codes shown."""
    log_in_with_form(client, organiser.email)
    page = client.get("/account/two-factor")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html and 'autocomplete="one-time-code"' in html
    db.session.expire_all()
    secret = db.session.get(Organiser, organiser.id).totp_secret
    shown = re.search(r'<code dir="ltr">([A-Z2-7 ]+)</code>', html).group(1)
    assert shown.replace(" ", "") == secret
    data = form_as_shown(html)
    wrong = client.post("/account/two-factor", data={**data, "code": "123456"})
    assert wrong.status_code == 400
    response = client.post("/account/two-factor", data={**data, "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Organiser, organiser.id).two_factor_enabled
    return re.findall(
        r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", response.get_data(as_text=True)
    )


def test_turning_two_step_login_on_then_off(client):
    organiser = make_organiser_with_password(email="ada@example.org")
    codes = enable_through_the_page(client, organiser)
    assert len(set(codes)) == 10
    # The codes are shown once: the page now offers only to turn it off.
    html = client.get("/account/two-factor").get_data(as_text=True)
    assert codes[0] not in html and "10 unused recovery codes" in html
    data = form_as_shown(html)
    wrong_password = client.post(
        "/account/two-factor", data={**data, "password": "wrong password", "code": codes[0]}
    )
    assert wrong_password.status_code == 400
    no_code = client.post(
        "/account/two-factor", data={**data, "password": ORGANISER_PASSWORD, "code": "000000"}
    )
    assert no_code.status_code == 400
    db.session.expire_all()
    assert db.session.get(Organiser, organiser.id).two_factor_enabled
    off = client.post(
        "/account/two-factor", data={**data, "password": ORGANISER_PASSWORD, "code": codes[1]}
    )
    assert off.status_code == 303
    db.session.expire_all()
    organiser = db.session.get(Organiser, organiser.id)
    assert not organiser.two_factor_enabled and organiser.totp_secret is None
    assert db.session.execute(select(RecoveryCode)).first() is None
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"organiser.two_factor_enabled", "organiser.two_factor_disabled"} <= actions


def test_admin_requires_two_step_login_and_editors_must_set_it_up(client):
    admin = make_organiser_with_password(email="admin@example.org", admin=True)
    log_in_as(client, admin)
    page = client.get("/admin/settings")
    assert page.status_code == 200
    data = form_as_shown(page.get_data(as_text=True))
    response = client.post("/admin/settings", data={**data, "require_two_factor": "y"})
    assert response.status_code == 303
    assert site_setting(REQUIRE_TWO_FACTOR) == "on"
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "site.setting_changed")
    ).scalar_one()
    assert event.actor_id == admin.id and event.detail == {"key": REQUIRE_TWO_FACTOR, "value": "on"}

    editor = make_member(make_organisation(), role=Role.EDITOR)
    editor.password_hash = admin.password_hash
    db.session.commit()
    other = client.application.test_client()
    log_in_with_form(other, editor.email)
    for path in ("/dashboard", "/account"):
        response = other.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
    assert "asks everyone who can see signatures" in other.get("/account/two-factor").get_data(
        as_text=True
    )
    enable_through_the_page(other, editor)
    assert other.get("/account").status_code == 200
    # Now required, it cannot be turned off.
    html = other.get("/account/two-factor").get_data(as_text=True)
    assert "cannot be turned off" in html and 'name="password"' not in html

    # A viewer sees no signatures and is not asked.
    viewer = make_member(make_organisation(), role=Role.VIEWER)
    viewer_client = client.application.test_client()
    log_in_as(viewer_client, viewer)
    assert viewer_client.get("/account").status_code == 200

    # The admin who switched it on is asked too, and can switch it off once set up.
    assert client.get("/admin/settings").headers["Location"] == "/account/two-factor"
    enable_through_the_page(client, admin)
    data = form_as_shown(client.get("/admin/settings").get_data(as_text=True))
    assert data.pop("require_two_factor") == "y"
    assert client.post("/admin/settings", data=data).status_code == 303
    assert site_setting(REQUIRE_TWO_FACTOR) == "off"
    values = db.session.execute(
        select(AuditEvent.detail).where(AuditEvent.action == "site.setting_changed")
    ).scalars()
    assert [v["value"] for v in values] == ["on", "off"]


def test_site_settings_are_for_admins_only(client):
    log_in_as(client, make_organiser_with_password())
    assert client.get("/admin/settings").status_code == 404


def test_new_recovery_codes_replace_the_old_ones_even_when_two_step_is_required(client):
    organiser = make_organiser_with_password(email="ada@example.org", admin=True)
    old = enable_through_the_page(client, organiser)
    admin_page = client.get("/admin/settings").get_data(as_text=True)
    client.post("/admin/settings", data={**form_as_shown(admin_page), "require_two_factor": "y"})
    assert site_setting(REQUIRE_TWO_FACTOR) == "on"

    def renew(password, code):
        token = csrf_token(client, "/account/two-factor")
        return client.post(
            "/account/two-factor/recovery-codes",
            data={"csrf_token": token, "renew-password": password, "renew-code": code},
        )

    refused = renew("wrong password", old[0])
    assert refused.status_code == 400 and 'id="renew-password"' in refused.get_data(as_text=True)
    renewed = renew(ORGANISER_PASSWORD, old[1]).get_data(as_text=True)
    new = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", renewed)
    assert len(set(new)) == 10 and not set(new) & set(old)
    db.session.expire_all()
    assert len(db.session.execute(select(RecoveryCode)).scalars().all()) == 10
    # An old code no longer counts as a second step; a new one does, once.
    assert renew(ORGANISER_PASSWORD, old[2]).status_code == 400
    assert renew(ORGANISER_PASSWORD, new[0]).status_code == 200
