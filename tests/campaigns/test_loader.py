"""Campaign folders: every shipped folder loads, loading is idempotent, errors name the file."""

import shutil

import pytest
from sqlalchemy import select

from app.campaigns.loader import CampaignFileError, read_campaign_folder
from app.campaigns.models import Campaign
from app.campaigns.services import load_campaigns
from app.extensions import db
from tests.campaigns.campaign_files import SHIPPED, VALID_TOML, write_campaign
from tests.factories import make_signature


@pytest.mark.parametrize("folder", sorted(p for p in SHIPPED.iterdir() if p.is_dir()), ids=str)
def test_every_shipped_campaign_folder_loads(app, folder):
    spec = read_campaign_folder(folder)
    assert spec.translations and spec.default_language in [t.language for t in spec.translations]
    report = load_campaigns(folder)
    assert report.errors == [] and report.created == [spec.slug]


def test_shipped_campaign_has_english_and_arabic(app):
    spec = read_campaign_folder(SHIPPED / "gender-neutral-restrooms")
    by_language = {t.language: t for t in spec.translations}
    assert set(by_language) >= {"en", "ar"}
    assert "restroom" in by_language["en"].title.lower()
    assert by_language["ar"].target_name != by_language["en"].target_name


def test_loading_twice_changes_nothing(app, tmp_path):
    write_campaign(tmp_path, "one")
    assert load_campaigns(tmp_path).created == ["one"]
    before = db.session.execute(select(Campaign)).scalar_one().updated_at
    second = load_campaigns(tmp_path)
    assert second.unchanged == ["one"] and not (second.created or second.updated)
    db.session.expire_all()
    assert db.session.execute(select(Campaign)).scalar_one().updated_at == before


def test_edits_are_upserted_by_slug(app, tmp_path):
    folder = write_campaign(tmp_path, "one")
    load_campaigns(tmp_path)
    (folder / "en.md").write_text("# New title\n\nNew summary.\n\n<script>alert(1)</script>Body")
    (folder / "ar.md").write_text("# عنوان\n\nملخص.")
    assert load_campaigns(tmp_path).updated == ["one"]
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert sorted(campaign.languages) == ["ar", "en"]
    english = campaign.translation("en")
    assert english.title == "New title" and "<script" not in english.body_html
    assert campaign.translation("ar").target_name == "المجلس"
    assert campaign.translation("ar").target_role == "Committee"  # falls back to [target]


def test_malformed_folder_is_named_and_the_others_still_load(app, tmp_path):
    write_campaign(tmp_path, "good")
    write_campaign(tmp_path, "bad", toml='slug = "bad"\nstatus = "maybe"\ngoal = 1\n')
    write_campaign(tmp_path, "broken", toml="slug = [unclosed")
    report = load_campaigns(tmp_path)
    assert report.created == ["good"]
    problems = {error.path.parent.name: error.problem for error in report.errors}
    assert "'status' must be one of draft, open, closed" in problems["bad"]
    assert "not valid TOML" in problems["broken"]
    assert all(error.path.name == "campaign.toml" for error in report.errors)


@pytest.mark.parametrize(
    ("files", "toml_change", "problem"),
    [
        ({"en.md": "No title line\n\nSummary"}, None, "first line must be the title"),
        ({"en.md": "# Title only"}, None, "a summary paragraph must follow"),
        ({"xx-nonsense.md": "# T\n\nS"}, None, "is not a language code"),
        ({"ar.md": "# T\n\nS"}, None, "en.md is missing"),
        (None, ("goal = 50", "goal = -3"), "'goal' must be a positive"),
        (None, ('slug = "bad-one"', 'slug = "Bad One!"'), "'slug' must be lowercase"),
        (None, ("deadline = 2099-01-31", 'deadline = "soon"'), "'deadline' must be a TOML date"),
        (None, ('required = ["name", "email"]', 'required = ["shoe_size"]'), "may only list"),
    ],
)
def test_invalid_campaign_files_get_a_clear_error(app, tmp_path, files, toml_change, problem):
    toml = VALID_TOML.format(slug="bad-one")
    if toml_change:
        toml = toml.replace(*toml_change)
    folder = write_campaign(tmp_path, "bad-one", toml=toml, files=files)
    with pytest.raises(CampaignFileError) as raised:
        read_campaign_folder(folder)
    assert problem in raised.value.problem
    assert raised.value.path.parent == folder


def test_never_deletes_a_campaign_that_has_signatures(app, tmp_path):
    write_campaign(tmp_path, "signed")
    write_campaign(tmp_path, "unsigned")
    load_campaigns(tmp_path)
    signed = db.session.execute(select(Campaign).where(Campaign.slug == "signed")).scalar_one()
    make_signature(signed)
    shutil.rmtree(tmp_path / "signed")
    shutil.rmtree(tmp_path / "unsigned")
    report = load_campaigns(tmp_path)
    assert report.kept == ["signed"] and report.deleted == ["unsigned"]
    assert db.session.execute(select(Campaign.slug)).scalars().all() == ["signed"]


def test_cli_load_and_list(app, runner, tmp_path):
    write_campaign(tmp_path, "one")
    result = runner.invoke(args=["campaigns", "load", str(tmp_path)])
    assert result.exit_code == 0 and "created   one" in result.output
    assert "unchanged one" in runner.invoke(args=["campaigns", "load", str(tmp_path)]).output
    listing = runner.invoke(args=["campaigns", "list"]).output
    assert "one" in listing and "open" in listing and listing.strip().endswith("0")


def test_cli_load_reports_errors_and_exits_non_zero(app, runner, tmp_path):
    write_campaign(tmp_path, "good")
    write_campaign(tmp_path, "bad", toml="goal = 'x'")
    result = runner.invoke(args=["campaigns", "load", str(tmp_path)])
    assert result.exit_code == 1
    assert "created   good" in result.output
    assert "bad/campaign.toml" in result.output and "'slug'" in result.output
