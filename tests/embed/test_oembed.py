"""oEmbed: a campaign page's URL gets the widget as a `rich` answer; discovery on the page."""

import html as html_module
from urllib.parse import parse_qs, urlsplit

import pytest

from app.campaigns.models import DRAFT
from tests.embed.widget_pages import parsed
from tests.factories import make_campaign, make_closed_campaign
from tests.helpers import BASE_URL


def oembed(client, **params):
    return client.get("/oembed", query_string=params)


def test_a_campaign_page_url_gets_the_widget_as_a_rich_answer(client):
    make_campaign(slug="c")
    response = oembed(client, url=f"{BASE_URL}/c/c", format="json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    answer = response.get_json()
    assert {key: answer[key] for key in answer if key != "html"} == {
        "version": "1.0",
        "type": "rich",
        "title": "Test campaign (en)",
        "provider_name": "Rally",
        "provider_url": f"{BASE_URL}/",
        "cache_age": 3600,
        "width": 600,
        "height": 800,
    }
    tags = dict(parsed(answer["html"]))
    assert tags["iframe"]["src"] == f"{BASE_URL}/embed/c"
    assert tags["iframe"]["title"] == "Test campaign (en)"
    assert (tags["iframe"]["width"], tags["iframe"]["height"]) == ("600", "800")
    # The link WordPress keeps when it sandboxes the frame (oembed.py).
    assert tags["a"]["href"] == f"{BASE_URL}/c/c"
    assert answer["html"].startswith("<blockquote>")


def test_format_defaults_to_json_and_tracking_parameters_are_ignored(client):
    make_campaign(slug="c")
    url = f"{BASE_URL}/c/c/?utm_source=newsletter&source=email&referrer=ally-1"
    answer = oembed(client, url=url).get_json()
    assert dict(parsed(answer["html"]))["iframe"]["src"] == f"{BASE_URL}/embed/c"


def test_the_language_in_the_url_carries_into_the_widget(client):
    make_campaign(slug="c", languages=("en", "ar"))
    answer = oembed(client, url=f"{BASE_URL}/c/c?lang=ar").get_json()
    assert answer["title"] == "Test campaign (ar)"
    tags = dict(parsed(answer["html"]))
    assert tags["iframe"]["src"] == f"{BASE_URL}/embed/c?lang=ar"
    assert tags["a"]["href"] == f"{BASE_URL}/c/c?lang=ar"
    # A language the campaign does not have: its default, and no ?lang= on the widget.
    answer = oembed(client, url=f"{BASE_URL}/c/c?lang=fr").get_json()
    assert answer["title"] == "Test campaign (en)"
    assert dict(parsed(answer["html"]))["iframe"]["src"] == f"{BASE_URL}/embed/c"


def test_maxwidth_and_maxheight_are_respected(client):
    make_campaign(slug="c")
    answer = oembed(client, url=f"{BASE_URL}/c/c", maxwidth="320", maxheight="500").get_json()
    assert (answer["width"], answer["height"]) == (320, 500)
    iframe = dict(parsed(answer["html"]))["iframe"]
    assert (iframe["width"], iframe["height"]) == ("320", "500")
    # A larger room does not make the answer larger than the widget needs.
    answer = oembed(client, url=f"{BASE_URL}/c/c", maxwidth="2000").get_json()
    assert answer["width"] == 600


def test_a_closed_campaign_still_embeds(client):
    make_closed_campaign(slug="c")
    assert oembed(client, url=f"{BASE_URL}/c/c").status_code == 200


def test_the_title_appears_as_text_in_the_link_and_the_frame(client):
    make_campaign(slug="c")
    answer = oembed(client, url=f"{BASE_URL}/c/c").get_json()
    assert "<script" not in answer["html"]
    assert html_module.unescape(answer["html"]).count("Test campaign (en)") == 2


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/c/c",
        "http://rally.test.evil.example/c/c",
        "http://rally.test:8080/c/c",
        "ftp://rally.test/c/c",
        f"{BASE_URL}/c/missing",
        f"{BASE_URL}/c/draft",
        f"{BASE_URL}/embed/c",
        f"{BASE_URL}/c/c/check-inbox",
        f"{BASE_URL}/",
        "/c/c",
    ],
)
def test_anything_but_one_of_our_published_campaign_pages_is_a_404(client, url):
    make_campaign(slug="c")
    make_campaign(slug="draft", status=DRAFT)
    response = oembed(client, url=url)
    assert response.status_code == 404
    assert response.get_json() == {"error": "This address is not a campaign page on this site."}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_xml_is_not_implemented(client):
    make_campaign(slug="c")
    response = oembed(client, url=f"{BASE_URL}/c/c", format="xml")
    assert response.status_code == 501
    assert response.get_json() == {"error": "Only format=json is available."}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"url": ""},
        {"url": "http://[::1"},
        {"url": f"{BASE_URL}/c/c?" + "x" * 2000},
        {"url": f"{BASE_URL}/c/c", "maxwidth": "wide"},
        {"url": f"{BASE_URL}/c/c", "maxwidth": "0"},
        {"url": f"{BASE_URL}/c/c", "maxwidth": "-5"},
        {"url": f"{BASE_URL}/c/c", "maxheight": "1.5"},
    ],
)
def test_a_missing_or_malformed_parameter_is_a_400_with_a_message(client, params):
    make_campaign(slug="c")
    response = oembed(client, **params)
    assert response.status_code == 400
    assert response.get_json()["error"]


def discovery_link(html: str) -> dict:
    [link] = [
        attrs
        for tag, attrs in parsed(html)
        if tag == "link" and attrs.get("type") == "application/json+oembed"
    ]
    return link


@pytest.mark.parametrize(
    ("path", "canonical", "title"),
    [
        ("/c/c", f"{BASE_URL}/c/c", "Test campaign (en)"),
        ("/c/c?lang=ar", f"{BASE_URL}/c/c?lang=ar", "Test campaign (ar)"),
        # A landing with tracking parameters still names the canonical page.
        ("/c/c?lang=en&source=email", f"{BASE_URL}/c/c", "Test campaign (en)"),
    ],
)
def test_the_campaign_page_names_its_oembed_address(client, path, canonical, title):
    make_campaign(slug="c", languages=("en", "ar"))
    link = discovery_link(client.get(path).get_data(as_text=True))
    assert link["rel"] == "alternate" and link["title"] == title
    href = urlsplit(link["href"])
    assert f"{href.scheme}://{href.netloc}{href.path}" == f"{BASE_URL}/oembed"
    assert parse_qs(href.query) == {"url": [canonical], "format": ["json"]}
    # Followed as a consumer would, it answers for the page it was found on.
    answer = client.get(link["href"].removeprefix(BASE_URL)).get_json()
    assert answer["title"] == title
