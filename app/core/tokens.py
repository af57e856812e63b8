"""Signed, expiring tokens for emailed links; each purpose has its own salt."""

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_SIGNATURE = "rally.signature.confirm"


class TokenInvalid(Exception):
    """The token was tampered with, truncated, or made for another purpose."""


class TokenExpired(Exception):
    """The token is genuine but older than its maximum age; `payload` is still readable."""

    def __init__(self, payload):
        super().__init__("token expired")
        self.payload = payload


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, payload: dict) -> str:
    """Sign `payload` for one purpose."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: timedelta) -> dict:
    """Return the payload, or raise TokenExpired / TokenInvalid."""
    serializer = _serializer(purpose)
    try:
        payload = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as expired:
        # The exception carries the still-encoded payload; it was signed by us, so decode it.
        try:
            payload = serializer.load_payload(expired.payload)
        except BadSignature:
            payload = None
        if not isinstance(payload, dict):
            raise TokenInvalid() from expired
        raise TokenExpired(payload) from expired
    except (BadSignature, UnicodeError, ValueError) as error:
        raise TokenInvalid() from error
    if not isinstance(payload, dict):
        raise TokenInvalid()
    return payload
