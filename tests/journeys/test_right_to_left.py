"""The organiser's pages in Arabic, in Chromium, with screenshots to look at.

Left-to-right values read in order and table headings line up with their columns. Each page
is saved as test-artifacts/rtl-<page>-<screen>.png (full page) for a person to check what no
assertion catches: punctuation, alignment, icons and bullets.
"""

import os
from pathlib import Path

import pytest

from app.core.database import utcnow
from app.exports.models import Export, ExportKind, ExportStatus
from app.extensions import db
from tests.factories import make_signature
from tests.journeys.conftest import DESKTOP, PHONE
from tests.journeys.visits import Visit

ARTEFACTS = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts"))

# The Arabic organiser pages, by name: each path has {campaign} filled in.
PAGES = {
    "dashboard": "/dashboard",
    "campaign": "/dashboard/campaigns/{campaign}",
    "share": "/dashboard/campaigns/{campaign}/share",
    "allies": "/dashboard/campaigns/{campaign}/allies",
    "editor-text-ar": "/dashboard/campaigns/{campaign}/text/ar",
    "editor-text-en": "/dashboard/campaigns/{campaign}/text/en",
    "exports": "/dashboard/campaigns/{campaign}/exports",
    "members": "/organisations/team/members",
    "audit": "/organisations/team/audit",
}

# Every element that keeps a value left to right, visible and on one line: its first and last
# characters as the reader sees them, which must be in reading order from the left.
ISOLATED_VALUES = """() => {
  const found = [];
  for (const el of document.querySelectorAll("main bdi[dir=ltr], main code")) {
    if (el.closest(".visually-hidden, details:not([open])")) continue;
    const text = el.textContent;
    const first = text.search(/\\S/);
    const last = text.length - 1 - [...text].reverse().join("").search(/\\S/);
    if (first < 0 || last <= first) continue;
    const node = document.createTreeWalker(el, NodeFilter.SHOW_TEXT).nextNode();
    if (!node || node.textContent !== text) continue;  // a value is one piece of text
    const box = (i) => { const r = document.createRange(); r.setStart(node, i);
      r.setEnd(node, i + 1); return r.getBoundingClientRect(); };
    const a = box(first), b = box(last);
    if (!a.width || Math.abs(a.top - b.top) > 2) continue;  // hidden, or wrapped
    found.push({text: text.trim(), first: a.left, last: b.left});
  }
  return found;
}"""

# The side each column's heading and its first cell are aligned to.
TABLE_SIDES = """() => {
  const side = (el) => {
    const style = getComputedStyle(el);
    const rtl = style.direction === "rtl";
    const align = style.textAlign;
    if (align === "start") return rtl ? "right" : "left";
    if (align === "end") return rtl ? "left" : "right";
    return align.replace("-internal-", "").replace("-webkit-", "");
  };
  const rows = [];
  for (const table of document.querySelectorAll("main table")) {
    const heads = table.querySelectorAll("thead th");
    const first = table.querySelector("tbody tr");
    if (!first || first.children.length !== heads.length) continue;
    heads.forEach((th, i) => {
      if (!th.textContent.trim() || th.querySelector(".visually-hidden")) return;
      rows.push({heading: th.textContent.trim(), head: side(th), cell: side(first.children[i])});
    });
  }
  return rows;
}"""


@pytest.fixture(scope="module", params=["desktop", "phone"])
def arabic_screen(request, browser):
    """An Arabic browser context at desktop or phone size."""
    viewport = DESKTOP if request.param == "desktop" else PHONE
    context = browser.new_context(
        locale="ar", viewport=viewport, is_mobile=request.param == "phone"
    )
    yield request.param, context
    context.close()


def with_an_export(campaign_id: int) -> None:
    """A finished delivery PDF and signatures from a share channel, for the pages to show."""
    from app.campaigns.models import Campaign

    campaign = db.session.get(Campaign, campaign_id)
    make_signature(campaign, state="confirmed", source="whatsapp", referrer="choir")
    db.session.add(
        Export(
            campaign_id=campaign_id,
            kind=ExportKind.PDF,
            status=ExportStatus.DONE,
            verification_code="Vq7Kp2Xw9m",
            sha256="3f" * 32,
            file_size=123_456,
            confirmed_count=4,
            period_start=utcnow(),
            period_end=utcnow(),
            finished_at=utcnow(),
        )
    )
    db.session.commit()


@pytest.mark.parametrize("page", list(PAGES))
def test_arabic_organiser_page(app, live_server, arabic_screen, page):
    screen, context = arabic_screen
    context.clear_cookies()
    tab = context.new_page()
    visit = Visit(tab, live_server, app)
    visit.log_in()
    with_an_export(visit.campaign_id)
    visit.go(PAGES[page].format(campaign=visit.campaign_id) + "?lang=ar")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTEFACTS / f"rtl-{page}-{screen}.png"), full_page=True)

    assert tab.locator("html").get_attribute("dir") == "rtl"
    reversed_values = [v for v in tab.evaluate(ISOLATED_VALUES) if v["first"] > v["last"]]
    misaligned = [r for r in tab.evaluate(TABLE_SIDES) if r["head"] != r["cell"]]
    tab.close()
    assert not reversed_values, f"read right to left: {reversed_values}"
    assert not misaligned, f"headings aligned apart from their columns: {misaligned}"
