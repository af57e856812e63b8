"""Campaign workflows: loading folders, and the editor's changes, through one path.

A campaign folder and the browser editor both describe a campaign as a `CampaignSpec`;
`apply_campaign_spec` turns either into the same rows, so a campaign written in the
browser and dumped to a folder loads back unchanged.
"""

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.campaigns.counts import ensure_count_shards
from app.campaigns.dump import ORGANISATIONS, spec_from_campaign
from app.campaigns.loader import (
    SLUG_PATTERN,
    CampaignFileError,
    CampaignSpec,
    TranslationSpec,
    campaign_folders,
    read_campaign_folder,
)
from app.campaigns.models import CLOSED, DRAFT, OPEN, Campaign, CampaignTranslation
from app.core.audit import record_event
from app.core.cache import page_cache
from app.core.database import utcnow
from app.core.text import render_markdown
from app.extensions import db

SLUG_MAX = 100


class CampaignRuleError(Exception):
    """A change the campaign's state does not allow, with a message for the organiser."""

    def __init__(self, message, field_name: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field_name = field_name


@dataclass
class LoadReport:
    """What `flask campaigns load` did, per slug, and the folders it could not read."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[CampaignFileError] = field(default_factory=list)


def load_campaigns(path: Path, prune: bool = True, force: bool = False) -> LoadReport:
    """Upsert every campaign folder under `path` by slug; each folder commits on its own.

    A campaign edited in the browser since its last load is skipped unless `force`. With
    `prune`, campaigns whose folder is gone are deleted unless they have signatures or
    were edited in the browser.
    """
    report = LoadReport()
    seen: set[str] = set()
    for folder in campaign_folders(path):
        try:
            spec = read_campaign_folder(folder)
        except CampaignFileError as error:
            report.errors.append(error)
            continue
        if spec.slug in seen:
            report.errors.append(
                CampaignFileError(folder / "campaign.toml", f"slug {spec.slug!r} is used twice")
            )
            continue
        seen.add(spec.slug)
        existing = find_campaign(spec.slug)
        if existing is not None and existing.edited_in_browser and not force:
            report.skipped.append(spec.slug)
            continue
        outcome = apply_campaign_spec(spec, existing)
        getattr(report, outcome).append(spec.slug)
    if prune and not (path / "campaign.toml").exists():
        _prune_campaigns(seen, report)
    page_cache().clear()
    return report


def find_campaign(slug: str) -> Campaign | None:
    """The campaign with this slug, whatever its status."""
    return db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()


def apply_campaign_spec(
    spec: CampaignSpec,
    campaign: Campaign | None = None,
    *,
    edited_in_browser: bool = False,
    commit: bool = True,
) -> str:
    """Create or update one campaign from its spec; return 'created', 'updated' or 'unchanged'.

    Without `campaign` the campaign is found by slug; with it, its slug may change too.
    `edited_in_browser` marks the row as ahead of its folder (a file load clears it).
    """
    # Resolved before a new row joins the session: the query would flush it half-filled.
    organisation_id = organisation_id_for(spec.organisation)
    if campaign is None:
        campaign = find_campaign(spec.slug)
    created = campaign is None or campaign.id is None
    if campaign is None:
        campaign = Campaign(slug=spec.slug)
    db.session.add(campaign)
    changed = _assign(
        campaign,
        slug=spec.slug,
        status=spec.status,
        goal=spec.goal,
        deadline=spec.deadline,
        default_language=spec.default_language,
        required_fields=spec.required_fields,
        target_email=spec.target_email,
        organisation_id=organisation_id,
        allowed_email_domains=" ".join(spec.allowed_email_domains),
    )
    campaign.edited_in_browser = edited_in_browser
    existing = {t.language: t for t in campaign.translations}
    for text in spec.translations:
        translation = existing.pop(text.language, None)
        if translation is None:
            translation = CampaignTranslation(language=text.language)
            campaign.translations.append(translation)
            changed = True
        changed |= _assign(
            translation,
            title=text.title,
            summary=text.summary,
            body_markdown=text.body_markdown,
            body_html=render_markdown(text.body_markdown),
            thank_you_markdown=text.thank_you_markdown,
            thank_you_html=render_markdown(text.thank_you_markdown)
            if text.thank_you_markdown
            else "",
            target_name=text.target_name,
            target_role=text.target_role,
            target_institution=text.target_institution,
        )
    for stale in existing.values():
        campaign.translations.remove(stale)
        changed = True
    if changed:
        campaign.updated_at = utcnow()
    db.session.flush()
    ensure_count_shards(campaign.id)
    if commit:
        db.session.commit()
    if created:
        return "created"
    return "updated" if changed else "unchanged"


def organisation_id_for(slug: str | None) -> int | None:
    """The id of the organisation with this slug, created (named after the slug) if missing."""
    if slug is None:
        return None
    query = select(ORGANISATIONS.c.id).where(ORGANISATIONS.c.slug == slug)
    found = db.session.execute(query).scalar_one_or_none()
    if found is not None:
        return found
    db.session.execute(
        ORGANISATIONS.insert().values(
            slug=slug, name=slug.replace("-", " ").title()[:200], created_at=utcnow()
        )
    )
    return db.session.execute(query).scalar_one()


def _assign(obj, **values) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _prune_campaigns(keep_slugs: set[str], report: LoadReport) -> None:
    for campaign in db.session.execute(select(Campaign)).scalars().all():
        # Campaigns made or changed in the browser are not the folders' to delete.
        if campaign.slug in keep_slugs or campaign.edited_in_browser:
            continue
        # Signatures reference their campaign ON DELETE RESTRICT: the database itself
        # refuses to delete a campaign that has any, so this package need not know them.
        try:
            with db.session.begin_nested():
                db.session.delete(campaign)
        except IntegrityError:
            report.kept.append(campaign.slug)
        else:
            report.deleted.append(campaign.slug)
    db.session.commit()


# --- The browser editor: every change is a spec applied like a file, audited. ---


def slug_from_title(title: str) -> str:
    """A slug made from a title: ASCII letters and digits joined by hyphens ('' if none)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def slug_is_taken(slug: str, campaign_id: int | None = None) -> bool:
    """Another campaign (not `campaign_id`) already has this slug."""
    found = find_campaign(slug)
    return found is not None and found.id != campaign_id


def available_slug(title: str) -> str:
    """A free slug derived from the title: 'campaign' when it has no Latin letters; -2, -3..."""
    base = slug_from_title(title) or "campaign"
    candidate, number = base, 1
    while slug_is_taken(candidate):
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    assert SLUG_PATTERN.match(candidate)
    return candidate


def _changed(
    campaign: Campaign, spec: CampaignSpec, actor_id: int | None, action: str, **detail
) -> str:
    outcome = apply_campaign_spec(spec, campaign, edited_in_browser=True, commit=False)
    record_event(
        action,
        "campaign",
        campaign.id,
        actor_id=actor_id,
        organisation_id=campaign.organisation_id,
        **detail,
    )
    db.session.commit()
    page_cache().clear()
    return outcome


def create_campaign(spec: CampaignSpec, actor_id: int | None) -> Campaign:
    """A new campaign from the browser (a draft unless the spec says otherwise)."""
    campaign = Campaign(slug=spec.slug)
    _changed(campaign, spec, actor_id, "campaign.created", slug=spec.slug)
    return campaign


def save_campaign(
    campaign: Campaign, spec: CampaignSpec, actor_id: int | None, action="campaign.edited", **detail
) -> str:
    """Apply an edited spec to `campaign`; 'updated' or 'unchanged'."""
    return _changed(campaign, spec, actor_id, action, **detail)


def save_translation(campaign: Campaign, text: TranslationSpec, actor_id: int | None) -> str:
    """Replace one language's texts."""
    spec = spec_from_campaign(campaign)
    spec.translations = [text if t.language == text.language else t for t in spec.translations]
    return _changed(campaign, spec, actor_id, "campaign.edited", language=text.language)


def add_language(campaign: Campaign, language: str, actor_id: int | None) -> None:
    """Add a language, starting from a copy of the default language's texts to translate."""
    spec = spec_from_campaign(campaign)
    if language in campaign.languages:
        raise CampaignRuleError(_l("This campaign already has that language."), "language")
    source = next(t for t in spec.translations if t.language == spec.default_language)
    spec.translations.append(replace(source, language=language))
    _changed(campaign, spec, actor_id, "campaign.language_added", language=language)


def remove_language(campaign: Campaign, language: str, actor_id: int | None) -> None:
    """Remove a language's texts; the default language stays."""
    if language == campaign.default_language:
        raise CampaignRuleError(_l("The default language cannot be removed."))
    spec = spec_from_campaign(campaign)
    spec.translations = [t for t in spec.translations if t.language != language]
    _changed(campaign, spec, actor_id, "campaign.language_removed", language=language)


def _deadline_passed(campaign: Campaign, now: datetime) -> bool:
    return campaign.deadline is not None and campaign.deadline <= now


def publish_campaign(campaign: Campaign, actor_id: int | None, now: datetime | None = None) -> None:
    """Draft to open: it needs its default language's text and a deadline still ahead."""
    now = now or utcnow()
    if campaign.status != DRAFT:
        raise CampaignRuleError(_l("Only a draft can be published."))
    if campaign.default_language not in campaign.languages:
        raise CampaignRuleError(_l("Write the text in the default language before publishing."))
    if _deadline_passed(campaign, now):
        raise CampaignRuleError(
            _l("The deadline has passed. Move it to a later date before publishing."), "deadline"
        )
    _set_status(campaign, OPEN, actor_id, "campaign.published")


def close_campaign(campaign: Campaign, actor_id: int | None) -> None:
    """Open to closed: signing stops at once."""
    if campaign.status != OPEN:
        raise CampaignRuleError(_l("Only an open petition can be closed."))
    _set_status(campaign, CLOSED, actor_id, "campaign.closed")


def reopen_campaign(campaign: Campaign, actor_id: int | None, now: datetime | None = None) -> None:
    """Closed to open again, if the deadline is still ahead."""
    if campaign.status != CLOSED:
        raise CampaignRuleError(_l("Only a closed petition can be reopened."))
    if _deadline_passed(campaign, now or utcnow()):
        raise CampaignRuleError(
            _l("The deadline has passed. Move it to a later date before reopening."), "deadline"
        )
    _set_status(campaign, OPEN, actor_id, "campaign.reopened")


def _set_status(campaign: Campaign, status: str, actor_id: int | None, action: str) -> None:
    spec = replace(spec_from_campaign(campaign), status=status)
    _changed(campaign, spec, actor_id, action)


def unpublish_campaign(
    campaign: Campaign, reason: str, actor_id: int | None, now: datetime | None = None
) -> None:
    """A site admin takes the campaign off the public site; its team sees the reason."""
    campaign.unpublished_reason = reason
    campaign.unpublished_at = now or utcnow()
    campaign.updated_at = campaign.unpublished_at
    record_event(
        "campaign.unpublished",
        "campaign",
        campaign.id,
        actor_id=actor_id,
        organisation_id=campaign.organisation_id,
        reason=reason,
    )
    db.session.commit()
    page_cache().clear()


def republish_campaign(campaign: Campaign, actor_id: int | None) -> None:
    """Undo an unpublish: the campaign shows again as its status says."""
    if campaign.unpublished_reason is None:
        raise CampaignRuleError(_l("This campaign is not unpublished."))
    campaign.unpublished_reason = None
    campaign.unpublished_at = None
    campaign.updated_at = utcnow()
    record_event(
        "campaign.republished",
        "campaign",
        campaign.id,
        actor_id=actor_id,
        organisation_id=campaign.organisation_id,
    )
    db.session.commit()
    page_cache().clear()


def close_expired_campaigns(now: datetime | None = None) -> list[str]:
    """Close every open campaign whose deadline has passed; return their slugs.

    Pages never show an open form after the deadline anyway; this makes the status say so.
    """
    now = now or utcnow()
    expired = (
        db.session.execute(
            select(Campaign)
            .where(Campaign.status == OPEN, Campaign.deadline.is_not(None))
            .where(Campaign.deadline <= now)
            .order_by(Campaign.slug)
        )
        .scalars()
        .all()
    )
    for campaign in expired:
        campaign.status = CLOSED
        campaign.updated_at = now
        record_event(
            "campaign.closed",
            "campaign",
            campaign.id,
            organisation_id=campaign.organisation_id,
            reason="deadline",
        )
    db.session.commit()
    if expired:
        page_cache().clear()
    return [campaign.slug for campaign in expired]


def delivery_refusal(campaign: Campaign) -> str | None:
    """Why the campaign's delivery cannot be recorded, or None when it can."""
    # A draft was never public: nobody signed a petition there is to hand over.
    if campaign.status == DRAFT:
        return str(_l("A draft cannot be delivered: publish the campaign first."))
    return None


def record_delivery(
    campaign: Campaign, delivered_on: date, delivered_to: str, note: str, actor_id: int | None
) -> None:
    """Record that the petition was handed over; the public page says so from now on.

    CampaignRuleError for a draft.
    """
    refusal = delivery_refusal(campaign)
    if refusal:
        raise CampaignRuleError(refusal)
    campaign.delivered_on = delivered_on
    campaign.delivered_to = delivered_to
    campaign.delivery_note = note
    record_event(
        "campaign.delivered",
        "campaign",
        campaign.id,
        actor_id=actor_id,
        organisation_id=campaign.organisation_id,
        delivered_on=delivered_on.isoformat(),
        delivered_to=delivered_to,
    )
    db.session.commit()
    page_cache().clear()
