"""Write a campaign out as a folder that `flask campaigns load` reads back unchanged."""

from datetime import UTC, time
from pathlib import Path

from sqlalchemy import column, select, table

from app.campaigns.loader import (
    THANK_YOU_SUFFIX,
    CampaignSpec,
    TranslationSpec,
)
from app.campaigns.models import Campaign
from app.extensions import db

# The organisers package owns this table; campaigns name the columns they use instead of
# importing it (organisers build on campaigns, never the other way round).
ORGANISATIONS = table(
    "organisations", column("id"), column("slug"), column("name"), column("created_at")
)
END_OF_DAY = time(23, 59, 59)


def organisation_slug(organisation_id: int | None) -> str | None:
    """The slug of the organisation with this id (None for the site admins' campaigns)."""
    if organisation_id is None:
        return None
    return db.session.execute(
        select(ORGANISATIONS.c.slug).where(ORGANISATIONS.c.id == organisation_id)
    ).scalar_one()


def spec_from_campaign(campaign: Campaign) -> CampaignSpec:
    """Everything a folder would say about `campaign`, read from its rows."""
    return CampaignSpec(
        slug=campaign.slug,
        status=campaign.status,
        goal=campaign.goal,
        deadline=campaign.deadline,
        default_language=campaign.default_language,
        required_fields=list(campaign.required_fields),
        translations=[
            TranslationSpec(
                language=t.language,
                title=t.title,
                summary=t.summary,
                body_markdown=t.body_markdown,
                target_name=t.target_name,
                target_role=t.target_role,
                target_institution=t.target_institution,
                thank_you_markdown=t.thank_you_markdown,
            )
            for t in campaign.translations
        ],
        target_email=campaign.target_email,
        organisation=organisation_slug(campaign.organisation_id),
        allowed_email_domains=tuple(campaign.allowed_email_domains.split()),
    )


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif char == "\t":
            escaped.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def campaign_toml(spec: CampaignSpec) -> str:
    """The campaign.toml text for `spec`."""
    lines = [
        "# Written by `flask campaigns dump`; edit, then `flask campaigns load` this folder.",
        f"slug = {toml_string(spec.slug)}",
        f"status = {toml_string(spec.status)}",
        f"goal = {spec.goal}",
    ]
    if spec.deadline is not None:
        deadline = spec.deadline.astimezone(UTC)
        if deadline.time() == END_OF_DAY:
            lines.append(f"deadline = {deadline.date().isoformat()}")
        else:
            lines.append(f"deadline = {deadline.isoformat().replace('+00:00', 'Z')}")
    lines.append(f"default_language = {toml_string(spec.default_language)}")
    if spec.organisation:
        lines.append(f"organisation = {toml_string(spec.organisation)}")
    by_language = {t.language: t for t in spec.translations}
    default = by_language[spec.default_language]
    lines += ["", "[target]"]
    lines += _target_lines(default)
    if spec.target_email:
        lines.append(f"email = {toml_string(spec.target_email)}")
    for text in spec.translations:
        if text.language != spec.default_language and _target(text) != _target(default):
            # All three keys: a missing one would fall back to [target], not to "".
            lines += ["", f"[target.{text.language}]", *_target_lines(text)]
    required = ", ".join(toml_string(name) for name in spec.required_fields)
    lines += ["", "[form]", f"required = [{required}]"]
    if spec.allowed_email_domains:
        allowed = ", ".join(toml_string(domain) for domain in spec.allowed_email_domains)
        lines.append(f"allowed_email_domains = [{allowed}]")
    lines.append("")
    return "\n".join(lines)


def _target(text: TranslationSpec) -> tuple[str, str, str]:
    return text.target_name, text.target_role, text.target_institution


def _target_lines(text: TranslationSpec) -> list[str]:
    return [
        f"name = {toml_string(text.target_name)}",
        f"role = {toml_string(text.target_role)}",
        f"institution = {toml_string(text.target_institution)}",
    ]


def translation_markdown(text: TranslationSpec) -> str:
    """`<language>.md`: the title as a heading, the summary paragraph, then the petition text."""
    parts = [f"# {text.title}", text.summary]
    if text.body_markdown:
        parts.append(text.body_markdown)
    return "\n\n".join(parts) + "\n"


def write_campaign_folder(spec: CampaignSpec, folder: Path) -> Path:
    """Write `spec` into `folder` (created if needed); stale language files are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {folder / "campaign.toml"}
    (folder / "campaign.toml").write_text(campaign_toml(spec), encoding="utf-8")
    for text in spec.translations:
        path = folder / f"{text.language}.md"
        path.write_text(translation_markdown(text), encoding="utf-8")
        written.add(path)
        if text.thank_you_markdown:
            path = folder / f"{text.language}{THANK_YOU_SUFFIX}"
            path.write_text(text.thank_you_markdown + "\n", encoding="utf-8")
            written.add(path)
    for stale in folder.glob("*.md"):
        # A language removed since the last dump would otherwise come back on loading.
        if stale not in written:
            stale.unlink()
    return folder


def dump_campaign(campaign: Campaign, directory: Path) -> Path:
    """Write `campaign` to `directory/<slug>/`; return that folder."""
    return write_campaign_folder(spec_from_campaign(campaign), directory / campaign.slug)
