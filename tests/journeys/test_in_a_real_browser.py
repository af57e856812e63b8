"""Headless Chromium, JavaScript off, on a phone-sized screen: sign in Arabic and confirm."""

import pytest

from app.core.outbox import send_due_emails
from app.extensions import db
from tests.factories import make_campaign
from tests.journeys.conftest import PHONE

# The exact Arabic heading of the thank-you page (app/translations/ar/LC_MESSAGES/messages.po).
THANK_YOU_AR = "شكرًا لك، تم تأكيد توقيعك"


@pytest.fixture
def page(browser):
    """A phone in Arabic with JavaScript off: the supporter the journey follows."""
    context = browser.new_context(
        java_script_enabled=False, viewport=PHONE, locale="ar", is_mobile=True
    )
    yield context.new_page()
    context.close()


def test_arabic_supporter_signs_and_confirms_on_a_phone_without_javascript(live_server, page, smtp):
    make_campaign(slug="restrooms", languages=("en", "ar"))
    db.session.commit()  # release the test's transaction: the server writes to this database
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
    assert page.locator("h1").inner_text().strip() == THANK_YOU_AR
    assert page.locator("html").get_attribute("lang") == "ar"
    page.goto(f"{live_server}/c/restrooms")
    assert page.locator("progress").get_attribute("value") == "1"
