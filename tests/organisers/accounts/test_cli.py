"""`flask organisers create` prints a link that sets the first password; `list` shows accounts."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.organisers.accounts.lookup import can_publish, find_organiser
from tests.factories import form_as_shown, log_in_with_form, make_organiser
from tests.helpers import BASE_URL, path_of

PASSWORD = "the first password of mine"


def test_create_prints_a_link_that_sets_the_password(runner, client):
    result = runner.invoke(args=["organisers", "create", "Admin@Example.org", "--admin"])
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith(BASE_URL + "/reset/")
    organiser = find_organiser("admin@example.org")
    assert organiser.is_admin and organiser.password_hash is None and can_publish(organiser)

    # Without a password, nobody can log in yet.
    assert log_in_with_form(client, "admin@example.org", "").status_code == 400
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Choose your password" in page.get_data(as_text=True)
    data = form_as_shown(page.get_data(as_text=True))
    data.update(new_password=PASSWORD, confirm_password=PASSWORD)
    assert client.post(path_of(link), data=data).status_code == 200
    assert log_in_with_form(client, "admin@example.org", PASSWORD).status_code == 303
    assert client.get("/admin/settings").status_code == 200
    # The link worked once.
    assert client.get(path_of(link)).status_code == 410

    listing = runner.invoke(args=["organisers", "list"]).output
    assert "admin@example.org" in listing and "yes" in listing


def test_create_refuses_an_existing_address(runner):
    make_organiser(email="taken@example.org")
    result = runner.invoke(args=["organisers", "create", "TAKEN@example.org", "--admin"])
    assert result.exit_code == 1 and "exists already" in result.output
    db.session.expire_all()
    assert not find_organiser("taken@example.org").is_admin


@pytest.mark.parametrize("config_overrides", [{"SET_PASSWORD_MAX_AGE": timedelta(seconds=-1)}])
def test_the_set_password_link_expires(runner, client):
    link = runner.invoke(args=["organisers", "create", "late@example.org"]).output.split()[-1]
    assert client.get(path_of(link)).status_code == 410


def test_create_refuses_what_is_not_an_address(runner):
    result = runner.invoke(args=["organisers", "create", "not an address"])
    assert result.exit_code == 2 and "Not a valid email address" in result.output
    assert find_organiser("not an address") is None
