"""Campaign workflows: loading folders into the database, page data, the maintained count."""

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.campaigns.loader import (
    CampaignFileError,
    CampaignSpec,
    campaign_folders,
    read_campaign_folder,
)
from app.campaigns.models import (
    CLOSED,
    OPEN,
    Campaign,
    CampaignCountShard,
    CampaignTranslation,
    accepts_signatures,
)
from app.core.cache import MomentCache
from app.core.database import begin_read_only, utcnow
from app.core.text import render_markdown
from app.extensions import db

RECENT_SIGNERS = 10
page_cache = MomentCache()


# Loading campaign folders -------------------------------------------------------------


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
    page_cache.clear()
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
    _ensure_count_shards(campaign.id)
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


def _ensure_count_shards(campaign_id: int) -> None:
    have = set(
        db.session.execute(
            select(CampaignCountShard.shard).where(CampaignCountShard.campaign_id == campaign_id)
        ).scalars()
    )
    for shard in range(current_app.config["COUNT_SHARDS"]):
        if shard not in have:
            db.session.add(CampaignCountShard(campaign_id=campaign_id, shard=shard, count=0))


def _prune_campaigns(keep_slugs: set[str], report: LoadReport) -> None:
    from app.signatures.models import Signature

    for campaign in db.session.execute(select(Campaign)).scalars():
        if campaign.slug in keep_slugs:
            continue
        has_signatures = db.session.execute(
            select(Signature.id).where(Signature.campaign_id == campaign.id).limit(1)
        ).first()
        if has_signatures:
            report.kept.append(campaign.slug)
        else:
            db.session.delete(campaign)
            report.deleted.append(campaign.slug)
    db.session.commit()


# Counts --------------------------------------------------------------------------------


def add_to_confirmed_count(campaign_id: int, delta: int) -> None:
    """Bump one random shard of the campaign's count inside the caller's transaction."""
    shard = random.randrange(current_app.config["COUNT_SHARDS"])
    result = db.session.execute(
        update(CampaignCountShard)
        .where(CampaignCountShard.campaign_id == campaign_id, CampaignCountShard.shard == shard)
        .values(count=CampaignCountShard.count + delta)
    )
    if result.rowcount == 0:
        # COUNT_SHARDS was raised since the campaign was loaded: fall back to shard 0.
        db.session.execute(
            update(CampaignCountShard)
            .where(CampaignCountShard.campaign_id == campaign_id, CampaignCountShard.shard == 0)
            .values(count=CampaignCountShard.count + delta)
        )


def confirmed_counts(campaign_ids: list[int]) -> dict[int, int]:
    """The maintained confirmed count of each campaign (a sum over a few shard rows)."""
    if not campaign_ids:
        return {}
    rows = db.session.execute(
        select(CampaignCountShard.campaign_id, func.sum(CampaignCountShard.count))
        .where(CampaignCountShard.campaign_id.in_(campaign_ids))
        .group_by(CampaignCountShard.campaign_id)
    )
    counts = {campaign_id: int(total or 0) for campaign_id, total in rows}
    return {campaign_id: counts.get(campaign_id, 0) for campaign_id in campaign_ids}


def recount_campaign(campaign: Campaign) -> int:
    """Rebuild the shards from the confirmed rows (repair after a restore or manual edit)."""
    from app.signatures.models import CONFIRMED, Signature

    total = db.session.execute(
        select(func.count())
        .select_from(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.state == CONFIRMED)
    ).scalar_one()
    _ensure_count_shards(campaign.id)
    db.session.flush()
    db.session.execute(
        update(CampaignCountShard)
        .where(CampaignCountShard.campaign_id == campaign.id)
        .values(count=0)
    )
    db.session.execute(
        update(CampaignCountShard)
        .where(CampaignCountShard.campaign_id == campaign.id, CampaignCountShard.shard == 0)
        .values(count=total)
    )
    db.session.commit()
    page_cache.clear()
    return total


# Page data -----------------------------------------------------------------------------


def progress_percent(count: int, goal: int) -> int:
    """Share of the goal reached, capped at 100."""
    return min(100, count * 100 // goal) if goal else 0


@dataclass(frozen=True)
class CampaignPage:
    """What a campaign page shows, detached from the session so it can be cached."""

    id: int
    slug: str
    status: str
    goal: int
    deadline: datetime | None
    accepting: bool
    required_fields: tuple[str, ...]
    languages: tuple[str, ...]
    language: str
    title: str
    summary: str
    body_html: str
    target_name: str
    target_role: str
    target_institution: str
    count: int
    recent_signers: tuple[tuple[str, str], ...]

    @property
    def progress_percent(self) -> int:
        """Share of the goal reached, 0 to 100."""
        return progress_percent(self.count, self.goal)

    def accepts_signatures(self, now: datetime) -> bool:
        """Checked at the moment of signing, not when the page data was cached."""
        return accepts_signatures(self.status, self.deadline, now)


def get_campaign(slug: str, include_drafts: bool = False) -> Campaign | None:
    """The campaign with this slug, or None (drafts are hidden from the public)."""
    campaign = (
        db.session.execute(
            select(Campaign).where(Campaign.slug == slug).options(joinedload(Campaign.translations))
        )
        .unique()
        .scalar_one_or_none()
    )
    if campaign is None or (campaign.status not in (OPEN, CLOSED) and not include_drafts):
        return None
    return campaign


def get_campaign_page(slug: str, language_picker) -> CampaignPage | None:
    """Page data for a public campaign, cached for PAGE_CACHE_SECONDS per slug and language.

    `language_picker(available, default)` chooses the content language.
    """
    ttl = current_app.config["PAGE_CACHE_SECONDS"]
    languages = page_cache.get_or_compute(("languages", slug), ttl, lambda: _languages(slug))
    if languages is None:
        return None
    language = language_picker(languages[1], languages[0])
    return page_cache.get_or_compute(
        ("page", slug, language), ttl, lambda: _build_campaign_page(slug, language)
    )


def _languages(slug: str):
    begin_read_only(db.session)
    campaign = get_campaign(slug)
    languages = (campaign.default_language, tuple(campaign.languages)) if campaign else None
    db.session.rollback()
    return languages


def _build_campaign_page(slug: str, language: str) -> CampaignPage | None:
    from app.signatures.services import recent_public_signers

    begin_read_only(db.session)
    campaign = get_campaign(slug)
    if campaign is None:
        db.session.rollback()
        return None
    text = campaign.translation(language)
    page = CampaignPage(
        id=campaign.id,
        slug=campaign.slug,
        status=campaign.status,
        goal=campaign.goal,
        deadline=campaign.deadline,
        accepting=campaign.accepts_signatures(utcnow()),
        required_fields=tuple(campaign.required_fields),
        languages=tuple(campaign.languages),
        language=text.language,
        title=text.title,
        summary=text.summary,
        body_html=text.body_html,
        target_name=text.target_name,
        target_role=text.target_role,
        target_institution=text.target_institution,
        count=confirmed_counts([campaign.id])[campaign.id],
        recent_signers=tuple(recent_public_signers(campaign.id, RECENT_SIGNERS)),
    )
    db.session.rollback()  # end the read transaction now, not at the end of the request
    return page


@dataclass(frozen=True)
class CampaignSummary:
    """One line of the public campaign list."""

    slug: str
    title: str
    summary: str
    language: str
    goal: int
    count: int

    @property
    def progress_percent(self) -> int:
        """Share of the goal reached, 0 to 100."""
        return progress_percent(self.count, self.goal)


def list_open_campaigns(language: str) -> list[CampaignSummary]:
    """Open campaigns with their confirmed counts, cached for a moment per language."""
    ttl = current_app.config["PAGE_CACHE_SECONDS"]
    return page_cache.get_or_compute(("index", language), ttl, lambda: _open_campaigns(language))


def _open_campaigns(language: str) -> list[CampaignSummary]:
    begin_read_only(db.session)
    campaigns = (
        db.session.execute(select(Campaign).where(Campaign.status == OPEN).order_by(Campaign.id))
        .scalars()
        .all()
    )
    counts = confirmed_counts([c.id for c in campaigns])
    summaries = []
    for campaign in campaigns:
        text = campaign.translation(language)
        summaries.append(
            CampaignSummary(
                slug=campaign.slug,
                title=text.title,
                summary=text.summary,
                language=text.language,
                goal=campaign.goal,
                count=counts[campaign.id],
            )
        )
    db.session.rollback()
    return summaries
