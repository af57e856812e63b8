"""The team's review of names in public lists: hide, show again, or allow a held name."""

from app.campaigns.models import Campaign
from app.core.audit import record_event
from app.core.cache import page_cache
from app.extensions import db
from app.signatures.models import NAME_APPROVED, NAME_HIDDEN, Signature


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
    campaign = db.session.get(Campaign, signature.campaign_id)
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
