"""After a failed submit the error summary takes focus, with and without JavaScript."""

import pytest

from app.extensions import db
from tests.factories import make_campaign
from tests.journeys.conftest import PHONE


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_the_error_summary_takes_focus_and_links_to_each_field(
    app, live_server, browser, javascript
):
    expect = pytest.importorskip("playwright.sync_api").expect
    make_campaign(slug="c")
    db.session.commit()  # the server reads this database from its own threads
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    tab = context.new_page()
    try:
        tab.goto(f"{live_server}/c/c")
        tab.fill("#email", "not-an-email")
        tab.locator("form[action$='/sign'] button[type=submit]").click()
        assert tab.title().startswith("Error: ")
        # Browsers apply autofocus at their next rendering step, just after the load event.
        # expect() polls from Playwright's own injected script: a wait_for_function string
        # would be evaluated by the page, which our CSP (no 'unsafe-eval') refuses.
        expect(tab.locator(".error-summary")).to_be_focused(
            timeout=10000  # a loaded machine can take seconds to render
        )
        tab.locator(".error-summary a[href='#email']").click()
        assert tab.evaluate("document.activeElement.id") == "email"
        assert tab.input_value("#email") == "not-an-email"  # what was typed is kept
    finally:
        context.close()
