"""Read and validate one campaign folder: campaign.toml plus Markdown files per language.

`<language>.md` holds the title, summary and petition text; an optional
`<language>.thank-you.md` holds the message shown after a signature is confirmed.
"""

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from app.campaigns.models import SIGN_FORM_FIELDS, STATUSES, required_sign_fields
from app.core.i18n import is_known_language

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
TARGET_KEYS = ("name", "role", "institution")
THANK_YOU_SUFFIX = ".thank-you.md"
# Limits shared by folders and the browser editor (the columns hold no more).
TITLE_MAX = 300
SUMMARY_MAX = 2000
BODY_MAX = 50000
THANK_YOU_MAX = 10000
TARGET_MAX = 300
EMAIL_MAX = 254


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
    thank_you_markdown: str = ""


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
    target_email: str = ""
    # The owning organisation's slug; None: the site admins' campaign.
    organisation: str | None = None
    # Email domains allowed to sign (globs such as "*.uni.ac.uk"); empty: any.
    allowed_email_domains: tuple[str, ...] = ()


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

    organisation = data.get("organisation")
    if organisation is not None and (
        not isinstance(organisation, str) or not SLUG_PATTERN.match(organisation)
    ):
        raise problem("'organisation' must be an organisation's slug (lowercase, hyphens)")
    target_email = _read_target_email(target.get("email", data.get("target_email", "")), problem)
    allowed = data.get("form", {}).get("allowed_email_domains", [])
    if not isinstance(allowed, list) or not all(isinstance(d, str) for d in allowed):
        raise problem("[form] 'allowed_email_domains' must be a list of domains")
    try:
        allowed_domains = email_domain_patterns(" ".join(allowed))
    except ValueError as error:
        raise problem(f"[form] 'allowed_email_domains': {error}") from error

    md_paths = sorted(folder.glob("*.md"))
    translations = [
        _read_translation(md_path, target)
        for md_path in md_paths
        if not md_path.name.endswith(THANK_YOU_SUFFIX)
    ]
    languages = [t.language for t in translations]
    by_language = {t.language: t for t in translations}
    for md_path in md_paths:
        if md_path.name.endswith(THANK_YOU_SUFFIX):
            language = md_path.name.removesuffix(THANK_YOU_SUFFIX)
            if language not in by_language:
                raise CampaignFileError(md_path, f"there is no {language}.md for this thank-you")
            by_language[language].thank_you_markdown = _read_thank_you(md_path)
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
        target_email=target_email,
        organisation=organisation,
        allowed_email_domains=allowed_domains,
    )


DOMAIN_PATTERN = re.compile(r"(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


def email_domain_patterns(typed: str) -> tuple[str, ...]:
    """Domains (or "*.domain" for its subdomains) from space- or comma-separated text.

    Raises ValueError naming the first entry that is not a domain.
    """
    patterns = []
    for entry in re.split(r"[\s,]+", typed.strip().lower()):
        if not entry:
            continue
        entry = entry.removeprefix("@")
        if len(entry) > 253 or not DOMAIN_PATTERN.fullmatch(entry):
            raise ValueError(f"{entry!r} is not an email domain such as uni.ac.uk or *.uni.ac.uk")
        if entry not in patterns:
            patterns.append(entry)
    return tuple(patterns)


def email_domain_allowed(domain: str, patterns: tuple[str, ...]) -> bool:
    """Whether an address at `domain` may sign where only `patterns` are allowed (none: all)."""
    domain = domain.lower()
    return not patterns or any(
        domain == pattern or (pattern.startswith("*.") and domain.endswith(pattern[1:]))
        for pattern in patterns
    )


def normalise_lines(text: str) -> str:
    """Line breaks as newlines and no surrounding blank space: how a file's text reads back."""
    return "\n".join(text.strip().splitlines()).strip()


def _read_target_email(value, problem) -> str:
    if not isinstance(value, str):
        raise problem("'target.email' must be a string")
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise problem(f"'target.email' is not an email address: {value!r}") from error


def _read_thank_you(md_path: Path) -> str:
    try:
        text = normalise_lines(md_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise CampaignFileError(md_path, "not UTF-8 text") from error
    if len(text) > THANK_YOU_MAX:
        raise CampaignFileError(md_path, f"the thank-you is longer than {THANK_YOU_MAX} characters")
    return text


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
    for name, value, limit in (
        ("the title", title, TITLE_MAX),
        ("the summary", summary, SUMMARY_MAX),
        ("the petition text", body, BODY_MAX),
    ):
        if len(value) > limit:
            raise CampaignFileError(md_path, f"{name} is longer than {limit} characters")
    localized_target = target.get(language, {})
    if not isinstance(localized_target, dict):
        raise CampaignFileError(
            md_path.parent / "campaign.toml", f"[target.{language}] must be a table"
        )

    def target_field(key: str) -> str:
        value = localized_target.get(key, target.get(key, ""))
        value = value if isinstance(value, str) else ""
        if len(value) > TARGET_MAX:
            raise CampaignFileError(
                md_path.parent / "campaign.toml",
                f"the target's {key} is longer than {TARGET_MAX} characters",
            )
        return value

    return TranslationSpec(
        language=language,
        title=title,
        summary=summary,
        body_markdown=body,
        target_name=target_field("name"),
        target_role=target_field("role"),
        target_institution=target_field("institution"),
    )
