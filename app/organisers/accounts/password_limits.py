"""Rate-limit keys and rules of the forms that ask for a password.

The login form and its second step, and the forms that ask a logged-in organiser for their
password again (exports, two-step login settings).
"""

from flask import request, session
from flask_login import current_user

from app.organisers.accounts.lookup import normalise_email

PENDING_LOGIN = "accounts.pending_login"  # session key: the account halfway through logging in


def failed(response) -> bool:
    """Only failed attempts use up the login limits (a wrong password or code is a 400).

    Counted after the response, so requests already running when the limit fills up still
    get their answer: the overshoot is at most the requests served at once (workers times
    threads). Counting before the view would also count right passwords, and the owner
    must never be locked out by logging in.
    """
    return response.status_code == 400


def submitted_account() -> str:
    """Rate-limit key: the account the login form names."""
    return "account:" + normalise_email(request.form.get("email", ""))


def logged_in_account() -> str:
    """Rate-limit key: the logged-in account, for forms that check its password again."""
    return "account:" + str(getattr(current_user, "id", None))


def pending_account() -> str:
    """Rate-limit key: the account halfway through logging in."""
    return "account:" + str((session.get(PENDING_LOGIN) or {}).get("id"))
