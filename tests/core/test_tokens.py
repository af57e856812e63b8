"""Tokens: one salt per purpose, expiry, tampering."""

from datetime import timedelta

import pytest

from app.core.tokens import TokenExpired, TokenInvalid, make_token, read_token


def test_round_trip_and_purpose_separation(app):
    token = make_token("purpose.a", {"s": 1, "n": "abc"})
    assert read_token("purpose.a", token, timedelta(days=1)) == {"s": 1, "n": "abc"}
    with pytest.raises(TokenInvalid):
        read_token("purpose.b", token, timedelta(days=1))


def test_expired_token_still_tells_which_signature(app):
    token = make_token("purpose.a", {"s": 7, "n": "abc"})
    with pytest.raises(TokenExpired) as expired:
        read_token("purpose.a", token, timedelta(seconds=-1))
    assert expired.value.payload == {"s": 7, "n": "abc"}


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", "é" * 10, "x" * 4000])
def test_garbage_is_invalid(app, bad):
    with pytest.raises(TokenInvalid):
        read_token("purpose.a", bad, timedelta(days=1))
