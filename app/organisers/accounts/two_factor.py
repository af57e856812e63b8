"""Two-step login: authenticator-app codes (TOTP) and one-time recovery codes."""

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app

ISSUER = "Rally"
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    """A fresh base32 secret for an authenticator app."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_data_uri(secret: str, email: str) -> str:
    """The QR code of the secret as an SVG data: URI (the CSP allows data: images)."""
    return segno.make(provisioning_uri(secret, email), error="m").svg_data_uri(
        scale=5, dark="#000", light="#fff"
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str) -> str:
    """A typed code without spaces or hyphens, lowercased."""
    return "".join(code.split()).replace("-", "").lower()


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None):
    """The time step `code` belongs to, or None.

    Accepts the current 30-second step and one either side (pyotp's valid_window=1), but
    never a step at or before `last_step`, so a code (even an observed one) works once.
    """
    code = normalise_code(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    for offset in (-1, 0, 1):
        moment = now + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), code):
            step = int(moment) // totp.interval
            if last_step is not None and step <= last_step:
                return None
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten random codes like 3f9a1-c04be, shown once."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_code_hash(code: str) -> str:
    """An HMAC-SHA256 of the normalised code, keyed with SECRET_KEY: what the database keeps."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()
