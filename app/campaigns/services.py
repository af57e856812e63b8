"""Campaign workflows: loading campaign folders into the database."""

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.campaigns.counts import ensure_count_shards
from app.campaigns.loader import (
    CampaignFileError,
    CampaignSpec,
    campaign_folders,
    read_campaign_folder,
)
from app.campaigns.models import Campaign, CampaignTranslation
from app.core.cache import page_cache
from app.core.database import utcnow
from app.core.text import render_markdown
from app.extensions import db


@dataclass
class LoadReport:
    """What `flask campaigns load` did, per slug, and the folders it could not read."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    errors: list[CampaignFileError] = field(default_factory=list)


def load_campaigns(path: Path, prune: bool = True) -> LoadReport:
    """Upsert every campaign folder under `path` by slug; each folder commits on its own.

    With `prune`, campaigns whose folder is gone are deleted unless they have signatures.
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
        outcome = apply_campaign_spec(spec)
        getattr(report, outcome).append(spec.slug)
    if prune and not (path / "campaign.toml").exists():
        _prune_campaigns(seen, report)
    page_cache().clear()
    return report


def apply_campaign_spec(spec: CampaignSpec) -> str:
    """Create or update one campaign from its spec; return 'created', 'updated' or 'unchanged'."""
    campaign = db.session.execute(
        select(Campaign).where(Campaign.slug == spec.slug)
    ).scalar_one_or_none()
    created = campaign is None
    if created:
        campaign = Campaign(slug=spec.slug)
        db.session.add(campaign)
    changed = _assign(
        campaign,
        status=spec.status,
        goal=spec.goal,
        deadline=spec.deadline,
        default_language=spec.default_language,
        required_fields=spec.required_fields,
    )
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
    db.session.commit()
    if created:
        return "created"
    return "updated" if changed else "unchanged"


def _assign(obj, **values) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _prune_campaigns(keep_slugs: set[str], report: LoadReport) -> None:
    for campaign in db.session.execute(select(Campaign)).scalars().all():
        if campaign.slug in keep_slugs:
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
