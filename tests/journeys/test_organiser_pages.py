"""Organiser pages laid out in Chromium, on a phone and a desktop screen, in English and Arabic.

Tables use the screen's width with headings over their data, the dashboard's chart stays
readable on a phone, and the Share and embed page's widget preview fits its form.
"""

import hashlib
from datetime import timedelta

import pytest

from app.core.database import utcnow
from app.exports import services as exports
from app.exports.models import Export, ExportKind, ExportStatus
from app.extensions import db
from app.organisers.models import Membership, OrganiserSession, Role
from app.signatures.models import CONFIRMED
from app.signatures.services import recount_campaign
from tests.factories import (
    ORGANISER_PASSWORD,
    log_in_as,
    make_campaign,
    make_member,
    make_organisation,
    make_organiser_with_password,
    make_signature,
)
from tests.journeys.conftest import DESKTOP, PHONE

# The public pages' reading column (static/css/site.css: main's max-inline-size).
READING_COLUMN_PX = 46 * 16


@pytest.fixture
def team(app):
    """An organisation's owner and an open campaign in English and Arabic."""
    organisation = make_organisation(slug="team", name="Riverside Parents")
    owner = make_member(organisation, role=Role.OWNER)
    campaign = make_campaign(organisation=organisation, languages=("en", "ar"))
    return owner, campaign


@pytest.fixture
def open_page(app, client, browser, live_server):
    """Open an organiser page in a new browser context, logged in as `organiser`."""
    contexts = []

    def open_page(organiser, path, viewport, language="en", logged_in_minutes_ago=0):
        session = db.session.get(OrganiserSession, log_in_as(client, organiser))
        session.authenticated_at = utcnow() - timedelta(minutes=logged_in_minutes_ago)
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        db.session.commit()  # release the test's transaction: the server reads this database
        context = browser.new_context(
            viewport=viewport, locale=language, is_mobile=viewport is PHONE
        )
        contexts.append(context)
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server}])
        tab = context.new_page()
        tab.goto(live_server + path)
        return tab

    yield open_page
    for context in contexts:
        context.close()


def finished_exports(campaign, organiser) -> None:
    """A delivery PDF (with its SHA-256 and verification page) and a CSV, both ready."""
    now = utcnow()
    for kind in (ExportKind.PDF, ExportKind.CSV):
        db.session.add(
            Export(
                campaign_id=campaign.id,
                kind=kind,
                status=ExportStatus.DONE,
                requested_by_id=organiser.id,
                rows_done=1204,
                rows_total=1204,
                file_size=48_213,
                sha256=hashlib.sha256(kind.encode()).hexdigest() if kind == "pdf" else None,
                verification_code="Vq7Kp2Xw9m" if kind == "pdf" else None,
                finished_at=now,
            )
        )
    db.session.commit()


def exports_path(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.id}/exports"


# What a table's box shows: its own width and what it holds, and each heading's alignment
# next to the alignment of the first cell under it.
TABLE_LAYOUT = """(table) => {
  const box = table.closest(".table-scroll");
  const headings = [...table.tHead.rows[0].cells];
  const firstRow = table.tBodies[0].rows[0].cells;
  return {
    boxWidth: box.clientWidth,
    contentWidth: box.scrollWidth,
    columns: headings.map((th, i) => ({
      heading: th.textContent.trim(),
      headingAlign: getComputedStyle(th).textAlign,
      dataAlign: getComputedStyle(firstRow[i]).textAlign,
      padding: parseFloat(getComputedStyle(firstRow[i]).paddingInlineStart),
    })),
  };
}"""


@pytest.mark.parametrize("language", ["en", "ar"])
def test_on_a_desktop_the_exports_table_uses_the_screen_and_the_hash_wraps(
    team, open_page, language
):
    owner, campaign = team
    finished_exports(campaign, owner)

    tab = open_page(owner, exports_path(campaign), DESKTOP, language)

    layout = tab.locator("#exports-table").evaluate(TABLE_LAYOUT)
    assert layout["boxWidth"] > READING_COLUMN_PX + 200, layout
    # Nothing reaches past the box: the SHA-256 wraps inside its cell.
    assert layout["contentWidth"] <= layout["boxWidth"], layout
    for column in layout["columns"]:
        assert column["headingAlign"] == column["dataAlign"], column
        assert column["padding"] >= 8, column


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_dashboard_headings_line_up_with_their_numbers(team, open_page, language):
    owner, campaign = team

    tab = open_page(owner, "/dashboard", DESKTOP, language)

    layout = tab.locator("main table").first.evaluate(TABLE_LAYOUT)
    aligned = [(c["headingAlign"], c["dataAlign"]) for c in layout["columns"]]
    assert aligned == [("start", "start")] * 3 + [("end", "end")] * 2, layout


@pytest.mark.parametrize("language", ["en", "ar"])
def test_on_a_phone_progress_and_download_show_without_scrolling_the_table(
    team, open_page, language
):
    owner, campaign = team
    finished_exports(campaign, owner)

    tab = open_page(owner, exports_path(campaign), PHONE, language)

    width = tab.evaluate("document.documentElement.clientWidth")
    rows = tab.locator("#exports-table tbody tr")
    for index in range(rows.count()):
        row = rows.nth(index)
        for shown in (row.locator("td").first, row.locator("a[href$='/download']")):
            box = shown.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (index, box)


# Each text element of the chart: its size on the screen (the font size in the SVG's user
# units times the SVG's scale) and whether it lies inside the drawing.
CHART_TEXTS = """(svg) => {
  const frame = svg.getBoundingClientRect();
  return [...svg.querySelectorAll("text")].map((text) => {
    const box = text.getBoundingClientRect();
    return {
      text: text.textContent,
      px: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a,
      inside: box.left >= frame.left - 0.5 && box.right <= frame.right + 0.5,
    };
  });
}"""


@pytest.mark.parametrize("language", ["en", "ar"])
def test_on_a_phone_the_chart_labels_are_at_least_12_px(team, open_page, language):
    owner, campaign = team
    for _ in range(3):
        make_signature(campaign, state=CONFIRMED)
    recount_campaign(campaign)

    tab = open_page(owner, f"/dashboard/campaigns/{campaign.id}", PHONE, language)

    texts = tab.locator("svg.chart").evaluate(CHART_TEXTS)
    assert len(texts) >= 3, texts  # the top figure and the first and last days at least
    for text in texts:
        assert text["px"] >= 12 and text["inside"], text


def test_after_the_password_prompt_the_download_starts_on_the_exports_page(
    team, open_page, live_server
):
    _owner, campaign = team
    editor = make_organiser_with_password()
    db.session.add(
        Membership(organisation_id=campaign.organisation_id, organiser=editor, role=Role.EDITOR)
    )
    make_signature(campaign, state=CONFIRMED)
    export = exports.request_export(campaign, editor, ExportKind.CSV, {})
    exports.run_export(export.id)
    export_id = export.id

    tab = open_page(editor, exports_path(campaign), DESKTOP, logged_in_minutes_ago=60)
    tab.locator("#exports-table a[href$='/download']").click()
    tab.fill("#password", ORGANISER_PASSWORD)
    with tab.expect_download() as download:
        tab.locator("main form[action^='/reauthenticate'] button").click()
        tab.wait_for_selector("#download-started", timeout=10_000)

    assert download.value.suggested_filename.endswith(".csv")
    assert tab.url == f"{live_server}{exports_path(campaign)}?download={export_id}"
    assert "has started" in tab.locator("#download-started").inner_text()
    assert tab.locator("input[type=password]").count() == 0


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_widget_preview_fits_its_form_and_the_qr_code_shows(
    team, open_page, language, viewport
):
    owner, campaign = team

    tab = open_page(owner, f"/dashboard/campaigns/{campaign.id}/share", viewport, language)

    qr = tab.locator("img#qr-code")
    qr.scroll_into_view_if_needed()
    assert qr.evaluate("(img) => img.complete && img.naturalWidth > 0")
    preview = tab.locator("#widget-preview iframe")
    preview.scroll_into_view_if_needed()
    frame = preview.element_handle().content_frame()
    sign = frame.locator("form button[type=submit]")
    sign.wait_for()
    # embed.js sizes the frame from the widget's own height message (it starts at 800 px).
    tab.wait_for_function(
        """() => {
          const frame = document.querySelector("#widget-preview iframe");
          const inner = frame.contentDocument.documentElement.getBoundingClientRect().height;
          return Math.abs(frame.getBoundingClientRect().height - inner) <= 2;
        }"""
    )
    button, box = sign.bounding_box(), preview.bounding_box()
    assert box["y"] <= button["y"] and button["y"] + button["height"] <= box["y"] + box["height"]
    assert frame.evaluate("document.scrollingElement.scrollHeight <= innerHeight + 1")
