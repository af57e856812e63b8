"""The campaign editor in the browser: create, edit, languages, preview, publish, close."""

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.campaigns.models import CLOSED, DRAFT, OPEN, Campaign
from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.i18n import text_direction
from app.extensions import db
from app.organisers.models import Role
from tests.factories import (
    csrf_token,
    foreign_scripts,
    form_as_shown,
    log_in_as,
    make_campaign,
    make_member,
    make_organisation,
    make_organiser,
)
from tests.html import parse, text
from tests.html_tree import parse as parse_tree
from tests.organisers.editor.editing import campaign_named, editor_client, editor_team, settings_of

NEW_DRAFT = {
    "language": "en",
    "title": "Benches for Riverside Park",
    "slug": "",
    "summary": "We ask for more benches.",
    "body_markdown": "## Why\n\nPeople need to sit.",
    "target_name": "Riverside Parks Department",
    "goal": "500",
}


def post(client, path, data=None, *, form_page):
    """POST like a browser: with the session's CSRF token, read from the form's page."""
    token = csrf_token(client, form_page)
    return client.post(path, data={"csrf_token": token, **(data or {})})


@pytest.fixture
def team():
    return editor_team()


def actions(campaign_id) -> list[str]:
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.subject_type == "campaign").order_by(AuditEvent.id)
    ).scalars()
    return [e.action for e in events if e.subject_id == campaign_id]


def new_draft(client, organisation, **changes):
    form_page = f"/organisations/{organisation.slug}/campaigns/new"
    return post(client, form_page, {**NEW_DRAFT, **changes}, form_page=form_page)


def test_an_editor_creates_a_draft_in_their_organisation(client, team):
    organisation, editor = team
    log_in_as(client, editor)
    page = client.get(f"/organisations/{organisation.slug}/campaigns/new")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    response = new_draft(client, organisation)
    assert response.status_code == 303
    campaign = campaign_named("benches-for-riverside-park")
    assert campaign.status == DRAFT and campaign.organisation_id == organisation.id
    assert campaign.edited_in_browser and campaign.goal == 500
    text = campaign.translation("en")
    assert text.target_name == "Riverside Parks Department"
    assert "<h2>Why</h2>" in text.body_html
    assert response.headers["Location"].endswith(f"/dashboard/campaigns/{campaign.id}/edit")
    event = db.session.execute(select(AuditEvent)).scalars().all()[-1]
    assert (event.action, event.actor_id, event.organisation_id) == (
        "campaign.created",
        editor.id,
        organisation.id,
    )
    # Drafts are not public.
    assert client.get("/c/benches-for-riverside-park").status_code == 404


def test_a_second_draft_with_the_same_title_gets_its_own_slug(client, team):
    editor_client(client, team)
    new_draft(client, team[0])
    new_draft(client, team[0])
    assert campaign_named("benches-for-riverside-park-2").status == DRAFT


def test_who_may_create_a_draft(client, team):
    organisation, _ = team
    path = f"/organisations/{organisation.slug}/campaigns/new"
    assert client.get(path).status_code == 302  # anonymous: to the login page
    log_in_as(client, make_member(organisation, role=Role.VIEWER))
    assert client.get(path).status_code == 403
    other = make_organisation(slug="others")
    log_in_as(client, make_member(other, role=Role.OWNER))
    assert client.get(path).status_code == 404


def test_site_admins_create_campaigns_of_their_own(client):
    log_in_as(client, make_organiser(admin=True))
    response = post(
        client,
        "/dashboard/campaigns/new",
        {**NEW_DRAFT, "slug": "admins-campaign"},
        form_page="/dashboard/campaigns/new",
    )
    assert response.status_code == 303
    assert campaign_named("admins-campaign").organisation_id is None
    log_in_as(client, make_organiser())
    assert client.get("/dashboard/campaigns/new").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": " "}, "title", "Enter a title."),
        ({"title": "x" * 301}, "title", "at most 300 characters"),
        ({"summary": "x" * 2001}, "summary", "at most 2000 characters"),
        ({"body_markdown": "x" * 50001}, "body_markdown", "at most 50000 characters"),
        ({"slug": "Bad Slug"}, "slug", "lowercase letters"),
        ({"goal": "0"}, "goal", "between 1 and"),
        ({"goal": "lots"}, "goal", "whole number"),
        ({"goal": "-5"}, "goal", "whole number"),
        ({"language": "xx-nope"}, "language", "Choose a language from the list."),
    ],
)
def test_bad_input_is_shown_next_to_its_field(client, team, changes, field, message):
    editor_client(client, team)
    response = new_draft(client, team[0], **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert db.session.execute(select(Campaign)).first() is None


def test_a_slug_in_use_is_refused(client, team):
    make_campaign(slug="taken")
    editor_client(client, team)
    response = new_draft(client, team[0], slug="taken")
    assert response.status_code == 400
    assert "already uses this web address" in response.get_data(as_text=True)


def test_editing_the_settings(client, team):
    campaign = make_campaign(
        slug="draft", status=DRAFT, organisation=team[0], languages=("en", "ar")
    )
    editor_client(client, team)
    path, form = settings_of(client, campaign)
    assert form["slug"] == "draft" and form["goal"] == "100"
    form.update(
        slug="renamed",
        goal="2500",
        deadline="2099-03-01",
        target_email="Mayor@Example.org",
        default_language="ar",
    )
    form.pop("require_country", None)
    response = client.post(path, data=form)
    assert response.status_code == 303
    campaign = campaign_named("renamed")
    assert campaign.goal == 2500 and campaign.default_language == "ar"
    assert campaign.deadline.isoformat() == "2099-03-01T23:59:59+00:00"
    assert campaign.target_email == "Mayor@example.org"
    assert campaign.required_fields == ["name", "email", "postcode"]
    assert campaign.edited_in_browser
    assert actions(campaign.id)[-1] == "campaign.edited"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"goal": "0"}, "between 1 and"),
        ({"goal": "ten"}, "whole number"),
        ({"deadline": "30/06/2027"}, "year-month-day"),
        ({"target_email": "not an address"}, "valid email address"),
        ({"slug": "-bad-"}, "lowercase letters"),
        ({"slug": "other"}, "already uses this web address"),
    ],
)
def test_bad_settings_are_refused(client, team, changes, message):
    make_campaign(slug="other")
    campaign = make_campaign(slug="draft", status=DRAFT, organisation=team[0])
    editor_client(client, team)
    path, form = settings_of(client, campaign)
    response = client.post(path, data={**form, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert campaign_named("draft").goal == 100


def test_the_slug_is_locked_once_published_and_the_goal_can_be_raised(client, team):
    campaign = make_campaign(slug="live", organisation=team[0])
    editor_client(client, team)
    path, form = settings_of(client, campaign)
    assert "slug" not in form
    assert "http://rally.test/c/live" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={**form, "slug": "moved", "goal": "5000"})
    assert response.status_code == 303
    campaign = campaign_named("live")
    assert campaign.goal == 5000


def test_an_open_petition_cannot_get_a_deadline_in_the_past(client, team):
    campaign = make_campaign(slug="live", organisation=team[0])
    editor_client(client, team)
    path, form = settings_of(client, campaign)
    response = client.post(path, data={**form, "deadline": "2001-01-01"})
    assert response.status_code == 400 and "must be in the future" in response.get_data(
        as_text=True
    )


def test_viewers_and_outsiders_cannot_edit(client, team):
    campaign = make_campaign(slug="c", organisation=team[0])
    log_in_as(client, make_member(team[0], role=Role.VIEWER))
    assert client.get(f"/dashboard/campaigns/{campaign.id}/edit").status_code == 403
    assert client.get(f"/dashboard/campaigns/{campaign.id}/preview").status_code == 200
    log_in_as(client, make_member(make_organisation(), role=Role.OWNER))
    assert client.get(f"/dashboard/campaigns/{campaign.id}/edit").status_code == 404
    assert client.get(f"/dashboard/campaigns/{campaign.id}/preview").status_code == 404


def test_adding_arabic_and_previewing_it(client, team):
    campaign = make_campaign(slug="c", status=DRAFT, organisation=team[0])
    editor_client(client, team)
    edit = f"/dashboard/campaigns/{campaign.id}/edit"
    languages = f"/dashboard/campaigns/{campaign.id}/languages"
    response = post(client, languages, {"language": "ar"}, form_page=edit)
    text_path = f"/dashboard/campaigns/{campaign.id}/text/ar"
    assert response.status_code == 303 and response.headers["Location"].endswith(text_path)
    assert actions(campaign.id)[-1] == "campaign.language_added"

    form = form_as_shown(client.get(text_path).get_data(as_text=True))
    form.update(
        title="مراحيض محايدة",
        summary="ملخص الحملة.",
        body_markdown="## لماذا\n\nنص **العريضة**.\n\n<script>alert('x')</script>",
        thank_you_markdown="شكرًا لكم! <script>steal()</script>",
        target_name="مجلس المدينة",
    )
    # Preview: rendered as the public page will show it, not saved.
    html = client.post(text_path, data={**form, "action": "preview"}).get_data(as_text=True)
    preview = re.search(r'id="preview-body"([^>]*)>(.*?)</div>', html, re.S)
    assert 'lang="ar"' in preview.group(1) and 'dir="rtl"' in preview.group(1)
    assert "<h2>لماذا</h2>" in preview.group(2) and "<strong>العريضة</strong>" in preview.group(2)
    assert "<script" not in html  # the textarea shows it escaped, the preview not at all
    shown = html.split('id="preview-heading"')[1]
    assert "alert(" not in shown and "steal()" not in shown and "شكرًا لكم" in shown
    assert campaign_named("c").translation("ar").title != "مراحيض محايدة"

    assert client.post(text_path, data={**form, "action": "save"}).status_code == 303
    arabic = campaign_named("c").translation("ar")
    assert arabic.title == "مراحيض محايدة" and "<script" not in arabic.body_html
    assert "<script>" in arabic.body_markdown  # stored as written, rendered inert
    assert "steal" not in arabic.thank_you_html and "شكرًا" in arabic.thank_you_html

    page = client.get(f"/dashboard/campaigns/{campaign.id}/preview?lang=ar")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["X-Robots-Tag"] == "noindex" and page.headers["Cache-Control"] == "no-store"
    with force_locale("ar"):  # ?lang=ar switched the whole page, banner included
        banner = gettext("Preview: not published")
    assert banner != "Preview: not published"
    assert banner in body and 'dir="rtl"' in body
    assert "مراحيض محايدة" in body and foreign_scripts(body) == []
    assert 'name="csrf_token" value="preview"' in body and " inert" in body


def test_an_unknown_language_is_refused_and_the_default_cannot_be_removed(client, team):
    campaign = make_campaign(slug="c", status=DRAFT, organisation=team[0], languages=("en", "fr"))
    editor_client(client, team)
    edit = f"/dashboard/campaigns/{campaign.id}/edit"
    languages = f"/dashboard/campaigns/{campaign.id}/languages"
    response = post(client, languages, {"language": "zz"}, form_page=edit)
    assert response.status_code == 400 and "Choose a language from the list." in response.get_data(
        as_text=True
    )
    post(client, f"/dashboard/campaigns/{campaign.id}/languages/en/remove", form_page=edit)
    assert campaign_named("c").languages == ["en", "fr"]
    post(client, f"/dashboard/campaigns/{campaign.id}/languages/fr/remove", form_page=edit)
    assert campaign_named("c").languages == ["en"]
    assert actions(campaign.id)[-1] == "campaign.language_removed"


def test_adding_a_language_starts_on_choose_a_language(client, team):
    campaign = make_campaign(slug="c", status=DRAFT, organisation=team[0])
    editor_client(client, team)
    edit = f"/dashboard/campaigns/{campaign.id}/edit"
    add = "form[action$='/languages']"

    first = parse(client.get(edit).text).select(f"{add} select#language option")[0]

    assert (first.get("value"), text(first), "selected" in first.attrib) == (
        "",
        "Choose a language",
        True,
    )
    response = post(client, f"/dashboard/campaigns/{campaign.id}/languages", form_page=edit)
    assert response.status_code == 400
    page = parse(response.text)
    assert text(page.one(f"{add} #language-error")) == "Error: Choose a language."
    assert page.one(f"{add} select#language").get("aria-invalid") == "true"
    assert campaign_named("c").languages == ["en"]


def test_the_petition_text_box_is_about_twelve_lines_tall(client, team):
    organisation, _ = team
    campaign = make_campaign(slug="c", status=DRAFT, organisation=organisation)
    editor_client(client, team)
    for path in (
        f"/organisations/{organisation.slug}/campaigns/new",
        f"/dashboard/campaigns/{campaign.id}/text/en",
    ):
        box = parse(client.get(path).text).one("textarea#body_markdown")
        assert int(box.get("rows")) >= 12, path


def test_text_errors_are_shown_next_to_fields(client, team):
    campaign = make_campaign(slug="c", status=DRAFT, organisation=team[0])
    editor_client(client, team)
    path = f"/dashboard/campaigns/{campaign.id}/text/en"
    form = form_as_shown(client.get(path).get_data(as_text=True))
    response = client.post(path, data={**form, "title": "", "action": "save"})
    assert response.status_code == 400
    assert 'id="title-error"' in response.get_data(as_text=True)
    assert client.get(f"/dashboard/campaigns/{campaign.id}/text/de").status_code == 404


def lifecycle(client, campaign, step):
    edit = f"/dashboard/campaigns/{campaign.id}/edit"
    response = post(client, f"/dashboard/campaigns/{campaign.id}/{step}", form_page=edit)
    assert response.status_code == 303
    return client.get(edit).get_data(as_text=True)


def test_publish_needs_a_confirmed_email(client, team):
    organisation, _ = team
    campaign = make_campaign(slug="c", status=DRAFT, organisation=organisation)
    log_in_as(client, make_member(organisation, role=Role.EDITOR, confirmed=False))
    html = lifecycle(client, campaign, "publish")
    assert "Confirm your email address before publishing" in html
    assert campaign_named("c").status == DRAFT


def test_after_publishing_the_page_points_to_share_and_embed(client, team):
    campaign = make_campaign(slug="c", status=DRAFT, organisation=team[0])
    editor_client(client, team)
    share = f"/dashboard/campaigns/{campaign.id}/share"
    draft_page = parse(client.get(f"/dashboard/campaigns/{campaign.id}/edit").text)
    assert draft_page.select(f'a[href="{share}"]') == []  # a draft has nothing to share yet

    page = parse(lifecycle(client, campaign, "publish"))

    assert "Share and embed" in text(page.one(".flash"))
    link = page.one(f'#share-and-embed a[href="{share}"]')
    assert text(link).startswith("Share and embed")


def test_publish_refuses_a_deadline_in_the_past(client, team):
    campaign = make_campaign(
        slug="c", status=DRAFT, organisation=team[0], deadline=utcnow() - timedelta(days=1)
    )
    editor_client(client, team)
    assert "The deadline has passed" in lifecycle(client, campaign, "publish")
    assert campaign_named("c").status == DRAFT


def test_publish_close_and_reopen(client, team):
    campaign = make_campaign(slug="c", status=DRAFT, organisation=team[0])
    editor_client(client, team)
    text_path = f"/dashboard/campaigns/{campaign.id}/text/en"
    form = form_as_shown(client.get(text_path).get_data(as_text=True))
    form.update(
        summary="Summary.",
        body_markdown="Sign **now**.\n\n<script>alert(1)</script>",
        action="save",
    )
    assert client.post(text_path, data=form).status_code == 303
    lifecycle(client, campaign, "publish")
    assert campaign_named("c").status == OPEN
    public = client.get("/c/c").get_data(as_text=True)
    assert "Sign <strong>now</strong>." in public
    assert foreign_scripts(public) == [] and "alert(1)" not in public
    assert "/c/c" in client.get("/").get_data(as_text=True)
    assert 'id="sign-heading"' in client.get("/c/c").get_data(as_text=True)

    lifecycle(client, campaign, "close")
    assert campaign_named("c").status == CLOSED
    public = client.get("/c/c").get_data(as_text=True)
    assert 'id="sign-heading"' not in public and 'id="closed-heading"' in public

    lifecycle(client, campaign, "reopen")
    assert campaign_named("c").status == OPEN
    assert 'id="sign-heading"' in client.get("/c/c").get_data(as_text=True)
    assert actions(campaign.id)[-3:] == [
        "campaign.published",
        "campaign.closed",
        "campaign.reopened",
    ]


def test_an_admin_unpublishes_with_a_reason_the_team_sees(client, team):
    campaign = make_campaign(slug="c", organisation=team[0])
    path = f"/dashboard/campaigns/{campaign.id}/unpublish"
    editor_client(client, team)
    assert client.get(path).status_code == 404  # not a site admin

    log_in_as(client, make_organiser(admin=True))
    assert post(client, path, {"reason": ""}, form_page=path).status_code == 400
    assert (
        post(client, path, {"reason": "Hate speech in the text."}, form_page=path).status_code
        == 303
    )
    assert client.get("/c/c").status_code == 404
    assert "/c/c" not in client.get("/").get_data(as_text=True)
    assert actions(campaign.id)[-1] == "campaign.unpublished"

    editor_client(client, team)
    edit = client.get(f"/dashboard/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "Hate speech in the text." in edit

    log_in_as(client, make_organiser(admin=True))
    republish = f"/dashboard/campaigns/{campaign.id}/republish"
    assert post(client, republish, form_page=path).status_code == 303
    assert client.get("/c/c").status_code == 200
    assert campaign_named("c").unpublished_reason is None


def test_the_preview_of_an_open_campaign_takes_no_signatures(client, team):
    campaign = make_campaign(slug="c", organisation=team[0])
    editor_client(client, team)
    html = client.get(f"/dashboard/campaigns/{campaign.id}/preview").get_data(as_text=True)
    data = form_as_shown(html)
    assert data["csrf_token"] == "preview"
    response = client.post("/c/c/sign", data={**data, "name": "Ada", "email": "ada@example.org"})
    assert response.status_code == 400


TEXT_BOXES = (
    "title",
    "summary",
    "body_markdown",
    "thank_you_markdown",
    "target_name",
    "target_role",
    "target_institution",
)


@pytest.mark.parametrize(("interface", "content"), [("en", "ar"), ("ar", "en")])
def test_the_text_boxes_take_the_texts_language_and_their_labels_the_interfaces(
    client, team, interface, content
):
    campaign = make_campaign(slug="c", status=DRAFT, organisation=team[0], languages=("en", "ar"))
    editor_client(client, team)
    path = f"/dashboard/campaigns/{campaign.id}/text/{content}?lang={interface}"
    page = parse_tree(client.get(path).get_data(as_text=True))
    content_dir, interface_dir = text_direction(content), text_direction(interface)

    for box_id in TEXT_BOXES:
        box = page.by_id(box_id)
        assert (box.attrs.get("lang"), box.attrs.get("dir")) == (content, content_dir), box_id
        label = next(e for e in page.all("label") if e.attrs.get("for") == box_id)
        assert label.inherited("lang") == interface, box_id
        assert label.inherited("dir") == interface_dir, box_id
    for hint in ("summary-hint", "body_markdown-hint", "thank_you_markdown-hint"):
        assert page.by_id(hint).inherited("lang") == interface
        assert page.by_id(hint).inherited("dir") == interface_dir
    for preview in ("preview-body", "preview-thank-you"):
        element = page.by_id(preview)
        assert (element.attrs["lang"], element.attrs["dir"]) == (content, content_dir)
    # The preview's headings and explanation are the interface's.
    assert page.by_id("preview-heading").inherited("lang") == interface
