"""Sharing: plain links that carry their channel, and the tags social sites read."""

import re
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

from tests.factories import make_campaign
from tests.helpers import BASE_URL


def meta(html: str, key: str) -> list[str]:
    pattern = rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"'
    return [unescape(value) for value in re.findall(pattern, html)]


def links(html: str, rel: str) -> list[tuple[str, str]]:
    pattern = r'<link rel="' + rel + r'"(?: hreflang="([^"]+)")? href="([^"]+)"'
    found = re.findall(pattern, html)
    return [(lang, unescape(href)) for lang, href in found]


def test_social_tags_name_the_page_without_tracking_parameters(client):
    make_campaign(slug="c", languages=("en", "ar"))
    html = client.get("/c/c?source=whatsapp&utm_source=x&referrer=abc").get_data(as_text=True)
    assert meta(html, "og:url") == [f"{BASE_URL}/c/c"]
    assert links(html, "canonical") == [("", f"{BASE_URL}/c/c")]
    assert meta(html, "og:title") == ["Test campaign (en)"]
    assert meta(html, "og:locale") == ["en_US"] and meta(html, "og:locale:alternate") == ["ar_EG"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    image = meta(html, "og:image")
    assert image and re.fullmatch(rf"{re.escape(BASE_URL)}/c/c/share-en-\d+\.png", image[0])
    assert meta(html, "twitter:image") == image
    assert (meta(html, "og:image:width"), meta(html, "og:image:height")) == (["1200"], ["630"])
    assert meta(html, "og:image:alt") == ["Test campaign (en)"]
    with client.get(image[0].removeprefix(BASE_URL)) as picture:
        assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert set(links(html, "alternate")) == {
        ("en", f"{BASE_URL}/c/c?lang=en"),
        ("ar", f"{BASE_URL}/c/c?lang=ar"),
        ("x-default", f"{BASE_URL}/c/c"),
    }
    arabic = client.get("/c/c?lang=ar").get_data(as_text=True)
    assert meta(arabic, "og:url") == [f"{BASE_URL}/c/c?lang=ar"]
    assert meta(arabic, "og:locale") == ["ar_EG"]
    assert "/share-ar-" in meta(arabic, "og:image")[0]


def test_every_share_link_carries_its_channel(client):
    make_campaign(slug="c")
    html = client.get("/c/c").get_data(as_text=True)
    share = html[html.index('class="share__links"') :]
    hrefs = [unescape(h) for h in re.findall(r'<a href="([^"]+)"', share)]
    channels = {}
    for href in hrefs[:6]:
        target = unquote(unquote(href))
        source = re.search(rf"{re.escape(BASE_URL)}/c/c\?source=(\w+)", target)
        assert source, href
        channels[urlsplit(href).scheme + ":" + urlsplit(href).netloc] = source.group(1)
    assert channels == {
        "mailto:": "email",
        "https:wa.me": "whatsapp",
        "https:t.me": "telegram",
        "https:bsky.app": "bluesky",
        "https:www.facebook.com": "facebook",
        "https:x.com": "x",
    }
    box = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', html).group(1)
    assert parse_qs(urlsplit(unescape(box)).query) == {"source": ["link"]}
    # Nothing from another site runs on the page: the only script is our own.
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/js/share.js"]
