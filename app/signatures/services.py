"""Signing and confirming: one signature per person, counted once, after a human click."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.campaigns.models import Campaign
from app.campaigns.services import CampaignPage, add_to_confirmed_count
from app.core.addresses import mailbox_identity
from app.core.audit import record_event
from app.core.database import begin_read_only, utcnow
from app.core.tokens import CONFIRM_SIGNATURE, TokenExpired, TokenInvalid, make_token, read_token
from app.extensions import db
from app.signatures.emails import queue_already_signed_email, queue_confirmation_email
from app.signatures.models import CONFIRMED, HELD, INVALIDATED, PENDING, Signature


class CampaignNotAccepting(Exception):
    """The campaign is closed, or its deadline has passed."""


@dataclass(frozen=True)
class SignatureDetails:
    """What the supporter typed into the sign form."""

    name: str
    email: str
    postcode: str = ""
    country: str = ""
    public: bool = False
    contact_consent: bool = False


@lru_cache(maxsize=4)
def _insert_unless_signed(dialect: str):
    """INSERT ... ON CONFLICT (campaign, normalised email) DO NOTHING RETURNING id.

    Built once per dialect; the values come as parameters.
    """
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(Signature.__table__)
        .on_conflict_do_nothing(index_elements=["campaign_id", "email_normalised"])
        .returning(Signature.__table__.c.id)
    )


def confirmation_token(signature: Signature) -> str:
    """The emailed token: bound to this signature's id and its current nonce."""
    return make_token(CONFIRM_SIGNATURE, {"s": signature.id, "n": signature.token_nonce})


def sign_campaign(
    campaign: CampaignPage,
    details: SignatureDetails,
    language: str,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record a pending signature and queue its confirmation email, in one transaction.

    `campaign` is the page the supporter signed on (its cached data: no query needed).

    Signing again with the same (normalised) address stores nothing new: a pending
    signature gets its confirmation again, a confirmed one an "already signed" note,
    each at most once per RESEND_INTERVAL and MAX_EMAILS_PER_SIGNATURE in all. Every
    email also counts against the address's MAX_EMAILS_PER_ADDRESS_PER_DAY; over it, the
    signature is still recorded but no email is queued. The caller learns nothing about
    which case it was, so neither does the supporter.
    """
    now = now or utcnow()
    if not campaign.accepts_signatures(now):
        raise CampaignNotAccepting(campaign.slug)
    normalised = mailbox_identity(details.email)
    values = dict(
        campaign_id=campaign.id,
        state=PENDING,
        name=details.name,
        email=details.email,
        email_normalised=normalised,
        postcode=details.postcode,
        country=details.country,
        public=details.public,
        contact_consent=details.contact_consent,
        language=language,
        ip_address=ip_address,
        token_nonce=secrets.token_hex(16),
        emails_sent=1,
        last_emailed_at=now,
        created_at=now,
    )
    # INSERT ... ON CONFLICT DO NOTHING: simultaneous submissions of one address race
    # on the unique constraint, and the losers simply see no row inserted.
    new_id = db.session.execute(_insert_unless_signed(db.engine.dialect.name), values).scalar()
    if new_id is not None:
        # The row as inserted, without reading it back: the email needs only these values.
        signature = Signature(id=new_id, **values)
        queue_confirmation_email(signature, campaign.title, confirmation_token(signature), now)
    else:
        _answer_repeat_signing(campaign, normalised, now)
    db.session.commit()


def _answer_repeat_signing(campaign: CampaignPage, normalised: str, now: datetime) -> None:
    config = current_app.config
    cutoff = now - config["RESEND_INTERVAL"]
    # A conditional UPDATE claims the right to send, so parallel repeats send at most one.
    claimed = db.session.execute(
        update(Signature)
        .where(
            Signature.campaign_id == campaign.id,
            Signature.email_normalised == normalised,
            Signature.state.in_((PENDING, CONFIRMED)),
            Signature.emails_sent < config["MAX_EMAILS_PER_SIGNATURE"],
            or_(Signature.last_emailed_at.is_(None), Signature.last_emailed_at <= cutoff),
        )
        .values(last_emailed_at=now, emails_sent=Signature.emails_sent + 1)
        .returning(Signature.id)
    ).scalar()
    if claimed is None:
        return
    signature = db.session.get(Signature, claimed)
    db.session.refresh(signature)
    if signature.state == PENDING:
        queue_confirmation_email(signature, campaign.title, confirmation_token(signature), now)
    else:
        queue_already_signed_email(signature, campaign.title, campaign.slug, now)


def resend_confirmation(campaign: CampaignPage, email: str, now: datetime | None = None) -> None:
    """Send a pending signature's confirmation again; silently nothing for unknown addresses."""
    now = now or utcnow()
    _answer_repeat_signing(campaign, mailbox_identity(email), now)
    db.session.commit()


# Confirmation ---------------------------------------------------------------------------

CONFIRMED_NOW = "confirmed"
ALREADY_CONFIRMED = "already_confirmed"
EXPIRED = "expired"
INVALID = "invalid"
NOT_ACCEPTING = "not_accepting"


@dataclass(frozen=True)
class ConfirmationOutcome:
    """What happened to a confirmation attempt, and the campaign's slug and title if known."""

    result: str
    slug: str | None = None
    title: str | None = None


def _outcome(result: str, campaign: Campaign | None, language: str) -> ConfirmationOutcome:
    if campaign is None:
        return ConfirmationOutcome(result)
    return ConfirmationOutcome(result, campaign.slug, campaign.translation(language).title)


def check_confirmation_token(token: str, language: str) -> ConfirmationOutcome:
    """Read-only look at a token for the GET page: changes nothing."""
    begin_read_only(db.session)
    signature, outcome = _signature_for_token(token, language)
    if outcome is None:
        result = ALREADY_CONFIRMED if signature.state == CONFIRMED else PENDING
        outcome = _outcome(result, signature_campaign(signature), language)
    db.session.rollback()
    return outcome


def confirm_signature(
    token: str, language: str, now: datetime | None = None
) -> ConfirmationOutcome:
    """Confirm the signature a token names, counting it exactly once.

    The checks run in a read-only transaction; only the final writes take SQLite's write
    lock, so confirmations do not queue behind each other while tokens are being checked.
    """
    now = now or utcnow()
    begin_read_only(db.session)
    signature, outcome = _signature_for_token(token, language)
    if outcome is not None:
        db.session.rollback()
        return outcome
    campaign = signature_campaign(signature)
    signature_id, state, nonce = signature.id, signature.state, signature.token_nonce
    if state == CONFIRMED:
        result = ALREADY_CONFIRMED
    elif not campaign.accepts_confirmations(now, current_app.config["CONFIRMATION_GRACE"]):
        result = NOT_ACCEPTING
    else:
        result = CONFIRMED_NOW
    outcome = _outcome(result, campaign, language)
    campaign_id = campaign.id
    db.session.rollback()

    if result == NOT_ACCEPTING:
        record_event("signature.confirm_refused", "signature", signature_id, reason="closed")
        db.session.commit()
    elif result == CONFIRMED_NOW and state in (HELD, INVALIDATED):
        # Neutral answer: the same thanks page, nothing counted, and a trace for reviewers.
        db.session.execute(
            update(Signature)
            .where(Signature.id == signature_id, Signature.email_verified_at.is_(None))
            .values(email_verified_at=now)
        )
        record_event("signature.confirm_while_" + state, "signature", signature_id)
        db.session.commit()
    elif result == CONFIRMED_NOW and not _count_confirmation(signature_id, nonce, campaign_id, now):
        return ConfirmationOutcome(ALREADY_CONFIRMED, outcome.slug, outcome.title)
    return outcome


def _count_confirmation(signature_id: int, nonce: str, campaign_id: int, now: datetime) -> bool:
    """Move the signature out of PENDING and count it, in one short write transaction.

    Only the transaction whose UPDATE matches counts: two tabs, or a double click, race
    here and the loser updates nothing.
    """
    moved = db.session.execute(
        update(Signature)
        .where(
            Signature.id == signature_id,
            Signature.state == PENDING,
            Signature.token_nonce == nonce,
        )
        .values(state=CONFIRMED, confirmed_at=now, email_verified_at=now, token_nonce=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        return False
    add_to_confirmed_count(campaign_id, 1)
    db.session.commit()
    return True


def signature_campaign(signature: Signature) -> Campaign:
    """The campaign a signature belongs to."""
    return db.session.get(Campaign, signature.campaign_id)


def _signature_for_token(token: str, language: str):
    try:
        payload = read_token(CONFIRM_SIGNATURE, token, current_app.config["CONFIRMATION_MAX_AGE"])
    except TokenExpired as expired:
        signature = _signature_by_id(expired.payload.get("s"))
        campaign = signature_campaign(signature) if signature else None
        if signature is not None and signature.state == CONFIRMED:
            return None, _outcome(ALREADY_CONFIRMED, campaign, language)
        return None, _outcome(EXPIRED, campaign, language)
    except TokenInvalid:
        return None, ConfirmationOutcome(INVALID)
    signature = _signature_by_id(payload.get("s"))
    nonce = payload.get("n")
    if signature is None or not isinstance(nonce, str):
        return None, ConfirmationOutcome(INVALID)
    if signature.state == CONFIRMED:
        return signature, None
    if signature.token_nonce is None or not hmac.compare_digest(signature.token_nonce, nonce):
        return None, ConfirmationOutcome(INVALID)
    return signature, None


def _signature_by_id(signature_id) -> Signature | None:
    if not isinstance(signature_id, int) or isinstance(signature_id, bool):
        return None
    return db.session.get(Signature, signature_id)


def recent_public_signers(campaign_id: int, limit: int) -> list[tuple[str, str]]:
    """Name and town of the latest confirmed signers who chose to be shown."""
    rows = db.session.execute(
        select(Signature.name, Signature.postcode)
        .where(
            Signature.campaign_id == campaign_id,
            Signature.state == CONFIRMED,
            Signature.public.is_(True),
        )
        .order_by(Signature.confirmed_at.desc(), Signature.id.desc())
        .limit(limit)
    )
    return [(name, postcode) for name, postcode in rows]
