"""The site's icon: linked from every page, and at /favicon.ico where browsers ask anyway."""

from xml.etree import ElementTree

from tests.factories import make_campaign
from tests.html import parse


def test_pages_link_the_svg_icon_and_favicon_ico_serves_it(client):
    make_campaign(slug="c")
    for path in ("/", "/c/c", "/login"):
        icon = parse(client.get(path).text).one("link[rel=icon]")
        assert icon.get("href") == "/static/favicon.svg"
        assert icon.get("type") == "image/svg+xml"

    linked = client.get("/static/favicon.svg")
    asked = client.get("/favicon.ico")

    for response in (linked, asked):
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert asked.data == linked.data
    svg = ElementTree.fromstring(asked.data)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 32 32"
    linked.close()
    asked.close()
