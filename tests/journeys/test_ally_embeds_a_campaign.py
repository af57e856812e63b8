"""An ally pastes the one-line snippet into its own site; a supporter signs there and confirms.

Issue 15's "done when", in headless Chromium: the host page is on another origin, third-party
cookies are blocked, embed.js inserts and sizes the widget, the campaign lets only its allies'
sites frame it (case 27), and the organiser's dashboard credits the signature to the ally.
"""

import re
import threading

import pytest
from flask import current_app
from sqlalchemy import select
from werkzeug.serving import make_server

from app.core.outbox import send_due_emails
from app.embed.snippets import script_snippet
from app.extensions import db
from app.signatures.models import CONFIRMED, ConsentRecord, Signature
from tests.factories import log_in_as, make_ally, make_campaign_team
from tests.helpers import free_port
from tests.html import parse
from tests.journeys.conftest import PHONE, headless_chromium, live_server  # noqa: F401

QUESTION = "May we tell you about our next meeting?"
# The height embed.js gives the frame before the widget reports its own (static/js/embed.js).
INITIAL_HEIGHT = 800


@pytest.fixture(scope="module")
def browser_without_third_party_cookies():
    """Chromium with third-party cookies blocked, as Safari and Firefox ship."""
    with headless_chromium(["--test-third-party-cookie-phaseout"]) as chromium:
        yield chromium


@pytest.fixture
def tab(browser_without_third_party_cookies):
    context = browser_without_third_party_cookies.new_context(
        viewport=PHONE, is_mobile=True, locale="en"
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def ally_site():
    """The ally's own site on localhost (another site than 127.0.0.1): one page, `html`."""
    page = {}

    def serve(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page["html"].encode()]

    port = free_port()
    server = make_server("localhost", port, serve, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield page, f"http://localhost:{port}"
    server.shutdown()


def frame_height(tab) -> float:
    return tab.evaluate("document.querySelector('iframe').getBoundingClientRect().height")


def wait_for_frame_height(tab, fits: str) -> None:
    """Wait until the frame's height satisfies `fits` (a JS expression of `h`)."""
    tab.wait_for_function(
        f"(() => {{ const f = document.querySelector('iframe');"
        f" const h = f && f.getBoundingClientRect().height; return f && ({fits}); }})()"
    )


def test_an_ally_site_collects_a_signature_the_dashboard_credits_to_the_ally(
    live_server,  # noqa: F811 - the fixture imported above
    tab,
    ally_site,
    smtp,
    client,
):
    page, ally_origin = ally_site
    team = make_campaign_team(campaign_slug="restrooms")
    campaign = team["campaign"]
    campaign.widget_allies_only = True
    make_ally(
        campaign,
        name="Riverside Parents",
        code="riverside",
        sites=[ally_origin],
        contact_question=QUESTION,
    )
    snippet = script_snippet("restrooms", referrer="riverside")
    assert snippet.startswith(f'<script src="{current_app.config["BASE_URL"]}/static/js/embed.js"')
    page["html"] = (
        "<!doctype html><html lang='en'><title>Riverside Parents</title>"
        f"<main><h1>Sign our petition</h1>{snippet}<p>Thank you!</p></main></html>"
    )
    db.session.commit()  # release the test's transaction: the server writes to this database

    tab.goto(ally_origin + "/")
    frame = tab.locator("iframe").element_handle().content_frame()
    frame.wait_for_selector("#name")
    assert frame.url == f"{live_server}/embed/restrooms?referrer=riverside"
    # Sized by the widget's own height message, not left at embed.js's first guess.
    wait_for_frame_height(tab, f"Math.abs(h - {INITIAL_HEIGHT}) > 2")
    content = frame.evaluate("document.documentElement.getBoundingClientRect().height")
    assert abs(frame_height(tab) - content) <= 2
    form_height = frame_height(tab)

    frame.fill("#name", "Sam Rivera")
    frame.fill("#email", "sam@example.org")
    frame.fill("#postcode", "CF10 1AA")
    frame.select_option("#country", "GB")
    assert frame.locator("label[for=ally_contact_consent]").inner_text().strip() == (
        f"Riverside Parents asks: {QUESTION}"
    )
    frame.check("#ally_contact_consent")
    frame.locator("button[type=submit]").click()
    frame.wait_for_selector("h1:text('Check your inbox')")
    # The shorter page shrinks the frame: the height follows the content both ways.
    wait_for_frame_height(tab, f"h < {form_height} - 50")
    assert tab.context.cookies() == []  # signed with no cookie at all (case 28)

    send_due_emails()
    db.session.commit()
    tab.goto(live_server + smtp.confirm_link("sam@example.org"))
    # Asked again, unticked: the mailbox owner's own tick is the consent recorded.
    assert not tab.locator("#ally_contact_consent").is_checked()
    tab.check("#ally_contact_consent")
    tab.locator("form button[type=submit]").click()
    tab.wait_for_selector("h1")

    db.session.rollback()
    signature = db.session.execute(select(Signature)).scalar_one()
    assert (signature.state, signature.source, signature.referrer) == (
        CONFIRMED,
        "embed",
        "riverside",
    )
    ally_consent = db.session.execute(
        select(ConsentRecord).where(ConsentRecord.choice == "ally_contact")
    ).scalar_one()
    assert (ally_consent.given, ally_consent.wording) == (
        True,
        f"Riverside Parents asks: {QUESTION}",
    )

    log_in_as(client, team["viewer"])
    dashboard = client.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    referrers = re.search(r'<table class="table" id="referrers-table">.*?</table>', dashboard, re.S)
    assert re.search(
        r'<bdi class="ally-name">Riverside Parents</bdi>: <bdi dir="ltr">riverside</bdi>'
        r'</th><td class="numeric">1</td>',
        referrers.group(0),
    )
    assert parse(dashboard).table_rows("#sources-table") == [["Embedded widget", "1"]]


def test_a_site_that_is_no_ally_gets_a_blank_frame(live_server, tab, ally_site):  # noqa: F811
    page, _ = ally_site
    team = make_campaign_team(campaign_slug="restrooms")
    team["campaign"].widget_allies_only = True
    make_ally(team["campaign"], code="riverside", sites=["https://riverside.example"])
    page["html"] = (
        "<!doctype html><title>Not an ally</title><body><h1>Not an ally</h1>"
        + script_snippet("restrooms")
    )
    db.session.commit()

    page_url = ally_site[1] + "/"
    with tab.expect_response(lambda r: "/embed/restrooms" in r.url) as framed:
        tab.goto(page_url)
    assert tab.url == page_url
    # The widget answered, with a policy that names only the ally's site (and ours) ...
    policy = framed.value.header_value("content-security-policy")
    assert "frame-ancestors 'self' https://riverside.example" in policy
    # ... so Chromium refused to show it here (case 27): no form in the frame.
    frame = tab.locator("iframe").element_handle().content_frame()
    frame.wait_for_load_state()
    assert frame.locator("#name").count() == 0
