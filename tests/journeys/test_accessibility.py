"""Accessibility in a real browser: axe-core on every public page, and visible focus.

axe runs in English and Arabic, on a phone and a desktop screen; focus indicators must stand
out from what surrounds them (WCAG 2.2: 1.4.11, 2.4.7).
"""

import re
from dataclasses import dataclass

import pytest
from flask_babel import force_locale, gettext

from tests.journeys.conftest import DESKTOP, PHONE
from tests.journeys.visits import TEAM, Visit

axe_sync = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="needs axe-playwright-python (make test)"
)

# A browser context per screen and language. JavaScript is on (the site has none of its
# own): axe.run waits on timers and promises, which never settle with JavaScript off.
# Every page is scanned in both languages; the desktop size in Arabic only, whose layout
# is the English one mirrored, so CI stays near its time limit (the suite has doubled).
SCREENS = {
    "en-phone": {"locale": "en", "viewport": PHONE, "is_mobile": True},
    "ar-phone": {"locale": "ar", "viewport": PHONE, "is_mobile": True},
    "ar-desktop": {"locale": "ar", "viewport": DESKTOP, "is_mobile": False},
}

# Everything axe checks by default, plus WCAG 2.2's target size (2.5.8, level AA), which
# axe leaves off by default.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}

# The outermost elements that reach past the screen's edge, as "tag#id.class" (the report
# of a reflow failure).
WIDER_THAN_THE_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const shown = [...document.body.querySelectorAll("*")].filter(
    (el) => !el.closest(".skip-link, .visually-hidden"));
  const out = shown.filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5);
  });
  return out.filter((el) => !out.includes(el.parentElement)).slice(0, 5).map((el) =>
    el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className
      ? "." + el.className.split(" ").join(".") : ""));
}"""

GLYPH_OVERHANG_PX = 4

CAMPAIGN_TITLE = object()  # the campaign's own title, in the page's language


# One row per public page: (name, how to reach it, the English text of its <h1>). The
# heading proves the scan ran on the intended page, not on an error page in its place.
PAGES = [
    ("campaign-list", lambda v: v.go("/"), "Open campaigns"),
    ("campaign", lambda v: v.go(v.campaign()), CAMPAIGN_TITLE),
    (
        "campaign-sign-errors",
        lambda v: v.go(v.campaign()).submit().expect(".error-summary").expect("#name-error"),
        CAMPAIGN_TITLE,
    ),
    ("campaign-closed", lambda v: v.go(v.campaign(status="closed")), CAMPAIGN_TITLE),
    ("check-inbox", lambda v: v.go(v.campaign("/check-inbox")), "Check your inbox"),
    ("resend", lambda v: v.go(v.campaign("/resend")), "Get a new confirmation link"),
    (
        "resend-error",
        lambda v: v.go(v.campaign("/resend")).submit().expect("#email-error"),
        "Get a new confirmation link",
    ),
    ("confirm", lambda v: v.go(v.confirm_link()), "Confirm your signature"),
    (
        "confirm-errors",
        lambda v: v.go(v.confirm_link()).fill("#name", "").submit().expect(".error-summary"),
        "Confirm your signature",
    ),
    (
        "not-me",
        lambda v: v.go(v.confirm_link() + "/not-me"),
        "Remove a signature you did not make",
    ),
    (
        "not-me-removed",
        lambda v: v.go(v.confirm_link() + "/not-me").submit(),
        "The signature has been removed",
    ),
    (
        "confirmed",
        lambda v: v.go(v.confirm_link()).submit(),
        "Thank you, your signature is confirmed",
    ),
    ("brought", lambda v: v.go(v.brought_link()), "The people you brought"),
    (
        "already-confirmed",
        lambda v: v.go(v.confirm_link()).submit().again(),
        "Your signature is already confirmed",
    ),
    ("expired-link", lambda v: v.go(v.confirm_link(expired=True)), "This link has expired"),
    ("invalid-link", lambda v: v.go("/confirm/not-a-real-token"), "This link does not work"),
    (  # the link opens on a closed campaign; the button's POST then says so
        "not-accepting",
        lambda v: v.go(v.confirm_link(status="closed")).submit(),
        "This petition is closed",
    ),
    ("not-found", lambda v: v.go("/c/no-such-campaign"), "Page not found"),
    ("embed", lambda v: v.go(v.widget()), CAMPAIGN_TITLE),
    (
        "embed-sign-errors",
        lambda v: v.go(v.widget()).submit().expect(".error-summary").expect("#name-error"),
        CAMPAIGN_TITLE,
    ),
    ("embed-closed", lambda v: v.go(v.widget(status="closed")), CAMPAIGN_TITLE),
    ("embed-check-inbox", lambda v: v.go(v.widget("/check-inbox")), "Check your inbox"),
    ("embed-ally-question", lambda v: v.go(v.ally_widget()), CAMPAIGN_TITLE),
    (
        "ally-stats",
        lambda v: v.go(v.ally_stats_link()),
        lambda language: gettext("Signatures brought by %(ally)s", ally=TEAM),
    ),
]


# Organiser pages, public ones first. A heading given as a function is called with the
# page's language (for headings that name something); None checks only that there is one.
ORGANISER_PAGES = [
    ("signup", lambda v: v.go("/signup"), "Create an organiser account"),
    (
        "signup-errors",
        lambda v: v.go("/signup").submit("main form").expect(".error-summary"),
        "Create an organiser account",
    ),
    ("login", lambda v: v.go("/login"), "Log in"),
    (
        "login-errors",
        lambda v: v.go("/login").submit("main form").expect(".error-summary"),
        "Log in",
    ),
    ("reset", lambda v: v.go("/reset"), "Reset your password"),
    ("reset-link-invalid", lambda v: v.go("/reset/nope"), "This link does not work"),
    (
        "invitation-invalid",
        lambda v: v.go("/invitations/not-a-token"),
        "This invitation link is not valid or has expired",
    ),
    (
        "two-step",
        lambda v: v.log_in(two_factor=True, second_step=False).expect("#code"),
        "Two-step login",
    ),
    ("dashboard", lambda v: v.organiser_page("/dashboard"), "Dashboard"),
    (
        "campaign-figures",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}"),
        CAMPAIGN_TITLE,
    ),
    (
        "campaign-signatures",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/signatures"),
        lambda language: gettext("Signatures: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "campaign-names-to-review",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/signatures?review=names"),
        lambda language: gettext("Signatures: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "campaign-review",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/review?held_rule=same_ip"),
        lambda language: gettext("Review: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "campaign-review-errors",
        lambda v: (
            v.organiser_page("/dashboard/campaigns/{campaign}/review?held_rule=same_ip")
            .press("main #action-form button[value=invalidate]")
            .expect(".error-summary")
        ),
        lambda language: gettext("Review: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "campaign-share",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/share"),
        lambda language: gettext("Share and embed: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "campaign-share-errors",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/share?source=no+spaces"),
        lambda language: gettext("Share and embed: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "allies",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/allies"),
        lambda language: gettext("Allies: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "ally-new-errors",
        lambda v: (
            v.organiser_page("/dashboard/campaigns/{campaign}/allies/new")
            .fill("#sites", "https://example.org/page")
            .submit("main form[action$='/allies/new']")
            .expect(".error-summary")
            .expect("#sites-error")
        ),
        "Add an ally",
    ),
    (
        "campaign-new",
        lambda v: v.organiser_page("/organisations/team/campaigns/new"),
        "New campaign",
    ),
    (
        "campaign-new-errors",
        lambda v: (
            v.organiser_page("/organisations/team/campaigns/new")
            .submit("main form[action$='/new']")
            .expect(".error-summary")
        ),
        "New campaign",
    ),
    (
        "campaign-settings",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/edit"),
        "Campaign settings",
    ),
    (
        "campaign-text-ar",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/text/ar"),
        None,  # "Texts in العربية": the heading names the language
    ),
    (
        "campaign-preview",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/preview"),
        None,
    ),
    (
        "campaign-delivery-errors",
        lambda v: (
            v.organiser_page("/dashboard/campaigns/{campaign}/delivery")
            .submit("main form[action$='/delivery']")
            .expect(".error-summary")
        ),
        "Record the delivery",
    ),
    (
        "campaign-delivery-of-a-draft",
        lambda v: v.organiser_page("/dashboard/campaigns/{draft}/delivery").expect(
            ".error-summary"
        ),
        "Record the delivery",
    ),
    (
        "campaign-unpublish",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/unpublish", admin=True),
        "Unpublish a campaign",
    ),
    (
        "organisation-new",
        lambda v: v.organiser_page("/organisations/new"),
        "Create an organisation",
    ),
    ("organisation", lambda v: v.organiser_page("/organisations/team"), TEAM),
    (
        "members",
        lambda v: v.organiser_page("/organisations/team/members"),
        lambda language: gettext("Members of %(name)s", name=TEAM),
    ),
    (
        "organisation-settings",
        lambda v: v.organiser_page("/organisations/team/settings"),
        lambda language: gettext("Settings of %(name)s", name=TEAM),
    ),
    (
        "audit",
        lambda v: v.organiser_page("/organisations/team/audit"),
        lambda language: gettext("Audit log of %(name)s", name=TEAM),
    ),
    ("account", lambda v: v.organiser_page("/account"), "Your account"),
    (
        "two-factor-setup",
        lambda v: v.organiser_page("/account/two-factor"),
        "Turn on two-step login",
    ),
    (
        "two-factor-on",
        lambda v: v.organiser_page("/account/two-factor", two_factor=True),
        "Two-step login",
    ),
    (
        "recovery-codes-renew-errors",
        lambda v: (
            v.organiser_page("/account/two-factor", two_factor=True)
            .submit("main form[action$='/recovery-codes']")
            .expect(".error-summary")
        ),
        "Two-step login",
    ),
    (
        "exports",
        lambda v: v.organiser_page("/dashboard/campaigns/{campaign}/exports"),
        lambda language: gettext("Exports: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "exports-of-a-draft",
        lambda v: v.organiser_page("/dashboard/campaigns/{draft}/exports").expect(
            "#no-delivery-pdf"
        ),
        lambda language: gettext("Exports: %(title)s", title=f"Test campaign ({language})"),
    ),
    (
        "export-status",
        lambda v: (
            v.organiser_page("/dashboard/campaigns/{campaign}/exports/{export}")
            .expect("#export-status")
            .expect("#export-progress")
        ),
        None,  # "Export 1": the heading names the export
    ),
    ("reauthenticate", lambda v: v.organiser_page("/reauthenticate"), "Confirm it is you"),
    ("verification", lambda v: v.go(v.delivery_document()), "Check a delivery document"),
    ("site-settings", lambda v: v.organiser_page("/admin/settings", admin=True), "Site settings"),
    (
        "signing-lists",
        lambda v: v.organiser_page("/admin/signing-lists", admin=True),
        "Block and allow lists for signing",
    ),
]


@dataclass
class Screen:
    """A browser context with one screen size and language."""

    context: object  # playwright.sync_api.BrowserContext
    language: str


@pytest.fixture(scope="module", params=list(SCREENS), ids=list(SCREENS))
def screen(request, browser):
    """One context per screen size and language, shared by the module's tests."""
    options = SCREENS[request.param]
    context = browser.new_context(**options)
    yield Screen(context, options["locale"])
    context.close()


@pytest.fixture
def tab(screen):
    """A fresh tab with no cookies: no session, no remembered language from another test."""
    screen.context.clear_cookies()
    page = screen.context.new_page()
    yield page
    page.close()


def violation_report(violations: list) -> str:
    """One paragraph per violation: what it is, how bad, where, and how to fix it."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  target: {' '.join(map(str, node['target']))}")
            lines.append(f"    {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("    " + node["failureSummary"].replace("\n", "\n    "))
    return "\n".join(lines)


ALL_PAGES = PAGES + ORGANISER_PAGES


@pytest.mark.parametrize(("name", "reach", "heading"), ALL_PAGES, ids=[r[0] for r in ALL_PAGES])
def test_page_has_no_accessibility_violations(app, live_server, screen, tab, name, reach, heading):
    reach(Visit(tab, live_server, app))
    language = screen.language
    assert tab.locator("html").get_attribute("lang") == language
    if heading is CAMPAIGN_TITLE:
        expected = f"Test campaign ({language})"  # tests/factories.py's title
    else:
        with force_locale(language):
            expected = heading(language) if callable(heading) else gettext(heading or "")
    if heading is not None:
        assert tab.locator("h1").inner_text().strip() == expected
    else:
        assert tab.locator("h1").count() == 1

    # WCAG 1.4.10 (reflow): nothing wider than the screen, so no sideways scrolling on a
    # phone; a long link or a table must wrap or scroll inside its own box.
    overflow = tab.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    # A few pixels are glyphs that overhang their line (Arabic letters at a line's end), not
    # a box wider than the screen: no reader scrolls for them.
    if overflow > GLYPH_OVERHANG_PX:
        pytest.fail(
            f"{name} ({language}) is {overflow}px wider than the screen: "
            + ", ".join(tab.evaluate(WIDER_THAN_THE_SCREEN)),
            pytrace=False,
        )

    results = axe_sync.Axe().run(tab, options=AXE_OPTIONS)
    violations = results.response["violations"]
    if violations:
        pytest.fail(f"{name} ({language}):\n" + violation_report(violations), pytrace=False)


# A smaller phone than PHONE (iPhone SE and mini, many Android phones).
NARROW_PHONE = {"width": 375, "height": 667}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_verification_page_fits_a_narrow_phone(app, live_server, browser, language):
    """No box of /v/<code> reaches past a 375 px screen, by a pixel or more, either side.

    The scan above allows a few pixels of overflow for Arabic glyphs that overhang their
    line; boxes have no such excuse. The page's command list once had dir="ltr" items, whose
    bullets hung off the left edge of the Arabic page (3 px, under that allowance).
    """
    context = browser.new_context(locale=language, viewport=NARROW_PHONE, is_mobile=True)
    tab = context.new_page()
    visit = Visit(tab, live_server, app)
    visit.go(visit.delivery_document() + f"?lang={language}")
    overflow = tab.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    sticking_out = tab.evaluate(WIDER_THAN_THE_SCREEN)
    context.close()
    assert (overflow, sticking_out) == (0, [])


def test_the_scan_reports_a_violation(browser):
    """Guards the options above: a scan that checked nothing would pass every page."""
    page = browser.new_page()
    page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><img src="x"></main>')
    violations = axe_sync.Axe().run(page, options=AXE_OPTIONS).response["violations"]
    page.close()
    assert [v["id"] for v in violations] == ["image-alt"]


# Focus indicators ------------------------------------------------------------------------

# The focused element's outline, and what lies under the middle of the outline's band on
# each side: the outline itself is not hit-tested, so elementFromPoint finds what it is
# drawn over. Each sample lists the background colours from that element up to <html>.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const band = parseFloat(style.outlineOffset) + parseFloat(style.outlineWidth) / 2;
  const points = [
    [box.left + box.width / 2, box.top - band], [box.left + box.width / 2, box.bottom + band],
    [box.left - band, box.top + box.height / 2], [box.right + band, box.top + box.height / 2],
  ];
  const samples = [];
  for (const [x, y] of points) {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    const layers = [];
    for (let node = document.elementFromPoint(x, y); node; node = node.parentElement) {
      layers.push(getComputedStyle(node).backgroundColor);
    }
    samples.push(layers);
  }
  let kind = el.tagName.toLowerCase();
  if (kind === "input") kind += `[${el.type}${el.readOnly ? ",readonly" : ""}]`;
  if (el.classList.contains("skip-link")) kind = "skip link";
  if (el.closest(".site-header")) kind = "header " + kind;
  return {
    kind, html: el.outerHTML.slice(0, 120), style: style.outlineStyle,
    width: parseFloat(style.outlineWidth), color: style.outlineColor, samples,
  };
}"""

# Every kind of focusable element the campaign page has, in the header and in the main area.
FOCUSABLE_KINDS = {
    "skip link",
    "header a",
    "a",
    "input[text]",
    "input[email]",
    "select",
    "input[checkbox]",
    "button",
    "input[text,readonly]",
}


def parse_colour(css: str) -> tuple[float, float, float, float]:
    """(r, g, b, alpha) from a computed colour, rgb() or rgba()."""
    match = re.fullmatch(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)", css)
    assert match, f"unexpected computed colour {css!r}"
    red, green, blue, alpha = match.groups()
    return float(red), float(green), float(blue), float(alpha if alpha is not None else 1)


def flatten(layers: list[str]) -> tuple[float, float, float]:
    """The colour seen through background layers (topmost first) over a white canvas."""
    seen = (255.0, 255.0, 255.0)
    for css in reversed(layers):
        *rgb, alpha = parse_colour(css)
        seen = tuple(
            alpha * top + (1 - alpha) * below for top, below in zip(rgb, seen, strict=True)
        )
    return seen


def relative_luminance(rgb) -> float:
    """WCAG 2.2's relative luminance of an sRGB colour given as 0-255 channels."""
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (x / 255 for x in rgb)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first, second) -> float:
    """WCAG 2.2's contrast ratio, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_ratio_follows_wcag():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    # The old focus outline, #ffbf47 on white.
    assert contrast_ratio((0xFF, 0xBF, 0x47), (255, 255, 255)) == pytest.approx(1.6, abs=0.05)
    assert flatten(["rgba(0, 0, 0, 0)", "rgb(27, 27, 31)"]) == (27, 27, 31)


def test_every_focus_indicator_contrasts_with_its_surroundings(app, live_server, screen, tab):
    visit = Visit(tab, live_server, app)
    visit.go(visit.campaign())
    seen, failures = set(), []
    for _ in range(60):
        tab.keyboard.press("Tab")
        focused = tab.evaluate(FOCUSED)
        if focused is None:  # past the last element, focus leaves the page
            break
        seen.add(focused["kind"])
        *outline, alpha = parse_colour(focused["color"])
        ratios = [contrast_ratio(outline, flatten(layers)) for layers in focused["samples"]]
        if (
            focused["style"] in ("none", "hidden")
            or focused["width"] < 2
            or alpha < 1
            or not ratios
            or min(ratios) < 3
        ):
            failures.append(
                f"{focused['kind']}: outline {focused['style']} {focused['width']}px "
                f"{focused['color']}, contrast {[round(r, 2) for r in ratios]}: {focused['html']}"
            )
    assert FOCUSABLE_KINDS <= seen, f"never reached by Tab: {FOCUSABLE_KINDS - seen}"
    assert not failures, "focus indicators under 3:1 (or missing):\n" + "\n".join(failures)
