"""Password hashing (argon2id) and the rules a new password must meet."""

import hashlib
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

MAX_LENGTH = 128


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher() -> PasswordHasher:
    """The argon2id hasher with the configured costs."""
    config = current_app.config
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


def hash_password(password: str) -> str:
    """An argon2id hash of `password` with a random salt."""
    return hasher().hash(password)


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_cost, parallelism).hash("not a password of anyone")


def dummy_hash() -> str:
    """A hash with the configured costs that no typed password matches in practice.

    Checking a password against it for an unknown address takes as long as for a real one,
    so response times do not tell which addresses have an account.
    """
    config = current_app.config
    return _dummy_hash(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; an account without a password runs the dummy check."""
    try:
        return hasher().verify(password_hash or dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """The hash was made with other costs than the configured ones."""
    return hasher().check_needs_rehash(password_hash)


def fingerprint(password_hash: str | None) -> str:
    """A short digest of the current hash: reset links carry it, so a new password voids them."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list), lowercased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str = ""):
    """Why `password` cannot be used (a translatable message), or None when it is fine."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return lazy_ngettext(
            "Use at least %(num)d character.", "Use at least %(num)d characters.", minimum
        )
    if len(password) > MAX_LENGTH:
        return lazy_ngettext(
            "Use at most %(num)d character.", "Use at most %(num)d characters.", MAX_LENGTH
        )
    if password.lower() in common_passwords():
        return _l("This password is too common. Choose one that is hard to guess.")
    local_part = email.partition("@")[0].lower()
    if len(local_part) >= 3 and local_part in password.lower():
        return _l("Do not use your email address in your password.")
    return None
