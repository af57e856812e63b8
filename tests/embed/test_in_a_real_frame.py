"""Headless Chromium: another site frames the widget, and a supporter signs in the frame.

Cases 27 and 28 as a browser enforces them: the widget renders in a foreign page and signs
with no cookie at all, while the campaign page refuses to be framed.
"""

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.signatures.models import Signature
from tests.conftest import free_port
from tests.factories import make_campaign
from tests.journeys.conftest import DESKTOP, browser, live_server  # noqa: F401 - fixtures


@pytest.fixture
def tab(browser):  # noqa: F811 - the fixture imported above
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP, locale="en")
    yield context.new_page()
    context.close()


@pytest.fixture
def ally_site():
    """Another site, on localhost: a page whose iframe shows the address it is given.

    localhost is another site than 127.0.0.1, yet loopback like it: Chromium lets only a
    page on a local address frame one.
    """
    framed = {}

    def ally_page(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        html = f'<!doctype html><title>Ally</title><h1>Ally</h1><iframe src="{framed["url"]}">'
        return [(html + "</iframe>").encode()]

    port = free_port()
    server = make_server("localhost", port, ally_page, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield framed, f"http://localhost:{port}/"
    server.shutdown()


def open_ally_page_framing(tab, ally_site, url: str):
    """Open the other site's page with `url` in its iframe; the iframe's frame."""
    framed, ally = ally_site
    framed["url"] = url
    tab.goto(ally)
    tab.wait_for_load_state("load")
    return tab.frames[1]


def test_a_supporter_signs_in_a_frame_on_another_site_with_no_cookies(live_server, tab, ally_site):  # noqa: F811
    make_campaign(slug="c")
    db.session.commit()  # release the test's transaction: the server writes to this database
    frame = open_ally_page_framing(tab, ally_site, f"{live_server}/embed/c?referrer=ally-1")
    assert frame.locator("h1").inner_text().strip() == "Test campaign (en)"

    frame.fill("#name", "Ada Lovelace")
    frame.fill("#email", "ada@example.org")
    frame.fill("#postcode", "N1 9GU")
    frame.select_option("#country", "GB")
    # The browser's own Origin and Sec-Fetch-Site for a form posted inside the frame.
    with tab.expect_request(lambda r: r.method == "POST") as posted:
        frame.locator("button[type=submit]").click()
    headers = posted.value.all_headers()
    assert headers.get("origin") == live_server
    assert headers.get("sec-fetch-site") == "same-origin"
    frame.wait_for_load_state("load")
    assert frame.locator("h1").inner_text().strip() == "Check your inbox"

    db.session.rollback()
    signature = db.session.execute(select(Signature)).scalar_one()
    assert (signature.email, signature.source, signature.referrer) == (
        "ada@example.org",
        "embed",
        "ally-1",
    )
    assert tab.context.cookies() == []


def test_the_campaign_page_refuses_to_be_framed(live_server, tab, ally_site):  # noqa: F811
    make_campaign(slug="c")
    db.session.commit()
    frame = open_ally_page_framing(tab, ally_site, f"{live_server}/c/c")
    assert frame.locator("form").count() == 0
    assert not frame.url.startswith(live_server)
