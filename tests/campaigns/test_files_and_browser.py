"""Folders and the browser editor stay reconcilable: skip, force, dump, organisation, expiry."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.campaigns.dump import spec_from_campaign
from app.campaigns.loader import CampaignFileError, TranslationSpec, read_campaign_folder
from app.campaigns.models import CLOSED, DRAFT, OPEN, Campaign
from app.campaigns.services import (
    add_language,
    create_campaign,
    load_campaigns,
    save_campaign,
    save_translation,
)
from app.core.database import utcnow
from app.extensions import db
from app.organisers.models import Organisation
from app.signatures.models import PENDING
from app.signatures.signing import confirmation_token
from tests.campaigns.campaign_files import SHIPPED, write_campaign
from tests.factories import confirm_with_click, make_campaign, make_organisation, make_signature

DEMO = SHIPPED / "gender-neutral-restrooms"
CAMPAIGN_FIELDS = (
    "slug",
    "status",
    "goal",
    "deadline",
    "default_language",
    "required_fields",
    "organisation_id",
    "target_email",
)
TEXT_FIELDS = (
    "title",
    "summary",
    "body_markdown",
    "body_html",
    "thank_you_markdown",
    "thank_you_html",
    "target_name",
    "target_role",
    "target_institution",
)


def snapshot(slug: str) -> dict:
    """Every field a folder describes, as stored."""
    db.session.expire_all()
    campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one()
    return {
        **{name: getattr(campaign, name) for name in CAMPAIGN_FIELDS},
        "texts": {
            t.language: {name: getattr(t, name) for name in TEXT_FIELDS}
            for t in campaign.translations
        },
    }


def campaign_named(slug) -> Campaign:
    db.session.expire_all()
    return db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one()


def test_load_skips_a_campaign_edited_in_the_browser_unless_forced(runner, tmp_path):
    folder = write_campaign(tmp_path, "one")
    load_campaigns(folder)
    campaign = campaign_named("one")
    assert not campaign.edited_in_browser
    save_campaign(campaign, _with_goal(campaign, 777), None)
    assert campaign_named("one").edited_in_browser

    result = runner.invoke(args=["campaigns", "load", str(folder)])
    assert result.exit_code == 0
    assert "skipped   one (edited in the browser; use --force to overwrite)" in result.output
    assert campaign_named("one").goal == 777

    result = runner.invoke(args=["campaigns", "load", "--force", str(folder)])
    assert result.output.strip() == "updated   one"
    campaign = campaign_named("one")
    assert campaign.goal == 50 and not campaign.edited_in_browser


def _with_goal(campaign, goal):
    spec = spec_from_campaign(campaign)
    spec.goal = goal
    return spec


def test_pruning_leaves_campaigns_made_in_the_browser_alone(app, tmp_path):
    write_campaign(tmp_path, "from-a-file")
    browser_made = make_campaign(slug="from-the-browser")
    save_campaign(browser_made, _with_goal(browser_made, 5), None)
    make_campaign(slug="file-gone")
    report = load_campaigns(tmp_path)
    assert report.deleted == ["file-gone"]
    assert campaign_named("from-the-browser").goal == 5


def test_the_demo_campaign_dumps_and_loads_back_unchanged(runner, tmp_path):
    assert (
        "created   gender-neutral-restrooms"
        in runner.invoke(args=["campaigns", "load", str(DEMO)]).output
    )
    result = runner.invoke(args=["campaigns", "dump", "gender-neutral-restrooms", str(tmp_path)])
    assert result.exit_code == 0, result.output
    dumped = tmp_path / "gender-neutral-restrooms"
    assert sorted(p.name for p in dumped.iterdir()) == ["ar.md", "campaign.toml", "en.md"]
    result = runner.invoke(args=["campaigns", "load", str(dumped)])
    assert result.output.strip() == "unchanged gender-neutral-restrooms"
    assert read_campaign_folder(dumped) == read_campaign_folder(DEMO)


def browser_made_campaign() -> Campaign:
    """A campaign in English and Arabic, with every field set, made as the editor does."""
    organisation = make_organisation(slug="riverside-residents")
    english = TranslationSpec(
        language="en",
        title='Benches "now" \\ in the park',
        summary="We ask for benches.",
        body_markdown="## Why\n\nPeople need to sit.\n\n---\n\n## Thank you\n\n- one\n- two",
        target_name="Parks Department",
        target_role="Director",
        target_institution="City Hall",
        thank_you_markdown="Thank you! **Share** it.\n\n<script>x()</script>",
    )
    spec = spec_from_campaign(make_campaign(slug="placeholder"))
    spec.slug, spec.status, spec.goal = "benches", DRAFT, 1234
    spec.deadline = datetime(2099, 5, 17, 12, 30, 15, tzinfo=UTC)  # not the end of a day
    spec.required_fields = ["name", "email", "country"]
    spec.translations, spec.default_language = [english], "en"
    spec.target_email = "parks@example.org"
    spec.organisation = organisation.slug
    campaign = create_campaign(spec, None)
    add_language(campaign, "ar", None)
    save_translation(
        campaign,
        TranslationSpec(
            language="ar",
            title="مقاعد في الحديقة",
            summary="نطالب بمقاعد.",
            body_markdown="نص العريضة.\tمع علامة جدولة",
            target_name="إدارة الحدائق",
            target_role="",
            target_institution="مبنى البلدية",
            thank_you_markdown="شكرًا لكم.",
        ),
        None,
    )
    return campaign


def test_a_campaign_made_in_the_browser_dumps_and_reloads_identically(runner, tmp_path):
    browser_made_campaign()
    before = snapshot("benches")
    assert before["organisation_id"] is not None and before["deadline"].hour != 23
    runner.invoke(args=["campaigns", "dump", "benches", str(tmp_path)])
    folder = tmp_path / "benches"
    assert (folder / "en.thank-you.md").read_text(encoding="utf-8").startswith("Thank you!")

    result = runner.invoke(args=["campaigns", "load", "--force", str(folder)])
    assert result.output.strip() == "unchanged benches"
    assert snapshot("benches") == before and not campaign_named("benches").edited_in_browser

    # Loaded from scratch, the folder makes the same rows.
    db.session.delete(campaign_named("benches"))
    db.session.commit()
    assert runner.invoke(args=["campaigns", "load", str(folder)]).output.strip() == (
        "created   benches"
    )
    assert snapshot("benches") == before


def test_organisation_in_campaign_toml_creates_the_organisation(app, tmp_path):
    toml = 'slug = "one"\nstatus = "open"\ngoal = 5\norganisation = "park-friends"\n'
    toml += '[target]\nname = "Council"\nemail = "council@example.org"\n'
    folder = write_campaign(tmp_path, "one", toml=toml)
    load_campaigns(folder)
    organisation = db.session.execute(
        select(Organisation).where(Organisation.slug == "park-friends")
    ).scalar_one()
    assert organisation.name == "Park Friends"
    campaign = campaign_named("one")
    assert campaign.organisation_id == organisation.id
    assert campaign.target_email == "council@example.org"
    # An existing organisation is reused; without the key the site admins own it.
    existing = make_organisation(slug="existing")
    (folder / "campaign.toml").write_text(toml.replace("park-friends", "existing"))
    load_campaigns(folder)
    assert campaign_named("one").organisation_id == existing.id
    (folder / "campaign.toml").write_text(toml.replace('organisation = "park-friends"\n', ""))
    load_campaigns(folder)
    assert campaign_named("one").organisation_id is None


@pytest.mark.parametrize(
    ("files", "toml_extra", "message"),
    [
        ({"en.md": "# T\n\nS.", "fr.thank-you.md": "Merci"}, "", "there is no fr.md"),
        ({"en.md": "# " + "x" * 301 + "\n\nS."}, "", "title is longer than 300"),
        ({"en.md": "# T\n\nS.\n\n" + "x" * 50001}, "", "petition text is longer than 50000"),
        (None, 'organisation = "Not A Slug"\n', "'organisation' must be"),
        (None, 'target_email = "nope"\n', "'target.email' is not an email address"),
    ],
)
def test_folder_mistakes_name_the_file(tmp_path, files, toml_extra, message):
    toml = f'{toml_extra}slug = "one"\nstatus = "open"\ngoal = 5\n[target]\nname = "C"\n'
    folder = write_campaign(tmp_path, "one", toml=toml, files=files)
    with pytest.raises(CampaignFileError) as error:
        read_campaign_folder(folder)
    assert message in error.value.problem


def test_dump_removes_files_of_languages_that_are_gone(runner, tmp_path):
    campaign = make_campaign(slug="c", languages=("en", "fr"))
    runner.invoke(args=["campaigns", "dump", "c", str(tmp_path)])
    assert (tmp_path / "c" / "fr.md").exists()
    spec = spec_from_campaign(campaign)
    spec.translations = spec.translations[:1]
    save_campaign(campaign, spec, None)
    runner.invoke(args=["campaigns", "dump", "c", str(tmp_path)])
    assert not (tmp_path / "c" / "fr.md").exists()
    assert runner.invoke(args=["campaigns", "dump", "nope", str(tmp_path)]).exit_code != 0


def test_close_expired_closes_open_campaigns_past_their_deadline(runner):
    make_campaign(slug="expired", deadline=utcnow() - timedelta(seconds=1))
    make_campaign(slug="running", deadline=utcnow() + timedelta(days=1))
    make_campaign(slug="no-deadline")
    make_campaign(slug="draft", status=DRAFT, deadline=utcnow() - timedelta(days=1))
    result = runner.invoke(args=["campaigns", "close-expired"])
    assert result.output.strip() == "closed    expired"
    assert campaign_named("expired").status == CLOSED
    assert {campaign_named(s).status for s in ("running", "no-deadline")} == {OPEN}
    assert campaign_named("draft").status == DRAFT
    assert runner.invoke(args=["campaigns", "close-expired"]).output == ""


def test_a_page_whose_deadline_passed_a_second_ago_shows_no_form(client):
    make_campaign(slug="c", deadline=utcnow() - timedelta(seconds=1))
    html = client.get("/c/c").get_data(as_text=True)
    assert 'id="sign-heading"' not in html and 'id="closed-heading"' in html
    assert 'action="/c/c/sign"' not in html


def test_drafts_and_unpublished_campaigns_are_not_public(client):
    make_campaign(slug="draft", status=DRAFT)
    hidden = make_campaign(slug="hidden")
    hidden.unpublished_reason = "Spam."
    db.session.commit()
    assert client.get("/c/draft").status_code == 404
    assert client.get("/c/hidden").status_code == 404
    assert "/c/hidden" not in client.get("/").get_data(as_text=True)


def test_the_thank_you_message_shows_after_confirming(client):
    campaign = browser_made_campaign()
    spec = spec_from_campaign(campaign)
    spec.status = OPEN
    save_campaign(campaign, spec, None)
    signature = make_signature(campaign, state=PENDING)
    html = confirm_with_click(client, f"/confirm/{confirmation_token(signature)}").get_data(
        as_text=True
    )
    assert "your signature is confirmed" in html
    assert '<div class="thank-you" lang="en" dir="ltr">' in html
    assert "Thank you! <strong>Share</strong> it." in html
    # The team's words bring no script: the only one is our own share buttons'.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/share.js" defer>']

    other = make_signature(campaign, state=PENDING)
    html = confirm_with_click(client, f"/confirm/{confirmation_token(other)}?lang=ar").get_data(
        as_text=True
    )
    assert '<div class="thank-you" lang="ar" dir="rtl">' in html and "شكرًا لكم." in html
