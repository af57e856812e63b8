"""Signing and confirming: one signature per mailbox, counted once.

A signature counts with the details and choices the email owner confirmed, after a human
click.
"""

import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row

from app.campaigns.allies import campaign_ally
from app.campaigns.counts import add_to_confirmed_count, set_confirmed_count
from app.campaigns.goals import announce_goal_and_count, announce_goal_if_reached
from app.campaigns.jobs import queue_share_images_after_counting
from app.campaigns.models import (
    Campaign,
    CampaignTranslation,
    accepts_confirmations,
    is_public,
)
from app.campaigns.pages import CampaignPage
from app.campaigns.tallies import (
    rebuild_tallies,
    tally_confirmed,
    tally_pending_removed,
    tally_signed,
)
from app.core.addresses import identity_digest, mailbox_identity
from app.core.audit import record_event
from app.core.cache import page_cache
from app.core.database import (
    begin_read_only,
    end_read_only,
    execute_core,
    is_row_id,
    multi_row_insert,
    multi_row_parameters,
    utcnow,
)
from app.core.tokens import CONFIRM_SIGNATURE, TokenExpired, TokenInvalid, make_token, read_token
from app.extensions import db
from app.signatures.emails import (
    queue_already_signed_email,
    queue_confirmation_email,
    queue_delivery_email,
)
from app.signatures.fraud_rules import SigningChecks, screen_signature
from app.signatures.models import (
    CONFIRMED,
    HELD,
    INVALIDATED,
    NAME_APPROVED,
    NAME_CLEAR,
    NAME_HELD,
    NAME_HIDDEN,
    PENDING,
    ConsentRecord,
    Signature,
    SigningSuppression,
    name_search_form,
)
from app.signatures.review_signals import review_signals
from app.signatures.word_list import name_needs_review

CHOICES = ("public", "contact_consent")
# The consent record of an ally's contact question (its wording names the ally).
ALLY_CONTACT = "ally_contact"
SUPPRESSION = "signing-suppression"  # purpose of the keyed hash in signing_suppressions


def looks_confirmed(signature: Signature) -> bool:
    """Whether its owner is told it is confirmed: counted, or held after they confirmed it.

    A held signature must look no different from a counted one to the person who signed.
    """
    return signature.state == CONFIRMED or (
        signature.state == HELD and signature.email_verified_at is not None
    )


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

    The fraud rules (fraud_rules.py) run first: a signature they hold is recorded as any
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
        _chosen_params(details),
    )


def _chosen_params(details: ChosenDetails) -> dict:
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


# An UPDATE's SET of the details a signer chose, their values given by _chosen_params. The
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

# Confirming moves a pending signature on, only with the nonce its token carries: of two
# tabs (or a double click) only one matches. Built once; the values are parameters.
_MOVE_OUT_OF_PENDING = (
    update(Signature)
    .where(
        Signature.id == bindparam("signature_id"),
        Signature.state == PENDING,
        Signature.token_nonce == bindparam("nonce"),
    )
    .values(
        state=bindparam("new_state", type_=String()),
        confirmed_at=bindparam("new_confirmed_at", type_=Signature.__table__.c.confirmed_at.type),
        email_verified_at=bindparam("verified_at", type_=Signature.__table__.c.confirmed_at.type),
        token_nonce=None,
        **CHOSEN_SET,
    )
    .execution_options(synchronize_session=False)
)


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


# The team's review of names in public lists --------------------------------------------


def campaign_signature(campaign: Campaign, signature_id: int) -> Signature | None:
    """The signature with this id if it belongs to `campaign`, else None."""
    signature = db.session.get(Signature, signature_id)
    return signature if signature is not None and signature.campaign_id == campaign.id else None


def hide_signer_name(signature: Signature, actor_id: int | None) -> None:
    """Keep the signer's name off public lists; the signature still counts and is delivered."""
    _review_name(signature, NAME_HIDDEN, actor_id, "signature.name_hidden")


def show_signer_name(signature: Signature, actor_id: int | None) -> None:
    """Let a hidden name appear in public lists again (if its signer chose to be shown)."""
    _review_name(signature, NAME_APPROVED, actor_id, "signature.name_shown")


def approve_signer_name(signature: Signature, actor_id: int | None) -> None:
    """Allow a name the word list held, after someone on the team has read it."""
    _review_name(signature, NAME_APPROVED, actor_id, "signature.name_approved")


def _review_name(signature: Signature, moderation: str, actor_id: int | None, action: str):
    campaign = signature_campaign(signature)
    previous = signature.name_moderation
    signature.name_moderation = moderation
    # The name itself stays out of the log: the log outlives the anonymised signature.
    record_event(
        action,
        "signature",
        signature.id,
        actor_id=actor_id,
        organisation_id=campaign.organisation_id,
        campaign_id=campaign.id,
        previous=previous,
    )
    db.session.commit()
    page_cache().clear()  # the public page drops (or shows) the name at once


def recount_campaign(campaign: Campaign) -> int:
    """Rebuild a campaign's count and tallies from its rows (repair after a restore or edit).

    The only place that scans a campaign's signatures for figures: one GROUP BY pass for
    the places and days, one each for the share channels and the referrers.
    """
    if db.engine.dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", Signature.confirmed_at), "YYYY-MM-DD")
    else:
        # SQLite keeps UTC timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text.
        day = func.substr(Signature.confirmed_at, 1, 10)
    rows = db.session.execute(
        select(Signature.state, day, Signature.country, Signature.postcode, func.count())
        .where(Signature.campaign_id == campaign.id, Signature.state.in_((PENDING, CONFIRMED)))
        .group_by(Signature.state, day, Signature.country, Signature.postcode)
        .order_by(Signature.state, day, Signature.country, Signature.postcode)
    ).all()
    confirmed = [row for row in rows if row[0] == CONFIRMED]
    total = sum(row[4] for row in confirmed)
    by_day: dict[str, int] = {}
    by_country: dict[str, int] = {}
    by_postcode: dict[str, int] = {}
    for _, day_key, country, postcode, count in confirmed:
        by_day[day_key] = by_day.get(day_key, 0) + count
        by_country[country] = by_country.get(country, 0) + count
        by_postcode[postcode] = by_postcode.get(postcode, 0) + count
    pending = sum(row[4] for row in rows if row[0] == PENDING)
    by_attribution = [
        db.session.execute(
            select(column, func.count())
            .where(Signature.campaign_id == campaign.id, Signature.state == CONFIRMED)
            .group_by(column)
        ).all()
        for column in (Signature.source, Signature.referrer)
    ]
    set_confirmed_count(campaign.id, total)
    rebuild_tallies(
        campaign.id,
        pending,
        by_day.items(),
        by_country.items(),
        by_postcode.items(),
        *by_attribution,
    )
    db.session.commit()
    page_cache().clear()
    return total


def resend_confirmation(campaign: CampaignPage, email: str, now: datetime | None = None) -> None:
    """Send a pending signature's confirmation again; silently nothing for unknown addresses."""
    now = now or utcnow()
    _answer_repeat_signing(campaign, mailbox_identity(email), now)
    db.session.commit()


# Confirmation ---------------------------------------------------------------------------


class ConfirmationResult(StrEnum):
    """What a confirmation link led to."""

    READY = "ready"  # a valid link to a pending signature: show its details to confirm
    CONFIRMED_NOW = "confirmed_now"
    ALREADY_CONFIRMED = "already_confirmed"
    EXPIRED = "expired"
    INVALID = "invalid"
    NOT_ACCEPTING = "not_accepting"
    REMOVED = "removed"  # the owner said "I did not sign this"


@dataclass(frozen=True)
class CheckedSignature:
    """What reading a token found: all that confirming it needs, so nothing is read twice."""

    signature_id: int
    nonce: str
    state: str
    held_rule: str | None
    verified: bool
    # Attribution, tallied when the signature is counted.
    source: str
    referrer: str
    campaign_id: int
    campaign_slug: str
    campaign_languages: tuple[str, ...]
    # What Campaign.accepts_confirmations asks, kept as read: it is asked at confirming.
    campaign_public: bool
    campaign_status: str
    campaign_deadline: datetime | None

    def accepts_confirmations(self, now: datetime, grace) -> bool:
        """Campaign.accepts_confirmations, from the values read with the token."""
        return accepts_confirmations(
            self.campaign_public, self.campaign_status, self.campaign_deadline, now, grace
        )


@dataclass(frozen=True)
class ConfirmationOutcome:
    """What happened to a confirmation attempt, with what its page may show.

    `details` are filled only for READY: the token holder checks what they confirm.
    """

    result: ConfirmationResult
    slug: str | None = None
    title: str | None = None
    details: ChosenDetails | None = None
    required_fields: tuple[str, ...] = ()
    # For the thank-you page: the signature, to make its owner's own share links.
    signature_id: int | None = None
    # The ally whose contact question the signature answered, asked again on the confirm
    # page; empty when none was asked (or the ally or its question is gone).
    ally_name: str = ""
    ally_question: str = ""
    # READY only: what confirm_checked_signature acts on (never shown).
    checked: CheckedSignature | None = None


def _outcome(
    result: ConfirmationResult, campaign: "LinkedCampaign | None", language: str, **extra
) -> ConfirmationOutcome:
    if campaign is None:
        return ConfirmationOutcome(result)
    return ConfirmationOutcome(result, campaign.slug, campaign.title(language), **extra)


def check_confirmation_token(
    token: str, language: str, then_confirm: bool = False
) -> ConfirmationOutcome:
    """Read-only look at a token (one statement): changes nothing.

    A READY outcome carries what `confirm_checked_signature` needs, so the confirm button's
    POST reads the token once. With `then_confirm`, on PostgreSQL the read's transaction
    stays open for the confirmation to write in (one BEGIN and COMMIT fewer); SQLite's
    plain reader must end before a writer begins, so there it always ends here.
    """
    begin_read_only(db.session)
    signature, campaign, outcome = _signature_for_token(token, language)
    if outcome is None:
        if looks_confirmed(signature):
            outcome = _outcome(ConfirmationResult.ALREADY_CONFIRMED, campaign, language)
        else:
            outcome = _outcome(
                ConfirmationResult.READY,
                campaign,
                language,
                details=_chosen_details(signature),
                required_fields=tuple(campaign.required_fields),
                checked=CheckedSignature(
                    signature_id=signature.id,
                    nonce=signature.token_nonce,
                    state=signature.state,
                    held_rule=signature.held_rule,
                    verified=signature.email_verified_at is not None,
                    source=signature.source,
                    referrer=signature.referrer,
                    campaign_id=campaign.id,
                    campaign_slug=campaign.slug,
                    campaign_languages=tuple(campaign.languages),
                    campaign_public=campaign.is_public,
                    campaign_status=campaign.status,
                    campaign_deadline=campaign.deadline,
                ),
                **_ally_asked(signature),
            )
    ready = outcome.result == ConfirmationResult.READY
    if not (then_confirm and ready and db.engine.dialect.name == "postgresql"):
        end_read_only(db.session)
    return outcome


def _chosen_details(signature: Row) -> ChosenDetails:
    return ChosenDetails(
        name=signature.name,
        postcode=signature.postcode,
        country=signature.country,
        public=signature.public,
        contact_consent=signature.contact_consent,
        ally_contact_consent=signature.ally_contact_consent,
    )


def _ally_asked(signature: Row) -> dict[str, str]:
    """The ally and question the signer answered, if the ally still asks it."""
    if signature.ally_contact_consent is None:
        return {}
    ally = campaign_ally(signature.campaign_id, signature.referrer)
    if ally is None or not ally.contact_question:
        return {}
    return {"ally_name": ally.name, "ally_question": ally.contact_question}


def confirm_signature(
    token: str,
    details: ChosenDetails,
    consent_wording: dict[str, str],
    language: str,
    now: datetime | None = None,
) -> ConfirmationOutcome:
    """Confirm the signature a token names with the details its owner checked."""
    outcome = check_confirmation_token(token, language)
    if outcome.result != ConfirmationResult.READY:
        return outcome
    return confirm_checked_signature(outcome, details, consent_wording, language, now)


def confirm_checked_signature(
    outcome: ConfirmationOutcome,
    details: ChosenDetails,
    consent_wording: dict[str, str],
    language: str,
    now: datetime | None = None,
) -> ConfirmationOutcome:
    """Confirm the signature of a READY outcome with the details its owner checked.

    It is counted exactly once, and each choice is recorded with the words that were shown.
    The token was read (read-only, so confirmations do not queue for SQLite's write lock
    meanwhile) by check_confirmation_token; the writes are guarded by the state and nonce
    read then, so a signature confirmed since is not counted again.
    """
    now = now or utcnow()
    checked = outcome.checked
    if not checked.accepts_confirmations(now, current_app.config["CONFIRMATION_GRACE"]):
        result = ConfirmationResult.NOT_ACCEPTING
    else:
        result = ConfirmationResult.CONFIRMED_NOW
    done = ConfirmationOutcome(
        result, outcome.slug, outcome.title, signature_id=checked.signature_id
    )
    if result == ConfirmationResult.NOT_ACCEPTING:
        record_event(
            "signature.confirm_refused", "signature", checked.signature_id, reason="closed"
        )
        db.session.commit()
    elif result == ConfirmationResult.CONFIRMED_NOW and checked.state in (HELD, INVALIDATED):
        # Neutral answer: the same thanks page, nothing counted, and a trace for reviewers.
        db.session.execute(
            update(Signature)
            .where(Signature.id == checked.signature_id, Signature.email_verified_at.is_(None))
            .values(email_verified_at=now, **CHOSEN_SET),
            _chosen_params(details),
        )
        _record_consents(checked.signature_id, details, consent_wording, language, now)
        record_event("signature.confirm_while_" + checked.state, "signature", checked.signature_id)
        db.session.commit()
    elif result == ConfirmationResult.CONFIRMED_NOW and not _count_confirmation(
        checked, details, consent_wording, language, now
    ):
        return ConfirmationOutcome(ConfirmationResult.ALREADY_CONFIRMED, done.slug, done.title)
    return done


def _count_confirmation(
    checked: CheckedSignature,
    details: ChosenDetails,
    consent_wording: dict[str, str],
    language: str,
    now: datetime,
) -> bool:
    """Move the signature out of PENDING with the checked details and count it.

    It does so in one short write transaction.

    Only the transaction whose UPDATE matches counts: two tabs, or a double click, race
    here and the loser updates nothing. A signature a fraud rule marked becomes HELD
    instead, verified but not counted until the team releases it; the signer sees the same.
    """
    counted = not checked.held_rule
    moved = execute_core(
        _MOVE_OUT_OF_PENDING,
        dict(
            signature_id=checked.signature_id,
            nonce=checked.nonce,
            new_state=CONFIRMED if counted else HELD,
            new_confirmed_at=now if counted else None,
            verified_at=now,
            **_chosen_params(details),
        ),
    ).rowcount
    if moved != 1:
        db.session.rollback()
        return False
    _record_consents(checked.signature_id, details, consent_wording, language, now)
    campaign_id = checked.campaign_id
    if not counted:
        tally_pending_removed(campaign_id)
        record_event("signature.held", "signature", checked.signature_id, rule=checked.held_rule)
        db.session.commit()
        return True
    add_to_confirmed_count(campaign_id, 1)
    tally_confirmed(
        campaign_id,
        now,
        details.country,
        details.postcode,
        source=checked.source,
        referrer=checked.referrer,
    )
    announced, total = announce_goal_and_count(campaign_id)
    db.session.commit()
    if announced is None and db.engine.dialect.name == "postgresql":
        # Near the goal: a confirmation committed meanwhile may have made it. The last of
        # racing confirmations to commit sees them all here, so the goal is never missed.
        announce_goal_if_reached(campaign_id)
        db.session.commit()
    queue_share_images_after_counting(
        campaign_id, 1, total, checked.campaign_slug, tuple(sorted(checked.campaign_languages))
    )
    return True


def _record_consents(
    signature_id: int,
    details: ChosenDetails,
    consent_wording: dict[str, str],
    language: str,
    now: datetime,
) -> None:
    answers = [(choice, getattr(details, choice)) for choice in CHOICES]
    # An ally's question is its own record, apart from the campaign's contact consent.
    if details.ally_contact_consent is not None and ALLY_CONTACT in consent_wording:
        answers.append((ALLY_CONTACT, details.ally_contact_consent))
    rows = [
        dict(
            signature_id=signature_id,
            choice=choice,
            given=given,
            wording=consent_wording[choice],
            language=language,
            recorded_at=now,
        )
        for choice, given in answers
    ]
    # One statement, not executemany: psycopg runs a pipeline of its own for that.
    statement = multi_row_insert(ConsentRecord.__table__, tuple(rows[0]), len(rows))
    execute_core(statement, multi_row_parameters(rows))


def disown_signature(token: str, language: str, now: datetime | None = None):
    """Remove the pending signature a token names ("I did not sign this").

    That mailbox is never emailed about this campaign again (only a keyed hash of it is
    kept).
    """
    now = now or utcnow()
    signature, campaign, outcome = _signature_for_token(token, language)
    if outcome is not None:
        db.session.rollback()
        return outcome
    if signature.state != PENDING:
        outcome = _outcome(ConfirmationResult.ALREADY_CONFIRMED, campaign, language)
        db.session.rollback()
        return outcome
    outcome = _outcome(ConfirmationResult.REMOVED, campaign, language)
    digest = identity_digest(
        signature.email_normalised, current_app.config["SECRET_KEY"], SUPPRESSION
    )
    db.session.execute(delete(Signature).where(Signature.id == signature.id))
    tally_pending_removed(campaign.id)
    db.session.add(SigningSuppression(campaign_id=campaign.id, identity_hash=digest))
    record_event("signature.disowned", "campaign", campaign.id)
    db.session.commit()
    return outcome


def signature_is_on(signature_id: int, campaign_id: int) -> bool:
    """Whether that signature exists on that campaign (any state)."""
    signature = _signature_by_id(signature_id)
    return signature is not None and signature.campaign_id == campaign_id


def signature_campaign(signature: Signature) -> Campaign:
    """The campaign a signature belongs to."""
    return db.session.get(Campaign, signature.campaign_id)


def _signature_for_token(token: str, language: str):
    """(signature, its campaign, None) for a usable token, else (None, None, outcome)."""
    try:
        payload = read_token(CONFIRM_SIGNATURE, token, current_app.config["CONFIRMATION_MAX_AGE"])
    except TokenExpired as expired:
        signature, campaign = _signature_and_campaign(expired.payload.get("s"))
        if signature is not None and looks_confirmed(signature):
            return None, None, _outcome(ConfirmationResult.ALREADY_CONFIRMED, campaign, language)
        return None, None, _outcome(ConfirmationResult.EXPIRED, campaign, language)
    except TokenInvalid:
        return None, None, ConfirmationOutcome(ConfirmationResult.INVALID)
    signature, campaign = _signature_and_campaign(payload.get("s"))
    nonce = payload.get("n")
    if signature is None or not isinstance(nonce, str) or not nonce.isascii():
        return None, None, ConfirmationOutcome(ConfirmationResult.INVALID)
    if looks_confirmed(signature):
        return signature, campaign, None
    if signature.token_nonce is None or not hmac.compare_digest(signature.token_nonce, nonce):
        return None, None, ConfirmationOutcome(ConfirmationResult.INVALID)
    return signature, campaign, None


def _signature_by_id(signature_id) -> Signature | None:
    return db.session.get(Signature, signature_id) if is_row_id(signature_id) else None


@dataclass(frozen=True)
class LinkedCampaign:
    """The campaign of a confirmation link, as its pages use it: read with the signature."""

    id: int
    slug: str
    status: str
    deadline: datetime | None
    default_language: str
    required_fields: tuple[str, ...]
    is_public: bool
    titles: dict[str, str]  # language: title, in the order the texts were added

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages the campaign has a text in."""
        return tuple(self.titles)

    def title(self, language: str) -> str:
        """The title in `language`, else in the campaign's default language."""
        return self.titles.get(language) or self.titles[self.default_language]


_SIGNATURES, _CAMPAIGNS = Signature.__table__, Campaign.__table__
_TEXTS = CampaignTranslation.__table__
# What a confirmation link's pages use of the signature, read without building an ORM object.
_LINKED_SIGNATURE = (
    *("id", "campaign_id", "state", "held_rule", "token_nonce", "email_verified_at"),
    *("email_normalised", "name", "postcode", "country", "public", "contact_consent"),
    *("ally_contact_consent", "source", "referrer"),
)
_LINKED_CAMPAIGN = (
    *("slug", "status", "deadline", "default_language", "required_fields"),
    "unpublished_reason",
)
# Built once: a signature with its campaign and the campaign's titles, one row per text.
_SIGNATURE_AND_CAMPAIGN = (
    select(
        *(_SIGNATURES.c[name] for name in _LINKED_SIGNATURE),
        *(_CAMPAIGNS.c[name].label("campaign_" + name) for name in _LINKED_CAMPAIGN),
        _TEXTS.c.language.label("text_language"),
        _TEXTS.c.title.label("text_title"),
    )
    .select_from(
        _SIGNATURES.join(_CAMPAIGNS, _CAMPAIGNS.c.id == _SIGNATURES.c.campaign_id).outerjoin(
            _TEXTS, _TEXTS.c.campaign_id == _CAMPAIGNS.c.id
        )
    )
    .where(_SIGNATURES.c.id == bindparam("signature_id"))
    .order_by(_TEXTS.c.id)
)


def _signature_and_campaign(signature_id) -> tuple[Row | None, LinkedCampaign | None]:
    """A signature (a row with its columns as attributes) and its campaign: one statement."""
    if not is_row_id(signature_id):
        return None, None
    rows = execute_core(_SIGNATURE_AND_CAMPAIGN, {"signature_id": signature_id}).all()
    if not rows:
        return None, None
    first = rows[0]
    campaign = LinkedCampaign(
        id=first.campaign_id,
        slug=first.campaign_slug,
        status=first.campaign_status,
        deadline=first.campaign_deadline,
        default_language=first.campaign_default_language,
        required_fields=tuple(first.campaign_required_fields),
        is_public=is_public(first.campaign_status, first.campaign_unpublished_reason),
        titles={row.text_language: row.text_title for row in rows if row.text_language},
    )
    return first, campaign


DELIVERY_NEWS_BATCH = 500


def tell_signers_of_delivery(
    campaign: Campaign, after_id: int = 0, batch: int = DELIVERY_NEWS_BATCH, now=None
) -> int | None:
    """Queue the delivery news for one batch of confirmed signers who agreed to be contacted.

    Each batch commits on its own, in signature id order; returns the id to continue after,
    or None when every such signer has been queued. A batch that fails is rolled back whole,
    so running it again sends nobody the news twice. Each email respects the daily cap.
    """
    now = now or utcnow()
    signatures = (
        db.session.execute(
            select(Signature)
            .where(
                Signature.campaign_id == campaign.id,
                Signature.state == CONFIRMED,
                Signature.contact_consent.is_(True),
                Signature.id > after_id,
            )
            .order_by(Signature.id)
            .limit(batch)
        )
        .scalars()
        .all()
    )
    for signature in signatures:
        queue_delivery_email(
            signature,
            campaign.translation(signature.language).title,
            campaign.slug,
            campaign.delivered_to,
            campaign.delivered_on,
            now,
        )
    last_id = signatures[-1].id if signatures else None
    db.session.commit()
    return last_id if len(signatures) == batch else None
