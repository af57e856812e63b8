"""Campaign folders written for a test: the shipped ones, a valid campaign.toml."""

from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[2] / "campaigns"


VALID_TOML = """
slug = "{slug}"
status = "open"
goal = 50
deadline = 2099-01-31
default_language = "en"
[target]
name = "The Council"
role = "Committee"
[target.ar]
name = "المجلس"
[form]
required = ["name", "email"]
"""


def write_campaign(root: Path, slug: str, toml: str | None = None, files=None) -> Path:
    folder = root / slug
    folder.mkdir(parents=True)
    (folder / "campaign.toml").write_text(
        toml if toml is not None else VALID_TOML.format(slug=slug)
    )
    for name, content in (files or {"en.md": "# Title\n\nSummary.\n\nBody *text*."}).items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder
