"""Reading a confirmation link: its token, the signature and campaign it names, the outcome.

One Core statement reads the signature with its campaign and titles; no ORM object is built,
because every confirmation page and the confirm POST start here.
"""

import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row

from app.campaigns.models import Campaign, CampaignTranslation, accepts_confirmations, is_public
from app.core.database import execute_core, is_row_id
from app.core.tokens import CONFIRM_SIGNATURE, TokenExpired, TokenInvalid, read_token
from app.signatures.models import CONFIRMED, HELD, Signature
from app.signatures.signing import ChosenDetails


def looks_confirmed(signature: Signature) -> bool:
    """Whether its owner is told it is confirmed: counted, or held after they confirmed it.

    A held signature must look no different from a counted one to the person who signed.
    """
    return signature.state == CONFIRMED or (
        signature.state == HELD and signature.email_verified_at is not None
    )


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


def outcome_of(
    result: ConfirmationResult, campaign: "LinkedCampaign | None", language: str, **extra
) -> ConfirmationOutcome:
    """The outcome `result`, with the campaign's slug and title when the link named one."""
    if campaign is None:
        return ConfirmationOutcome(result)
    return ConfirmationOutcome(result, campaign.slug, campaign.title(language), **extra)


def signature_for_token(token: str, language: str):
    """(signature, its campaign, None) for a usable token, else (None, None, outcome)."""
    try:
        payload = read_token(CONFIRM_SIGNATURE, token, current_app.config["CONFIRMATION_MAX_AGE"])
    except TokenExpired as expired:
        signature, campaign = signature_and_campaign(expired.payload.get("s"))
        if signature is not None and looks_confirmed(signature):
            return None, None, outcome_of(ConfirmationResult.ALREADY_CONFIRMED, campaign, language)
        return None, None, outcome_of(ConfirmationResult.EXPIRED, campaign, language)
    except TokenInvalid:
        return None, None, ConfirmationOutcome(ConfirmationResult.INVALID)
    signature, campaign = signature_and_campaign(payload.get("s"))
    nonce = payload.get("n")
    if signature is None or not isinstance(nonce, str) or not nonce.isascii():
        return None, None, ConfirmationOutcome(ConfirmationResult.INVALID)
    if looks_confirmed(signature):
        return signature, campaign, None
    if signature.token_nonce is None or not hmac.compare_digest(signature.token_nonce, nonce):
        return None, None, ConfirmationOutcome(ConfirmationResult.INVALID)
    return signature, campaign, None


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


def signature_and_campaign(signature_id) -> tuple[Row | None, LinkedCampaign | None]:
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
