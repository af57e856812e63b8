"""Confirming a signature: the emailed link, the details its owner checks, the counting.

Only what the mailbox's owner confirms counts, once; "I did not sign this" removes it.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import (
    String,
    bindparam,
    delete,
    update,
)
from sqlalchemy.engine import Row

from app.campaigns.allies import campaign_ally
from app.campaigns.counts import add_to_confirmed_count
from app.campaigns.goals import announce_goal_and_count, announce_goal_if_reached
from app.campaigns.jobs import queue_share_images_after_counting
from app.campaigns.tallies import (
    tally_confirmed,
    tally_pending_removed,
)
from app.core.addresses import identity_digest
from app.core.audit import record_event
from app.core.database import (
    begin_read_only,
    end_read_only,
    execute_core,
    multi_row_insert,
    multi_row_parameters,
    utcnow,
)
from app.extensions import db
from app.signatures.confirmation_links import (
    CheckedSignature,
    ConfirmationOutcome,
    ConfirmationResult,
    looks_confirmed,
    outcome_of,
    signature_for_token,
)
from app.signatures.models import (
    CONFIRMED,
    HELD,
    INVALIDATED,
    PENDING,
    ConsentRecord,
    Signature,
    SigningSuppression,
)
from app.signatures.signing import (
    CHOSEN_SET,
    SUPPRESSION,
    ChosenDetails,
    chosen_params,
)

CHOICES = ("public", "contact_consent")
# The consent record of an ally's contact question (its wording names the ally).
ALLY_CONTACT = "ally_contact"


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
    signature, campaign, outcome = signature_for_token(token, language)
    if outcome is None:
        if looks_confirmed(signature):
            outcome = outcome_of(ConfirmationResult.ALREADY_CONFIRMED, campaign, language)
        else:
            outcome = outcome_of(
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
            chosen_params(details),
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
            **chosen_params(details),
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
    signature, campaign, outcome = signature_for_token(token, language)
    if outcome is not None:
        db.session.rollback()
        return outcome
    if signature.state != PENDING:
        outcome = outcome_of(ConfirmationResult.ALREADY_CONFIRMED, campaign, language)
        db.session.rollback()
        return outcome
    outcome = outcome_of(ConfirmationResult.REMOVED, campaign, language)
    digest = identity_digest(
        signature.email_normalised, current_app.config["SECRET_KEY"], SUPPRESSION
    )
    db.session.execute(delete(Signature).where(Signature.id == signature.id))
    tally_pending_removed(campaign.id)
    db.session.add(SigningSuppression(campaign_id=campaign.id, identity_hash=digest))
    record_event("signature.disowned", "campaign", campaign.id)
    db.session.commit()
    return outcome
