"""Public pages: list, campaign page, languages and right-to-left, safe output, headers."""

import re
from html.parser import HTMLParser

import pytest

from app.signatures.models import CONFIRMED
from tests.factories import make_campaign, make_signature, submit_signature


def test_index_lists_open_campaigns_with_count_and_progress(client):
    campaign = make_campaign(slug="open-one", goal=4)
    make_campaign(slug="closed-one", status="closed")
    make_campaign(slug="draft-one", status="draft")
    make_signature(campaign, state=CONFIRMED)
    html = client.get("/").get_data(as_text=True)
    assert "/c/open-one" in html and "/c/closed-one" not in html and "/c/draft-one" not in html
    assert "1 signature" in html and "of 4 needed" in html
    assert '<progress max="4" value="1"' in html


def test_campaign_page_shows_everything_a_supporter_needs(client):
    from datetime import timedelta

    from app.core.database import utcnow

    campaign = make_campaign(slug="c", goal=10, deadline=utcnow() + timedelta(days=30))
    make_signature(campaign, state=CONFIRMED, name="Shown Sam", postcode="Leeds", public=True)
    make_signature(campaign, state=CONFIRMED, name="Hidden Hal", public=False)
    html = client.get("/c/c").get_data(as_text=True)
    for expected in (
        "Test campaign (en)",
        "Target (en)",
        "Mayor",
        "City Hall",
        "Summary in en.",
        "The petition text.",
        "2 signatures",
        "of 10 needed",
        "Open until",
        "<bdi>Shown Sam</bdi>, <bdi>Leeds</bdi>",
        'action="/c/c/sign"',
        'name="csrf_token"',
    ):
        assert expected in html, expected
    assert "Hidden Hal" not in html


@pytest.mark.parametrize("slug", ["does-not-exist", "draft-one"])
def test_unknown_or_draft_campaign_is_a_404_page(client, slug):
    make_campaign(slug="draft-one", status="draft")
    response = client.get(f"/c/{slug}")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


class FormAudit(HTMLParser):
    """Collects inputs and labels, to check every input has a label."""

    def __init__(self):
        super().__init__()
        self.inputs, self.labels = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.inputs.append(attrs.get("id"))
        if tag == "label":
            self.labels.add(attrs.get("for"))


def test_every_input_has_a_label_and_the_page_works_without_javascript(client):
    make_campaign(slug="c")
    html = client.get("/c/c").get_data(as_text=True)
    audit = FormAudit()
    audit.feed(html)
    assert audit.inputs and all(i in audit.labels for i in audit.inputs)
    # A plain HTML form: nothing depends on JavaScript. The one script, our own and
    # deferred, only adds copy and share buttons (hidden until it has checked they work).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/share.js" defer>']
    assert " on" + "click=" not in html and '<p class="share__actions" hidden>' in html
    assert 'name="viewport"' in html


def test_arabic_page_is_right_to_left_with_arabic_interface(client):
    make_campaign(slug="c", languages=("en", "ar"))
    html = client.get("/c/c?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "Test campaign (ar)" in html and "Target (ar)" in html
    assert "Sign this petition" not in html and "Full name" not in html  # interface translated
    assert "<bdi>Target (ar)</bdi>" in html


def test_language_comes_from_query_then_cookie_then_accept_language(client):
    make_campaign(slug="c", languages=("en", "ar"))
    assert 'lang="ar"' in client.get("/c/c", headers={"Accept-Language": "ar,en;q=0.5"}).get_data(
        as_text=True
    )
    assert '<html lang="en"' in client.get(
        "/c/c?lang=en", headers={"Accept-Language": "ar"}
    ).get_data(as_text=True)
    # ?lang=en was remembered: later pages use it, whatever Accept-Language says.
    assert '<html lang="en"' in client.get("/c/c", headers={"Accept-Language": "ar"}).get_data(
        as_text=True
    )
    client.get("/c/c?lang=ar")
    assert '<html lang="ar" dir="rtl">' in client.get("/").get_data(as_text=True)


def test_campaign_without_the_visitors_language_falls_back_to_its_default(client):
    make_campaign(slug="c", languages=("en",))
    html = client.get("/c/c?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html  # interface in Arabic
    assert 'class="campaign__text" lang="en" dir="ltr"' in html  # content marked as English


def test_language_switcher_links_every_language(client):
    make_campaign(slug="c", languages=("en", "ar"))
    html = client.get("/c/c").get_data(as_text=True)
    assert 'href="/c/c?lang=ar"' in html and "العربية" in html
    assert '<span aria-current="true" lang="en" dir="ltr">English</span>' in html


def test_script_in_a_signers_name_is_inert(client):
    """Case 12: hostile names are escaped wherever they are shown."""
    campaign = make_campaign(slug="c")
    make_signature(
        campaign,
        state=CONFIRMED,
        public=True,
        name='"><svg onload=alert(1)>',
        postcode="<script>alert(2)</script>",
    )
    html = client.get("/c/c").get_data(as_text=True)
    assert "<svg onload" not in html and "<script>alert(2)" not in html
    assert "&#34;&gt;&lt;svg onload=alert(1)&gt;" in html


def test_script_and_remote_resources_in_petition_text_are_dropped(client):
    """Cases 12 and 13 for the page: no script, no remote image, no CSS import survives."""
    body = (
        "Hello <script>alert(1)</script> <img src=http://169.254.169.254/latest/meta-data>\n\n"
        '<style>@import url(file:///etc/passwd);</style> <a href="javascript:alert(1)">x</a>\n\n'
        "<link rel=attachment href=file:///etc/passwd> [ok](https://example.org) **bold**"
    )
    make_campaign(slug="c", body=body)
    html = client.get("/c/c").get_data(as_text=True)
    body_html = html[html.index('class="campaign__body"') : html.index('class="share"')]
    for forbidden in (
        "<script",
        "alert(1)</script>",
        "<img",
        "169.254",
        "@import",
        "javascript:",
        "<link rel=attachment",
        "<style",
    ):
        assert forbidden not in body_html, forbidden
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in body_html
    assert "<strong>bold</strong>" in body_html


def test_security_headers_on_every_page(client):
    make_campaign(slug="c")
    for path in ("/", "/c/c", "/c/missing"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_confirmation_pages_leak_no_referrer_and_are_not_cached(client):
    make_campaign(slug="c")
    response = client.get("/confirm/whatever")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("config_overrides", [{"SESSION_COOKIE_SECURE": True}])
def test_cookies_are_secure_httponly_and_samesite(client):
    make_campaign(slug="c")
    cookies = client.get("/c/c?lang=ar").headers.getlist("Set-Cookie")
    assert cookies
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_sign_form_errors_keep_what_was_typed(client):
    make_campaign(slug="c")
    html = submit_signature(client, "c", email="not-an-email", name="Keep Me").get_data(
        as_text=True
    )
    assert 'value="Keep Me"' in html and 'value="not-an-email"' in html
    assert re.search(r'id="email"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="email"', html)
