"""Password rules and hashing."""

import pytest

from app.organisers.accounts.passwords import (
    dummy_hash,
    hash_password,
    password_problem,
    verify_password,
)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("elevenchars", "at least 12"),
        ("y" * 129, "at most 128"),
        ("1qaz2wsx3edc", "too common"),
        ("QWERTY123456", "too common"),
        ("my name is margaret!", "email address"),
        ("twelve chars", None),
        ("x" * 128, None),
    ],
)
def test_password_rules(app, password, problem):
    with app.test_request_context():
        found = password_problem(password, "Margaret@example.org")
        if problem is None:
            assert found is None
        else:
            assert problem in str(found)


def test_hashes_are_argon2id_with_the_configured_costs(app):
    stored = hash_password("twelve chars")
    assert stored.startswith("$argon2id$") and "m=1024,t=1,p=1" in stored
    assert verify_password(stored, "twelve chars")
    assert not verify_password(stored, "twelve chars!")
    assert not verify_password("not a hash", "twelve chars")


def test_an_account_without_a_password_matches_nothing(app):
    # Not even the dummy hash's own secret: the dummy check only spends the time.
    assert not verify_password(None, "not a password of anyone")
    assert not verify_password("", "")
    assert dummy_hash().startswith("$argon2id$")
