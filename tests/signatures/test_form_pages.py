"""Pages with forms: error summary and title, and a language switcher that always works."""

import re

import pytest

from app.signatures.signing import confirmation_token
from tests.factories import csrf_token, make_campaign, make_signature, submit_signature


def switcher_links(html: str) -> list[str]:
    nav = html[html.index('class="language-switcher"') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


def test_a_failed_submit_has_an_error_title_and_a_summary_linking_each_field(client):
    make_campaign(slug="c")
    response = submit_signature(client, "c", name="", email="nope")
    html = response.get_data(as_text=True)
    assert re.search(r"<title>Error: ", html)
    summary = html[html.index('class="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert '<a href="#name">Enter your name.</a>' in summary
    assert '<a href="#email">Enter a valid email address' in summary
    # The summary comes before the form.
    assert html.index('class="error-summary"') < html.index('<form method="post"')
    assert not re.search(r"<title>Error: ", client.get("/c/c").get_data(as_text=True))


def test_the_arabic_error_title_is_translated(client):
    make_campaign(slug="c", languages=("en", "ar"))
    html = submit_signature(client, "c", name="", lang="ar").get_data(as_text=True)
    assert re.search(r"<title>خطأ: ", html)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_language_switcher_on_every_page_leads_to_a_working_page(client, language):
    campaign = make_campaign(slug="c", languages=("en", "ar"))
    link = f"/confirm/{confirmation_token(make_signature(campaign))}"
    pages = {
        "list": client.get(f"/?lang={language}"),
        "campaign": client.get(f"/c/c?lang={language}"),
        "sign with errors": submit_signature(client, "c", name="", lang=language),
        "check inbox": client.get("/c/c/check-inbox"),
        "resend": client.get("/c/c/resend"),
        "resend with errors": client.post(
            "/c/c/resend", data={"csrf_token": csrf_token(client, "/c/c/resend"), "email": "x"}
        ),
        "confirm": client.get(link),
        "not me": client.get(f"{link}/not-me"),
        "invalid link": client.get("/confirm/bad"),
        "not found": client.get("/nowhere"),
    }
    for name, response in pages.items():
        links = switcher_links(response.get_data(as_text=True))
        assert len(links) == 1, name  # the other language; the current one is not a link
        for href in links:
            status = client.get(href.replace("&amp;", "&")).status_code
            expected = 404 if name in ("invalid link", "not found") else 200
            assert status == expected, (name, href, status)
