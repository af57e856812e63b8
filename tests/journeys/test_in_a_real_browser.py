"""Headless Chromium, JavaScript off, on a phone-sized screen: sign in Arabic and confirm."""

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app.core.outbox import send_due_emails
from app.extensions import db
from tests.conftest import free_port
from tests.factories import make_campaign

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (make test)")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="needs Debian's chromium (make test)")

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, in a thread."""
    port = free_port()
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["BASE_URL"]
    server.shutdown()


@pytest.fixture
def browser():
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = chromium.new_context(
            java_script_enabled=False, viewport=PHONE, locale="ar", is_mobile=True
        )
        yield context.new_page()
        chromium.close()


def test_arabic_supporter_signs_and_confirms_on_a_phone_without_javascript(
    live_server, browser, smtp
):
    make_campaign(slug="restrooms", languages=("en", "ar"))
    db.session.commit()  # release the test's transaction: the server writes to this database
    page = browser
    page.goto(f"{live_server}/c/restrooms")  # Accept-Language: ar from the browser's locale

    # Right-to-left, mirrored, and nothing wider than the phone's screen.
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    label = page.locator("label[for=name]").bounding_box()
    field = page.locator("#name").bounding_box()
    assert (
        label["x"] + label["width"] > field["x"] + field["width"] - 2
    )  # label starts at the right

    # An empty submission comes back with the error next to the field.
    page.locator("form[action$='/sign'] button[type=submit]").click()
    assert page.locator("#name-error").is_visible()

    page.fill("#name", "ليلى")
    page.fill("#email", "layla@example.org")
    page.fill("#postcode", "Amman")
    page.select_option("#country", "JO")
    page.locator("form[action$='/sign'] button[type=submit]").click()
    assert page.url.endswith("/c/restrooms/check-inbox")
    assert page.locator("html").get_attribute("dir") == "rtl"

    send_due_emails()
    db.session.commit()
    page.goto(live_server + smtp.confirm_link("layla@example.org"))
    page.locator("form button[type=submit]").click()
    assert page.locator("h1").inner_text().strip() != ""
    page.goto(f"{live_server}/c/restrooms")
    assert page.locator("progress").get_attribute("value") == "1"
