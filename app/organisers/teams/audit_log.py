"""The organisation's audit log, a page at a time, with the titles of the campaigns it names."""

from dataclasses import dataclass, field

from sqlalchemy import select

from app.campaigns.models import Campaign, CampaignTranslation
from app.core.audit import AuditEvent
from app.extensions import db
from app.organisers.models import Organisation, Organiser


@dataclass
class AuditLine:
    """One event of the organisation's log, with who did it (None: a deleted account)."""

    event: AuditEvent
    actor_email: str | None


@dataclass
class AuditPage:
    """A page of the log, newest first; `next_before_id` continues it (None: the end).

    `campaign_titles` names the organisation's campaigns its events are about, by id.
    """

    lines: list[AuditLine]
    next_before_id: int | None
    campaign_titles: dict[int, str] = field(default_factory=dict)


def audit_campaign_id(event: AuditEvent) -> int | None:
    """The campaign an event is about: its subject, or the campaign its details name."""
    if event.subject_type == "campaign":
        return event.subject_id
    campaign_id = (event.detail or {}).get("campaign_id")
    return campaign_id if isinstance(campaign_id, int) else None


def organisation_campaign_titles(
    organisation: Organisation, campaign_ids, language: str
) -> dict[int, str]:
    """The titles of those of `campaign_ids` that are this organisation's, in `language`.

    A campaign without a text in `language` is named in its default language; one that
    is gone (or is not this organisation's) has no title here.
    """
    rows = db.session.execute(
        select(
            CampaignTranslation.campaign_id,
            CampaignTranslation.language,
            CampaignTranslation.title,
            Campaign.default_language,
        )
        .join(Campaign, Campaign.id == CampaignTranslation.campaign_id)
        .where(
            Campaign.organisation_id == organisation.id,
            Campaign.id.in_(list(campaign_ids)),
        )
    ).all()
    titles: dict[int, str] = {}
    for campaign_id, text_language, title, default_language in rows:
        if text_language == language or (
            text_language == default_language and campaign_id not in titles
        ):
            titles[campaign_id] = title
    return titles


def organisation_audit_page(
    organisation: Organisation,
    before_id: int | None = None,
    limit: int = 50,
    language: str = "en",
) -> AuditPage:
    """The organisation's events older than `before_id`, newest first (keyset on id).

    The campaigns they are about are named in `language` where they have a text in it.
    """
    query = (
        select(AuditEvent, Organiser.email)
        .outerjoin(Organiser, Organiser.id == AuditEvent.actor_id)
        .where(AuditEvent.organisation_id == organisation.id)
        .order_by(AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    rows = db.session.execute(query).all()
    lines = [AuditLine(event, email) for event, email in rows[:limit]]
    next_before_id = lines[-1].event.id if len(rows) > limit else None
    campaign_ids = {audit_campaign_id(line.event) for line in lines} - {None}
    titles = organisation_campaign_titles(organisation, campaign_ids, language)
    return AuditPage(lines, next_before_id, titles)
