"""The "Share and embed" page: links per channel, the widget's snippets, the live preview."""

import html as html_module
import re

import pytest

from app.signatures.models import CONFIRMED
from tests.factories import (
    log_in_as,
    make_ally,
    make_campaign,
    make_campaign_team,
    make_organisation,
    make_organiser,
    make_signature,
)
from tests.helpers import BASE_URL
from tests.html import parse


@pytest.fixture
def team(app):
    return make_campaign_team(campaign_slug="parks", languages=("en", "ar"))


def share_page(client, team, query: str = "") -> tuple[int, str]:
    response = client.get(f"/dashboard/campaigns/{team['campaign'].id}/share{query}")
    return response.status_code, html_module.unescape(response.get_data(as_text=True))


def readonly_values(html: str) -> list[str]:
    """The values of the page's read-only link boxes, in order."""
    return re.findall(r'<input id="link-\d+" type="text" readonly value="([^"]*)"', html)


def textarea(html: str, box_id: str) -> str:
    return re.search(rf'<textarea id="{box_id}"[^>]*>(.*?)</textarea>', html, re.S).group(1)


def test_every_channel_has_its_own_link_with_its_source_code(client, team):
    log_in_as(client, team["viewer"])

    status, html = share_page(client, team)

    assert status == 200
    links = readonly_values(html)
    assert BASE_URL + "/c/parks?source=whatsapp" in links
    assert BASE_URL + "/c/parks?source=qr" in links
    assert len(links) == len(set(links)) == 8


def test_the_snippets_load_the_widget_from_this_site(client, team):
    log_in_as(client, team["viewer"])

    _, html = share_page(client, team)

    script = textarea(html, "script-snippet")
    assert f'src="{BASE_URL}/static/js/embed.js"' in script
    assert 'data-campaign="parks"' in script
    frame = textarea(html, "iframe-snippet")
    assert f'src="{BASE_URL}/embed/parks' in frame
    assert "<iframe" in frame


def test_the_preview_frames_the_widget_in_the_chosen_language(client, team):
    log_in_as(client, team["viewer"])

    _, html = share_page(client, team, "?language=ar")

    # The one-line snippet, from this site: embed.js frames /embed/parks?lang=ar and sizes it.
    script = parse(html).one("#widget-preview script")
    assert script.get("src") == "/static/js/embed.js"
    assert (script.get("data-campaign"), script.get("data-lang")) == ("parks", "ar")
    assert "data-referrer" not in script.attrib
    assert '<noscript><iframe src="/embed/parks?lang=ar"' in html  # without JavaScript
    assert BASE_URL + "/c/parks?lang=ar&source=email" in readonly_values(html)
    # The frame the page shows must be allowed to load here: the widget permits framing.
    widget = client.get("/embed/parks?lang=ar")
    assert widget.status_code == 200
    assert "frame-ancestors *" in widget.headers["Content-Security-Policy"]


def test_a_channel_code_of_the_teams_own_gets_a_link(client, team):
    log_in_as(client, team["viewer"])

    _, html = share_page(client, team, "?source=Newsletter")

    assert BASE_URL + "/c/parks?source=newsletter" in readonly_values(html)


def test_a_channel_code_that_is_not_one_is_an_error_next_to_the_field(client, team):
    log_in_as(client, team["viewer"])

    status, html = share_page(client, team, "?source=spring+newsletter")

    assert status == 400
    assert 'id="source-error"' in html
    assert "Use up to 40 letters, digits, hyphens or underscores." in html
    # The rest of the page still works: the links of the known channels are there.
    assert BASE_URL + "/c/parks?source=whatsapp" in readonly_values(html)


def test_a_language_the_campaign_lacks_is_an_error_and_the_default_is_shown(client, team):
    log_in_as(client, team["viewer"])

    status, html = share_page(client, team, "?language=fr")

    assert status == 400
    assert 'id="language-error"' in html
    assert BASE_URL + "/c/parks?source=email" in readonly_values(html)


def test_the_campaign_figures_link_to_the_page(client, team):
    log_in_as(client, team["viewer"])

    html = client.get(f"/dashboard/campaigns/{team['campaign'].id}").get_data(as_text=True)

    assert f'href="/dashboard/campaigns/{team["campaign"].id}/share"' in html


def test_choosing_an_ally_credits_every_link_and_snippet_to_it(client, team):
    make_ally(team["campaign"], name="Riverside Parents", code="riverside")
    log_in_as(client, team["viewer"])

    status, html = share_page(client, team, "?referrer=riverside")

    assert status == 200
    assert '<option selected value="riverside">Riverside Parents (riverside)</option>' in html
    assert BASE_URL + "/c/parks?source=whatsapp&referrer=riverside" in readonly_values(html)
    assert 'data-referrer="riverside"' in textarea(html, "script-snippet")
    assert "/embed/parks?referrer=riverside" in textarea(html, "iframe-snippet")
    assert parse(html).one("#widget-preview script").get("data-referrer") == "riverside"


def test_a_code_that_is_no_ally_of_this_campaign_is_refused(client, team):
    make_ally(make_campaign(slug="other"), code="theirs")
    log_in_as(client, team["viewer"])

    status, html = share_page(client, team, "?referrer=theirs")

    assert status == 400
    assert 'id="referrer-error"' in html
    assert "referrer=theirs" not in html


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["Embedded widget", "QR code", "Copied link", "newsletter"]),
        ("ar", ["الأداة المضمّنة", "رمز QR", "رابط منسوخ", "newsletter"]),
    ],
)
def test_channels_are_named_not_coded_in_the_pages_language(client, language, names):
    owner = make_organiser()
    campaign = make_campaign(slug="c", organisation=make_organisation(owner=owner))
    for count, source in zip((4, 3, 2, 1), ("embed", "qr", "link", "newsletter"), strict=True):
        for _ in range(count):
            make_signature(campaign, state=CONFIRMED, source=source)
    log_in_as(client, owner)

    page = parse(client.get(f"/dashboard/campaigns/{campaign.id}?lang={language}").text)

    assert [row[0] for row in page.table_rows("#sources-table")] == names
    # A team's own code reads left to right, whatever the page's direction.
    assert page.one("#sources-table bdi[dir=ltr]").text == "newsletter"


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["Copied link", "Email", "WhatsApp", "QR code", "newsletter"]),
        ("ar", ["رابط منسوخ", "البريد الإلكتروني", "WhatsApp", "رمز QR", "newsletter"]),
    ],
)
def test_each_link_is_labelled_with_its_channels_name(client, team, language, names):
    log_in_as(client, team["viewer"])

    _, html = share_page(client, team, f"?source=newsletter&lang={language}")

    labels = parse(html).texts(".share-kit__links label")
    assert [labels[0], labels[1], labels[2], labels[-2], labels[-1]] == names
