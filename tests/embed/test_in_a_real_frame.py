"""Headless Chromium: another site frames the widget, and a supporter signs in the frame.

Cases 27 and 28 as a browser enforces them: the widget renders in a foreign page and signs
with no cookie at all, while the campaign page refuses to be framed. Case 31: embed.js sizes
the frame from the widget's own messages only, and the host page cannot read the frame.
"""

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.embed.snippets import script_snippet
from app.extensions import db
from app.signatures.models import Signature
from tests.factories import make_campaign
from tests.helpers import free_port
from tests.journeys.conftest import DESKTOP, browser, live_server  # noqa: F401 - fixtures


@pytest.fixture
def tab(browser):  # noqa: F811 - the fixture imported above
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP, locale="en")
    yield context.new_page()
    context.close()


@pytest.fixture
def scripted_tab(browser):  # noqa: F811 - the fixture imported above
    """A tab with JavaScript on, as embed.js needs."""
    context = browser.new_context(viewport=DESKTOP, locale="en")
    yield context.new_page()
    context.close()


@contextmanager
def serving(page):
    """Serve `page(path)`'s HTML on localhost, on a port of its own; yields its address.

    localhost is another site than 127.0.0.1, yet loopback like it: Chromium lets only a
    page on a local address frame one.
    """

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page(environ["PATH_INFO"]).encode()]

    port = free_port()
    server = make_server("localhost", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()


@pytest.fixture
def ally_site():
    """Another site: a page whose iframe shows the address it is given."""
    framed = {}

    def ally_page(path):
        html = f'<!doctype html><title>Ally</title><h1>Ally</h1><iframe src="{framed["url"]}">'
        return html + "</iframe>"

    with serving(ally_page) as address:
        yield framed, address + "/"


@pytest.fixture
def host_site():
    """Another site whose page at / is whatever HTML the test puts in `pages["/"]`."""
    pages = {}
    with serving(lambda path: pages.get(path, "<!doctype html><title>Nothing</title>")) as address:
        yield pages, address


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


INITIAL_HEIGHT = 800  # embed.js's, before the widget says how tall it is

FRAME_HEIGHT = "(i) => document.querySelectorAll('iframe')[i].getBoundingClientRect().height"
# What the widget's document measures, read inside the frame (by the test, not the host).
CONTENT_HEIGHTS = """() => [
    document.documentElement.getBoundingClientRect().height,
    document.documentElement.scrollHeight,
]"""
# The host page's own listener, added after embed.js's: once it has seen a message, so
# has embed.js (listeners run in the order they were added).
COUNT_MESSAGES = """() => {
    window.seen = 0;
    window.addEventListener("message", (event) => { window.seen += 1; });
}"""
FORGE = '() => window.postMessage({type: "rally:height", height: 4321}, "*")'
POST_TO_PARENT = '(data) => parent.postMessage(data, "*")'


def wait_until_seen(tab, count: int):
    tab.wait_for_function("(n) => window.seen === n", arg=count, timeout=10_000)


def host_page_with(*snippets: str, extra: str = "") -> str:
    body = "\n".join(f"<p>Before</p>{snippet}<p>After</p>" for snippet in snippets)
    return f"<!doctype html><title>Ally</title><h1>Ally</h1>{body}{extra}"


def widget_frame(tab, server, slug):
    """The frame showing the widget of `slug`, once it has loaded."""
    tab.wait_for_function(
        "(n) => document.querySelectorAll('iframe').length >= n", arg=1, timeout=10_000
    )
    for _ in range(100):
        frames = [f for f in tab.frames if f.url.startswith(f"{server}/embed/{slug}")]
        if frames:
            frames[0].wait_for_load_state("load")
            return frames[0]
        tab.wait_for_timeout(50)
    raise AssertionError(f"no frame shows the widget of {slug}")


def wait_until_sized(tab, index=0):
    tab.wait_for_function(
        f"(i) => ({FRAME_HEIGHT})(i) !== {INITIAL_HEIGHT}", arg=index, timeout=10_000
    )
    return tab.evaluate(FRAME_HEIGHT, index)


def test_the_one_line_script_inserts_the_widget_and_sizes_it_to_its_content(
    live_server,  # noqa: F811
    scripted_tab,
    host_site,
):
    make_campaign(slug="c", languages=("en", "ar"))
    make_campaign(slug="d")
    db.session.commit()
    pages, host = host_site
    # Built as the organisers' pages build them, with the live server's BASE_URL.
    snippets = (
        script_snippet("c", referrer="ally-1", language="ar", title="Sign: C"),
        script_snippet("d"),
    )
    pages["/"] = host_page_with(*snippets)
    scripted_tab.goto(host + "/")

    # Each snippet gets its own widget, right after its script.
    frame_c = widget_frame(scripted_tab, live_server, "c")
    frame_d = widget_frame(scripted_tab, live_server, "d")
    inserted = scripted_tab.evaluate(
        """() => [...document.querySelectorAll("iframe")].map((f) => [
            f.previousElementSibling.tagName, f.src, f.title, f.getAttribute("loading")])"""
    )
    assert inserted == [
        ["SCRIPT", f"{live_server}/embed/c?referrer=ally-1&lang=ar", "Sign: C", "lazy"],
        ["SCRIPT", f"{live_server}/embed/d", "Petition", "lazy"],
    ]
    assert frame_c.locator("html").get_attribute("dir") == "rtl"

    for index, frame in enumerate((frame_c, frame_d)):
        height = wait_until_sized(scripted_tab, index)
        box_height, scroll_height = frame.evaluate(CONTENT_HEIGHTS)
        assert abs(height - box_height) <= 2
        assert abs(height - scroll_height) <= 2  # no scroll bar left in the frame
    assert scripted_tab.context.cookies() == []


def test_forged_height_messages_are_dropped_and_the_host_cannot_read_the_frame(
    live_server,  # noqa: F811
    scripted_tab,
    host_site,
):
    """Case 31: only the widget's own frame, from our origin, can resize it."""
    make_campaign(slug="c")
    make_campaign(slug="d")
    db.session.commit()
    pages, host = host_site
    forged = {"type": "rally:height", "height": 4321}
    with serving(lambda path: "<!doctype html><title>Forger</title>") as forger_site:
        forger = f'<iframe src="{forger_site}/forger" title="Forger"></iframe>'
        pages["/"] = host_page_with(script_snippet("c"), script_snippet("d"), extra=forger)
        scripted_tab.goto(host + "/")
        frame = widget_frame(scripted_tab, live_server, "c")
        other_widget = widget_frame(scripted_tab, live_server, "d")
        sized = wait_until_sized(scripted_tab, 0)
        wait_until_sized(scripted_tab, 1)
        frame.fill("#email", "ada@example.org")
        scripted_tab.evaluate(COUNT_MESSAGES)

        # From the host page itself, then from a frame of another origin.
        scripted_tab.evaluate(FORGE)
        forging_frame = next(f for f in scripted_tab.frames if f.url.startswith(forger_site))
        forging_frame.evaluate(POST_TO_PARENT, forged)
        wait_until_seen(scripted_tab, 2)
        assert scripted_tab.evaluate(FRAME_HEIGHT, 0) == sized
        # From our origin but another frame: it sizes its own frame, not this one.
        other_widget.evaluate(POST_TO_PARENT, forged)
        wait_until_seen(scripted_tab, 3)
        assert scripted_tab.evaluate(FRAME_HEIGHT, 0) == sized
        assert scripted_tab.evaluate(FRAME_HEIGHT, 1) == 4321

    # The widget's own messages count, clamped; a height that is no number does not.
    frame.evaluate(POST_TO_PARENT, {"type": "rally:height", "height": 10**9})
    wait_until_seen(scripted_tab, 4)
    assert scripted_tab.evaluate(FRAME_HEIGHT, 0) == 5000
    frame.evaluate(POST_TO_PARENT, {"type": "rally:height", "height": "300"})
    frame.evaluate(POST_TO_PARENT, {"type": "other", "height": 300})
    frame.evaluate(POST_TO_PARENT, "rally:height 300")
    frame.evaluate(POST_TO_PARENT, {"type": "rally:height", "height": float("-inf")})
    wait_until_seen(scripted_tab, 8)
    assert scripted_tab.evaluate(FRAME_HEIGHT, 0) == 5000
    frame.evaluate(POST_TO_PARENT, {"type": "rally:height", "height": 10})
    wait_until_seen(scripted_tab, 9)
    assert scripted_tab.evaluate(FRAME_HEIGHT, 0) == 100

    # Another origin: the host sees the frame's element, never its document or fields.
    reads = scripted_tab.evaluate(
        """() => {
            const frame = document.querySelector("iframe");
            let through_window;
            try {
                through_window = frame.contentWindow.document.querySelector("#email").value;
            } catch (error) {
                through_window = error.name;
            }
            return [frame.contentDocument === null, through_window];
        }"""
    )
    assert reads == [True, "SecurityError"]


def test_the_widget_stays_silent_in_a_sandbox_where_its_form_cannot_work(
    live_server,  # noqa: F811
    scripted_tab,
    host_site,
):
    """WordPress frames unknown sites with sandbox="allow-scripts": no height, it keeps its link."""
    make_campaign(slug="c")
    db.session.commit()
    pages, host = host_site
    pages["/"] = (
        "<!doctype html><title>Ally</title>"
        f'<iframe sandbox="allow-scripts" src="{live_server}/embed/c" title="Sandboxed"></iframe>'
        f'<iframe src="{live_server}/embed/c" title="Plain"></iframe>'
    )
    scripted_tab.add_init_script(
        """window.heights = [];
        window.addEventListener("message", (event) => {
            const frames = [...document.querySelectorAll("iframe")];
            window.heights.push(frames.findIndex((f) => f.contentWindow === event.source));
        });"""
    )
    scripted_tab.goto(host + "/")
    scripted_tab.wait_for_load_state("load")
    scripted_tab.wait_for_function("() => window.heights.includes(1)", timeout=10_000)
    scripted_tab.wait_for_timeout(300)
    assert 0 not in scripted_tab.evaluate("() => window.heights")
