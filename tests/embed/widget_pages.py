"""The widget as an ally's page gets it: its tags, its framing headers, signing in it."""

from html.parser import HTMLParser

from tests.factories import form_as_shown, sign_form


def parsed(html: str) -> list[tuple[str, dict]]:
    """The start tags of `html` with their attributes, as a browser reads them."""
    tags = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))

    Collect().feed(html)
    return tags


def assert_frameable_by_any_site(response):
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "frame-ancestors 'none'" not in csp
    assert "X-Frame-Options" not in response.headers
    # The rest of the policy is the site's: no inline scripts in the frame either.
    assert "script-src 'self'" in csp and "default-src 'self'" in csp


def assert_unframeable(response):
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def widget_form(client, path="/embed/c") -> dict:
    """The widget's form fields as rendered (token, stamp, referrer), before typing."""
    fields = form_as_shown(client.get(path).get_data(as_text=True))
    assert fields.get("form_token"), "no form token at " + path
    return fields


def sign_in_widget(client, slug="c", query="", headers=None, **changes):
    fields = widget_form(client, f"/embed/{slug}{query}")
    data = {**fields, **sign_form(**changes)}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/embed/{slug}/sign{query}", data=data, headers=headers or {})
