"""Read and validate one campaign folder: campaign.toml plus one Markdown file per language."""

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from app.campaigns.models import SIGN_FORM_FIELDS, STATUSES, required_sign_fields
from app.core.i18n import is_known_language

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
TARGET_KEYS = ("name", "role", "institution")


class CampaignFileError(Exception):
    """A campaign folder that cannot be loaded: names the file and the problem."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class TranslationSpec:
    """One language's texts, as read from `<language>.md`."""

    language: str
    title: str
    summary: str
    body_markdown: str
    target_name: str
    target_role: str
    target_institution: str


@dataclass
class CampaignSpec:
    """Everything a campaign folder says, validated."""

    slug: str
    status: str
    goal: int
    deadline: datetime | None
    default_language: str
    required_fields: list[str]
    translations: list[TranslationSpec] = field(default_factory=list)


def campaign_folders(path: Path) -> list[Path]:
    """The campaign folders under `path`, or `path` itself when it is one."""
    if (path / "campaign.toml").exists():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_campaign_folder(folder: Path) -> CampaignSpec:
    """Parse and validate a folder; raise CampaignFileError naming the file at fault."""
    toml_path = folder / "campaign.toml"
    if not toml_path.is_file():
        raise CampaignFileError(toml_path, "file is missing")
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CampaignFileError(toml_path, f"not valid TOML: {error}") from error

    def problem(message: str) -> CampaignFileError:
        return CampaignFileError(toml_path, message)

    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise problem("'slug' must be lowercase letters, digits and hyphens (at most 100)")
    status = data.get("status")
    if status not in STATUSES:
        raise problem(f"'status' must be one of {', '.join(STATUSES)}, not {status!r}")
    goal = data.get("goal")
    if not isinstance(goal, int) or isinstance(goal, bool) or goal < 1:
        raise problem("'goal' must be a positive whole number of signatures")
    deadline = _read_deadline(data.get("deadline"), problem)

    target = data.get("target")
    if not isinstance(target, dict) or not isinstance(target.get("name"), str):
        raise problem("a [target] table with at least 'name' is required")

    required = data.get("form", {}).get("required", list(SIGN_FORM_FIELDS))
    if not isinstance(required, list) or any(f not in SIGN_FORM_FIELDS for f in required):
        raise problem(f"[form] 'required' may only list {', '.join(SIGN_FORM_FIELDS)}")

    translations = [_read_translation(md_path, target) for md_path in sorted(folder.glob("*.md"))]
    languages = [t.language for t in translations]
    default_language = data.get("default_language", "en")
    if default_language not in languages:
        raise problem(
            f"'default_language' is {default_language!r} but {default_language}.md is missing"
        )
    return CampaignSpec(
        slug=slug,
        status=status,
        goal=goal,
        deadline=deadline,
        default_language=default_language,
        required_fields=required_sign_fields(required),
        translations=translations,
    )


def _read_deadline(value, problem) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        # A bare date means the campaign runs to the end of that day (UTC).
        return datetime.combine(value, time(23, 59, 59), tzinfo=UTC)
    raise problem("'deadline' must be a TOML date (2027-06-30) or date-time")


def _read_translation(md_path: Path, target: dict) -> TranslationSpec:
    language = md_path.stem
    if not is_known_language(language) or len(language) > 12:
        raise CampaignFileError(
            md_path, f"{language!r} is not a language code (name files en.md, ar.md ...)"
        )
    try:
        text = md_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise CampaignFileError(md_path, "not UTF-8 text") from error
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# ") or not lines[0][2:].strip():
        raise CampaignFileError(md_path, "the first line must be the title, as '# Title'")
    title = lines[0][2:].strip()
    paragraphs = "\n".join(lines[1:]).strip().split("\n\n", 1)
    summary = paragraphs[0].strip()
    if not summary:
        raise CampaignFileError(md_path, "a summary paragraph must follow the title")
    body = paragraphs[1].strip() if len(paragraphs) > 1 else ""
    localized_target = target.get(language, {})
    if not isinstance(localized_target, dict):
        raise CampaignFileError(
            md_path.parent / "campaign.toml", f"[target.{language}] must be a table"
        )

    def target_field(key: str) -> str:
        value = localized_target.get(key, target.get(key, ""))
        return value if isinstance(value, str) else ""

    return TranslationSpec(
        language=language,
        title=title,
        summary=summary,
        body_markdown=body,
        target_name=target_field("name"),
        target_role=target_field("role"),
        target_institution=target_field("institution"),
    )
