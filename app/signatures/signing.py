"""Signing a campaign: recording a pending signature and emailing its confirmation link.

One signature per mailbox and campaign; a repeat asks the mailbox again, and a mailbox
that said "I did not sign this" is never emailed about the campaign again.
"""

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    case,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.campaigns.pages import CampaignPage
from app.campaigns.tallies import (
    tally_signed,
)
from app.core.addresses import identity_digest, mailbox_identity
from app.core.audit import record_event
from app.core.database import (
    execute_core,
    utcnow,
)
from app.core.tokens import CONFIRM_SIGNATURE, make_token
from app.extensions import db
from app.signatures.emails import (
    queue_already_signed_email,
    queue_confirmation_email,
)
from app.signatures.fraud.rules import SigningChecks, screen_signature
from app.signatures.fraud.signals import review_signals
from app.signatures.models import (
    CONFIRMED,
    HELD,
    NAME_APPROVED,
    NAME_CLEAR,
    NAME_HELD,
    NAME_HIDDEN,
    PENDING,
    Signature,
    SigningSuppression,
    name_search_form,
)
from app.signatures.word_list import name_needs_review

SUPPRESSION = "signing-suppression"  # purpose of the keyed hash in signing_suppressions


class CampaignNotAccepting(Exception):
    """The campaign is closed, or its deadline has passed."""


@dataclass(frozen=True)
class ChosenDetails:
    """What a signature shows and allows: set when signing, checked by the email owner."""

    name: str
    postcode: str = ""
    country: str = ""
    public: bool = False
    contact_consent: bool = False
    # The answer to an ally's contact question, None when none was asked.
    ally_contact_consent: bool | None = None


@dataclass(frozen=True)
class SignatureDetails(ChosenDetails):
    """What the supporter typed into the sign form: the details and the address."""

    email: str = ""


def pending_signature_values(
    campaign_id: int,
    details: SignatureDetails,
    language: str,
    signals: dict,
    now: datetime,
) -> dict:
    """The one definition of a new pending signature's row (its first email counted)."""
    identity = mailbox_identity(details.email)
    return dict(
        campaign_id=campaign_id,
        state=PENDING,
        **asdict(details),
        name_search=name_search_form(details.name),
        name_moderation=_name_moderation_of(details.name),
        email_normalised=identity,
        email_domain=identity.rpartition("@")[2],
        language=language,
        **signals,
        token_nonce=secrets.token_hex(16),
        emails_sent=1,
        last_emailed_at=now,
        created_at=now,
    )


@lru_cache(maxsize=4)
def _insert_unless_signed_or_disowned(dialect: str, columns: tuple[str, ...]):
    """Build the INSERT of a new signature, unless signed already or disowned.

    INSERT ... SELECT :values WHERE NOT EXISTS (a suppression of that mailbox) ON CONFLICT
    (campaign, normalised email) DO NOTHING RETURNING id. One statement, so the "I did not
    sign this" check costs no extra round trip. Built once per dialect and column list;
    the values (and `suppression_hash`) come as parameters.
    """
    table = Signature.__table__
    insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert
    not_disowned = ~exists().where(
        SigningSuppression.campaign_id == bindparam("campaign_id"),
        SigningSuppression.identity_hash == bindparam("suppression_hash"),
    )
    row = select(*(bindparam(name, type_=table.c[name].type) for name in columns))
    return (
        insert_for(table)
        .from_select(columns, row.where(not_disowned))
        .on_conflict_do_nothing(index_elements=["campaign_id", "email_normalised"])
        .returning(table.c.id)
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
    user_agent: str = "",
    checks: SigningChecks | None = None,
    attribution: dict[str, str] | None = None,
) -> None:
    """Record a pending signature and queue its confirmation email, in one transaction.

    `campaign` is the page the supporter signed on (its cached data: no query needed).

    Signing again with the same mailbox stores no second row: a pending signature takes
    the latest details and gets its confirmation again, a confirmed one an "already
    signed" note, each at most once per RESEND_INTERVAL and MAX_EMAILS_PER_SIGNATURE in
    all, and every email within the mailbox's MAX_EMAILS_PER_ADDRESS_PER_DAY (over it the
    signature is still recorded, unmailed). An address whose owner said "I did not sign
    this" gets nothing. The caller learns nothing about which case it was, so neither
    does the supporter.

    The fraud rules (fraud/rules.py) run first: a signature they hold is recorded as any
    other, marked with the rule; one they refuse is not recorded, and the caller answers
    exactly as it would have.
    """
    now = now or utcnow()
    if not campaign.accepts_signatures(now):
        raise CampaignNotAccepting(campaign.slug)
    # Only keyed hashes of the address are kept (see review_signals), never the address.
    signals = review_signals(ip_address, user_agent, current_app.config["SECRET_KEY"])
    identity = mailbox_identity(details.email)
    domain = identity.rpartition("@")[2]
    verdict = screen_signature(
        campaign.id, details.name, details.postcode, domain, identity, ip_address, signals,
        checks or SigningChecks(), now,
    )  # fmt: skip
    if verdict.refuse:
        record_event("signature.refused", "campaign", campaign.id, rule=verdict.held_rule)
        db.session.commit()
        return
    signals.update(held_rule=verdict.held_rule or None, seconds_to_submit=verdict.seconds_to_submit)
    # Which share channel and whose link brought them (attribution.py), as first touched.
    signals.update(
        source=(attribution or {}).get("source", ""),
        referrer=(attribution or {}).get("referrer", ""),
    )
    values = pending_signature_values(campaign.id, details, language, signals, now)
    # INSERT ... ON CONFLICT DO NOTHING: simultaneous submissions of one address race
    # on the unique constraint, and the losers simply see no row inserted. A disowned
    # mailbox inserts nothing either, and has no row for the repeat path to email.
    statement = _insert_unless_signed_or_disowned(db.engine.dialect.name, tuple(values))
    digest = identity_digest(identity, current_app.config["SECRET_KEY"], SUPPRESSION)
    new_id = execute_core(statement, {**values, "suppression_hash": digest}).scalar()
    if new_id is not None:
        # The row as inserted, without reading it back or building an ORM object: the email
        # and its token need only these values.
        signature = SimpleNamespace(id=new_id, **values)
        queue_confirmation_email(signature, campaign.title, confirmation_token(signature), now)
        tally_signed(campaign.id)
    else:
        _replace_pending_details(campaign.id, identity, details, language)
        _answer_repeat_signing(campaign, identity, now)
    db.session.commit()


def _replace_pending_details(
    campaign_id: int, identity: str, details: SignatureDetails, language: str
) -> None:
    # The latest submission wins while nothing is confirmed: the mailbox's owner, signing
    # after someone else used their address, is not silently ignored.
    db.session.execute(
        update(Signature)
        .where(
            Signature.campaign_id == campaign_id,
            Signature.email_normalised == identity,
            Signature.state == PENDING,
        )
        .values(language=language, **CHOSEN_SET)
        .execution_options(synchronize_session=False),
        chosen_params(details),
    )


def chosen_params(details: ChosenDetails) -> dict:
    """The parameters of CHOSEN_SET for these details."""
    chosen = {name: value for name, value in asdict(details).items() if name != "email"}
    return {
        **{"chosen_" + name: value for name, value in chosen.items()},
        "chosen_name_search": name_search_form(details.name),
        "chosen_name_moderation": _name_moderation_of(details.name),
    }


def _name_moderation_of(name: str) -> str:
    # Held names are kept off public lists until the team looks; nothing tells the signer.
    return NAME_HELD if name_needs_review(name) else NAME_CLEAR


# An UPDATE's SET of the details a signer chose, their values given by chosen_params. The
# address as first typed is kept for sending (case 2); the rest is the latest, with the
# name's search form and public-list review kept in step: the team's "hidden" stays
# whatever the signer types; their "approved" stays for the name they saw (SET compares
# with the row's old name), and a new name is checked again.
CHOSEN_SET = {
    **{
        name: bindparam("chosen_" + name, type_=Signature.__table__.c[name].type)
        for name in ("name", "postcode", "country", "public", "contact_consent")
    },
    "ally_contact_consent": bindparam("chosen_ally_contact_consent", type_=Boolean()),
    "name_search": bindparam("chosen_name_search", type_=String()),
    "name_moderation": case(
        (Signature.name_moderation == NAME_HIDDEN, NAME_HIDDEN),
        (
            and_(
                Signature.name_moderation == NAME_APPROVED,
                Signature.name == bindparam("chosen_name", type_=String()),
            ),
            NAME_APPROVED,
        ),
        else_=bindparam("chosen_name_moderation", type_=String()),
    ),
}


def _answer_repeat_signing(campaign: CampaignPage, identity: str, now: datetime) -> None:
    config = current_app.config
    cutoff = now - config["RESEND_INTERVAL"]
    # A conditional UPDATE claims the right to send, so parallel repeats send at most one.
    claimed = db.session.execute(
        update(Signature)
        .where(
            Signature.campaign_id == campaign.id,
            Signature.email_normalised == identity,
            # A held signature is answered as a confirmed one: the signer never learns of it.
            Signature.state.in_((PENDING, CONFIRMED, HELD)),
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
