"""What organiser accounts do: sign up, confirm, log in, reset and change passwords, two-step.

Each function takes models and plain values and commits its own transaction.
"""

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from app.core.audit import record_event
from app.core.database import utcnow
from app.core.tokens import TokenExpired, TokenInvalid, read_token
from app.extensions import db
from app.organisers.access import (
    REQUIRE_TWO_FACTOR,
    end_other_sessions,
    sees_signatures,
    site_setting,
)
from app.organisers.accounts import emails, two_factor
from app.organisers.accounts.links import (
    CONFIRM_EMAIL,
    RESET_PASSWORD,
    SET_PASSWORD,
    LinkOutcome,
    LinkResult,
    confirm_token,
    reset_token,
)
from app.organisers.accounts.lookup import find_organiser, normalise_email
from app.organisers.accounts.passwords import (
    fingerprint,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.organisers.models import Organiser, OrganiserSession, RecoveryCode, SiteSetting
from app.signatures.fraud.signals import ip_hash

# Sign-up and confirmation


def sign_up(email: str, password: str, language: str, now: datetime | None = None) -> None:
    """Create an unconfirmed account and email its confirmation link.

    If the address has an account already, nothing is created and its owner is told
    instead; the caller answers the same either way, so sign-up reveals no accounts.
    """
    now = now or utcnow()
    email = normalise_email(email)
    # Hash in both cases, so the answer takes as long whether the address is known or not.
    password_hash = hash_password(password)
    existing = find_organiser(email)
    if existing is not None:
        emails.queue_signup_attempt_email(existing, language, now)
        record_event("organiser.signup_existing", "organiser", existing.id)
        db.session.commit()
        return
    organiser = Organiser(
        email=email, password_hash=password_hash, language=language, password_changed_at=now
    )
    db.session.add(organiser)
    db.session.flush()
    emails.queue_confirm_email(organiser, confirm_token(organiser), now)
    record_event("organiser.signup", "organiser", organiser.id, actor_id=organiser.id)
    db.session.commit()


def resend_confirmation(organiser: Organiser, now: datetime | None = None) -> bool:
    """Email a fresh confirmation link to an unconfirmed account (False if not sent)."""
    if organiser.email_confirmed:
        return False
    sent = emails.queue_confirm_email(organiser, confirm_token(organiser), now)
    db.session.commit()
    return sent


def check_confirm_token(token: str) -> LinkOutcome:
    """Read an email-confirmation link without changing anything."""
    try:
        payload = read_token(CONFIRM_EMAIL, token, current_app.config["ORGANISER_CONFIRM_MAX_AGE"])
    except TokenExpired:
        return LinkOutcome(LinkResult.EXPIRED)
    except TokenInvalid:
        return LinkOutcome(LinkResult.INVALID)
    organiser = db.session.get(Organiser, payload.get("id"))
    if organiser is None or organiser.email != payload.get("email"):
        return LinkOutcome(LinkResult.INVALID)
    if organiser.email_confirmed:
        return LinkOutcome(LinkResult.DONE, organiser)
    return LinkOutcome(LinkResult.VALID, organiser)


def confirm_email(token: str, now: datetime | None = None) -> LinkOutcome:
    """Confirm the address behind a valid link (the button's POST)."""
    outcome = check_confirm_token(token)
    if outcome.result is LinkResult.VALID:
        outcome.organiser.email_confirmed_at = now or utcnow()
        record_event(
            "organiser.email_confirmed",
            "organiser",
            outcome.organiser.id,
            actor_id=outcome.organiser.id,
        )
        db.session.commit()
    return outcome


# Login


def audit_ip_hash(ip: str | None) -> str | None:
    """What an audit event keeps of the client's IP: the keyed hash signatures keep, no more.

    Audit rows are kept for good: they hold no address a leak would give away.
    """
    return ip_hash(ip, current_app.config["SECRET_KEY"])


def authenticate(email: str, password: str, ip: str | None = None) -> Organiser | None:
    """The organiser whose address and password these are, or None (and a failure logged).

    An unknown address still costs one argon2 check, against a dummy hash, so timing does
    not tell which addresses have accounts.
    """
    organiser = find_organiser(email)
    if not verify_password(organiser.password_hash if organiser else None, password):
        record_event(
            "organiser.login_failed",
            "organiser",
            organiser.id if organiser else None,
            reason="wrong_password" if organiser else "unknown_account",
            ip_hash=audit_ip_hash(ip),
        )
        db.session.commit()
        return None
    if needs_rehash(organiser.password_hash):
        # The costs were raised since this hash was made: upgrade it now we know the password.
        organiser.password_hash = hash_password(password)
        db.session.commit()
    return organiser


def check_second_step(organiser: Organiser, code: str, ip: str | None = None) -> bool:
    """An authenticator code (each time step once) or an unused recovery code."""
    step = two_factor.matching_step(organiser.totp_secret or "", code, organiser.totp_last_step)
    if step is not None:
        # Only move forward, also against a parallel request that used a later code.
        moved = db.session.execute(
            update(Organiser)
            .where(
                Organiser.id == organiser.id,
                (Organiser.totp_last_step.is_(None)) | (Organiser.totp_last_step < step),
            )
            .values(totp_last_step=step)
        ).rowcount
        db.session.commit()
        db.session.refresh(organiser)
        if moved:
            return True
    elif use_recovery_code(organiser, code):
        return True
    record_event("organiser.two_step_failed", "organiser", organiser.id, ip_hash=audit_ip_hash(ip))
    db.session.commit()
    return False


def use_recovery_code(organiser: Organiser, code: str, now: datetime | None = None) -> bool:
    """Spend one recovery code; False when it is unknown or used already."""
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.organiser_id == organiser.id,
            RecoveryCode.code_hash == two_factor.recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
    ).rowcount
    if used:
        record_event(
            "organiser.recovery_code_used", "organiser", organiser.id, actor_id=organiser.id
        )
    db.session.commit()
    return bool(used)


def unused_recovery_codes(organiser: Organiser) -> int:
    """How many recovery codes the organiser has left."""
    return len(
        db.session.execute(
            select(RecoveryCode.id).where(
                RecoveryCode.organiser_id == organiser.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


# Password reset and change


def request_password_reset(email: str, now: datetime | None = None) -> None:
    """Email a reset link if the address has an account; silently nothing otherwise."""
    organiser = find_organiser(email)
    if organiser is None:
        return
    emails.queue_reset_email(organiser, reset_token(organiser), now)
    record_event("organiser.password_reset_requested", "organiser", organiser.id)
    db.session.commit()


def check_reset_token(token: str) -> LinkOutcome:
    """Read a reset (or first-password) link without changing anything."""
    config = current_app.config
    first = False
    try:
        try:
            payload = read_token(RESET_PASSWORD, token, config["PASSWORD_RESET_MAX_AGE"])
        except TokenInvalid:
            payload = read_token(SET_PASSWORD, token, config["SET_PASSWORD_MAX_AGE"])
            first = True
    except TokenExpired:
        return LinkOutcome(LinkResult.EXPIRED)
    except TokenInvalid:
        return LinkOutcome(LinkResult.INVALID)
    organiser = db.session.get(Organiser, payload.get("id"))
    if organiser is None:
        return LinkOutcome(LinkResult.INVALID)
    if payload.get("pw") != fingerprint(organiser.password_hash):
        return LinkOutcome(LinkResult.DONE, organiser)
    return LinkOutcome(LinkResult.VALID, organiser, setting_first_password=first)


def _set_password(organiser: Organiser, password: str, now: datetime) -> None:
    organiser.password_hash = hash_password(password)
    organiser.password_changed_at = now


def reset_password(token: str, password: str, now: datetime | None = None) -> LinkOutcome:
    """Set a new password through a valid link: every session of the account ends."""
    now = now or utcnow()
    outcome = check_reset_token(token)
    if outcome.result is not LinkResult.VALID:
        return outcome
    organiser = outcome.organiser
    _set_password(organiser, password, now)
    end_other_sessions(organiser, None)
    # The link came to their mailbox: that proves the address as well as a confirmation.
    if organiser.email_confirmed_at is None:
        organiser.email_confirmed_at = now
    record_event("organiser.password_reset", "organiser", organiser.id, actor_id=organiser.id)
    emails.queue_password_changed_email(organiser, now)
    db.session.commit()
    return outcome


def change_password(
    organiser: Organiser,
    current_password: str,
    new_password: str,
    keep_session_id: str | None,
    now: datetime | None = None,
) -> bool:
    """Change the password if `current_password` is right; other sessions end, this one stays."""
    if not verify_password(organiser.password_hash, current_password):
        record_event("organiser.password_change_failed", "organiser", organiser.id)
        db.session.commit()
        return False
    now = now or utcnow()
    _set_password(organiser, new_password, now)
    ended = end_other_sessions(organiser, keep_session_id)
    record_event(
        "organiser.password_changed",
        "organiser",
        organiser.id,
        actor_id=organiser.id,
        sessions_ended=ended,
    )
    emails.queue_password_changed_email(organiser, now)
    db.session.commit()
    return True


# Login sessions


def session_handle(session_id: str) -> str:
    """A name for a session in forms: the id itself is a login secret, never shown."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


def sessions_of(organiser: Organiser) -> list[OrganiserSession]:
    """The organiser's live login sessions, most recently used first."""
    return list(
        db.session.execute(
            select(OrganiserSession)
            .where(OrganiserSession.organiser_id == organiser.id)
            .order_by(OrganiserSession.last_seen_at.desc())
        ).scalars()
    )


def end_sessions(organiser: Organiser, handle: str | None, current_session_id: str) -> int:
    """End one other session (by its handle), or every other one when `handle` is None."""
    if handle is None:
        ended = end_other_sessions(organiser, current_session_id)
    else:
        ended = 0
        for row in sessions_of(organiser):
            if row.id != current_session_id and session_handle(row.id) == handle:
                db.session.delete(row)
                ended += 1
    record_event(
        "organiser.sessions_ended", "organiser", organiser.id, actor_id=organiser.id, count=ended
    )
    db.session.commit()
    return ended


# Two-step login set-up


def prepare_two_factor(organiser: Organiser) -> str:
    """The secret to show while two-step login is off; made once, kept until confirmed."""
    if not organiser.totp_secret:
        organiser.totp_secret = two_factor.new_secret()
        db.session.commit()
    return organiser.totp_secret


def enable_two_factor(organiser: Organiser, code: str, now: datetime | None = None):
    """Turn two-step login on with a code from the app; the new recovery codes, or None."""
    step = two_factor.matching_step(organiser.totp_secret or "", code, organiser.totp_last_step)
    if organiser.two_factor_enabled or step is None:
        return None
    organiser.totp_enabled_at = now or utcnow()
    organiser.totp_last_step = step
    codes = _replace_recovery_codes(organiser)
    record_event("organiser.two_factor_enabled", "organiser", organiser.id, actor_id=organiser.id)
    db.session.commit()
    return codes


def renew_recovery_codes(organiser: Organiser, password: str, code: str) -> list[str] | None:
    """New recovery codes for the old ones, given the password and a code; None if wrong.

    The only way to get more codes while the site requires two-step login.
    """
    if not verify_password(organiser.password_hash, password) or not check_second_step(
        organiser, code
    ):
        return None
    codes = _replace_recovery_codes(organiser)
    record_event(
        "organiser.recovery_codes_renewed", "organiser", organiser.id, actor_id=organiser.id
    )
    db.session.commit()
    return codes


def _replace_recovery_codes(organiser: Organiser) -> list[str]:
    db.session.execute(
        RecoveryCode.__table__.delete().where(RecoveryCode.organiser_id == organiser.id)
    )
    codes = two_factor.new_recovery_codes()
    for code in codes:
        db.session.add(
            RecoveryCode(organiser_id=organiser.id, code_hash=two_factor.recovery_code_hash(code))
        )
    return codes


def two_factor_required_for(organiser: Organiser) -> bool:
    """The site requires two-step login of this organiser, so it cannot be turned off."""
    return site_setting(REQUIRE_TWO_FACTOR) == "on" and sees_signatures(organiser)


def disable_two_factor(organiser: Organiser, password: str, code: str) -> bool:
    """Turn two-step login off, given the password and a code (or a recovery code)."""
    if not verify_password(organiser.password_hash, password) or not check_second_step(
        organiser, code
    ):
        return False
    organiser.totp_secret = None
    organiser.totp_enabled_at = None
    organiser.totp_last_step = None
    db.session.execute(
        RecoveryCode.__table__.delete().where(RecoveryCode.organiser_id == organiser.id)
    )
    record_event("organiser.two_factor_disabled", "organiser", organiser.id, actor_id=organiser.id)
    db.session.commit()
    return True


# Site settings


def set_site_setting(key: str, value: str, actor: Organiser) -> bool:
    """Change a site setting; False when it already had that value."""
    row = db.session.get(SiteSetting, key)
    if row is not None and row.value == value:
        return False
    if row is None:
        db.session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
    record_event(
        "site.setting_changed", "site_setting", None, actor_id=actor.id, key=key, value=value
    )
    db.session.commit()
    return True
