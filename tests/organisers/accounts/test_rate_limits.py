"""Throttled logins (case 32): failures per IP and per account, windows that pass."""

import time

import pytest

from tests.factories import (
    ORGANISER_PASSWORD,
    csrf_token,
    log_in_with_form,
    make_organiser_with_password,
)

LIMITED = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_LOGIN_IP": "20 per minute",
    "RATELIMIT_LOGIN_ACCOUNT": "20 per minute",
}


def from_ip(client, ip):
    client.environ_base["REMOTE_ADDR"] = ip
    return client


@pytest.mark.parametrize("config_overrides", [LIMITED])
def test_twenty_wrong_passwords_lock_that_account_from_anywhere(client, app):
    make_organiser_with_password(email="ada@example.org")
    # However the address is written, it names the same account.
    spellings = ["ada@example.org", "ADA@Example.ORG", " ada@EXAMPLE.org "]
    codes = [
        log_in_with_form(from_ip(client, f"10.0.0.{i}"), spellings[i % 3], "wrong!").status_code
        for i in range(20)
    ]
    assert codes == [400] * 20
    # From yet another address, even the right password now waits for the window...
    response = log_in_with_form(from_ip(client, "10.0.1.1"), "ada@example.org")
    assert response.status_code == 429 and "Retry-After" in response.headers
    html = response.get_data(as_text=True)
    # ...on the login form again, keeping the address typed but never the password.
    assert "Too many attempts" in html and 'value="ada@example.org"' in html
    assert ORGANISER_PASSWORD not in html
    # Other accounts are not affected.
    make_organiser_with_password(email="bob@example.org")
    assert log_in_with_form(client, "bob@example.org").status_code == 303


@pytest.mark.parametrize("config_overrides", [LIMITED])
def test_twenty_failures_from_one_ip_block_that_ip_for_every_account(client):
    make_organiser_with_password(email="ada@example.org")
    from_ip(client, "10.9.9.9")
    codes = [
        log_in_with_form(client, f"guess{i}@example.org", "wrong!").status_code for i in range(20)
    ]
    assert codes == [400] * 20
    assert log_in_with_form(client, "ada@example.org").status_code == 429
    assert log_in_with_form(from_ip(client, "10.9.9.10"), "ada@example.org").status_code == 303


@pytest.mark.parametrize(
    "config_overrides", [{**LIMITED, "RATELIMIT_LOGIN_ACCOUNT": "3 per 2 seconds"}]
)
def test_the_owner_gets_in_once_the_window_has_passed(client):
    make_organiser_with_password(email="ada@example.org")
    assert [log_in_with_form(client, "ada@example.org", "nope!").status_code for _ in range(3)] == [
        400
    ] * 3
    assert log_in_with_form(client, "ada@example.org").status_code == 429
    time.sleep(2.1)
    assert log_in_with_form(client, "ada@example.org").status_code == 303


@pytest.mark.parametrize(
    "config_overrides", [{**LIMITED, "RATELIMIT_LOGIN_ACCOUNT": "3 per minute"}]
)
def test_successful_logins_do_not_count(client):
    make_organiser_with_password(email="ada@example.org")
    for _ in range(5):
        assert log_in_with_form(client, "ada@example.org").status_code == 303
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


@pytest.mark.parametrize(
    "config_overrides",
    [{**LIMITED, "RATELIMIT_RESET": "2 per minute", "RATELIMIT_SIGNUP": "2 per minute"}],
)
def test_reset_and_sign_up_are_limited_per_ip(client):
    for path, data in (
        ("/reset", {"email": "ada@example.org"}),
        (
            "/signup",
            {
                "email": "new@example.org",
                "new_password": "a long and unusual passphrase",
                "confirm_password": "a long and unusual passphrase",
            },
        ),
    ):
        codes = [
            client.post(path, data={"csrf_token": csrf_token(client, path), **data}).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429], path


@pytest.mark.parametrize(
    "config_overrides", [{**LIMITED, "RATELIMIT_LOGIN_ACCOUNT": "3 per minute"}]
)
def test_guessing_second_step_codes_is_throttled_per_account(client):
    import pyotp

    from tests.factories import make_organiser_with_two_factor

    organiser = make_organiser_with_two_factor(email="ada@example.org")
    log_in_with_form(client, "ada@example.org")

    def second_step(code):
        token = csrf_token(client, "/login/two-step")
        return client.post("/login/two-step", data={"csrf_token": token, "code": code})

    assert [second_step("000000").status_code for _ in range(3)] == [400] * 3
    assert second_step(pyotp.TOTP(organiser.totp_secret).now()).status_code == 429


@pytest.mark.parametrize("config_overrides", [{**LIMITED, "RATELIMIT_SIGNUP": "1 per minute"}])
def test_a_refused_sign_up_keeps_the_address_but_not_the_password(client):
    data = {
        "email": "new@example.org",
        "new_password": "a long and unusual passphrase",
        "confirm_password": "a long and unusual passphrase",
    }
    client.post("/signup", data={"csrf_token": csrf_token(client, "/signup"), **data})
    response = client.post("/signup", data={"csrf_token": csrf_token(client, "/signup"), **data})
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "Too many attempts" in html
    assert 'value="new@example.org"' in html and "unusual passphrase" not in html


@pytest.mark.parametrize(
    "config_overrides", [{**LIMITED, "RATELIMIT_LOGIN_ACCOUNT": "3 per minute"}]
)
def test_guessing_the_current_password_on_the_account_page_is_throttled(client):
    from tests.factories import form_as_shown

    make_organiser_with_password(email="ada@example.org")
    assert log_in_with_form(client, "ada@example.org").status_code == 303

    def change(current):
        data = form_as_shown(client.get("/account").get_data(as_text=True))
        new = "a brand new passphrase"
        data.update(current_password=current, new_password=new, confirm_password=new)
        return client.post("/account", data=data).status_code

    assert [change("guess!") for _ in range(3)] == [400] * 3
    assert change(ORGANISER_PASSWORD) == 429
