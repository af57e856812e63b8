"""The snippets allies paste: the one-line script and the plain iframe, with absolute URLs."""

from app.embed.snippets import DEFAULT_HEIGHT, iframe_snippet, script_snippet
from tests.embed.widget_pages import parsed
from tests.factories import make_campaign
from tests.helpers import BASE_URL


def test_the_script_snippet_names_our_embed_js_and_the_campaign(app):
    with app.test_request_context():
        html = script_snippet("c", referrer="ally-1", language="ar")
    assert html == (
        f'<script src="{BASE_URL}/static/js/embed.js" data-campaign="c"'
        ' data-referrer="ally-1" data-lang="ar" async></script>'
    )


def test_the_script_snippet_leaves_out_what_is_not_given(app):
    with app.test_request_context():
        html = script_snippet("c")
    assert html == f'<script src="{BASE_URL}/static/js/embed.js" data-campaign="c" async></script>'


def test_the_iframe_snippet_points_at_the_widget_with_its_parameters(app):
    with app.test_request_context():
        html = iframe_snippet("c", "Save the library", referrer="ally-1", language="ar")
    [(tag, attrs)] = parsed(html)
    assert tag == "iframe" and html.endswith("></iframe>")
    assert attrs["src"] == f"{BASE_URL}/embed/c?referrer=ally-1&lang=ar"
    assert attrs["title"] == "Save the library"
    assert attrs["width"] == "100%" and attrs["height"] == str(DEFAULT_HEIGHT)
    assert attrs["loading"] == "lazy"
    assert "sandbox" not in attrs  # a sandbox would stop its form (see embed.js)


def test_the_iframe_snippet_can_have_a_fixed_size(app):
    with app.test_request_context():
        attrs = parsed(iframe_snippet("c", "T", height=500, width=320))[0][1]
    assert (attrs["width"], attrs["height"]) == ("320", "500")
    assert attrs["src"] == f"{BASE_URL}/embed/c"


def test_attributes_are_escaped(app):
    """A title with quotes and markup stays one attribute value: it cannot add attributes."""
    title = '"><script>alert(1)</script><x y="'
    with app.test_request_context():
        iframe = iframe_snippet("c", title)
        script = script_snippet("c", title=title)
    assert "<script>" not in iframe and "<script>alert" not in script
    assert parsed(iframe)[0][1]["title"] == title
    [(_, attrs)] = parsed(script)
    assert attrs["data-title"] == title and set(attrs) == {
        "src",
        "data-campaign",
        "data-title",
        "async",
    }


def test_snippets_are_plain_strings_so_a_page_shows_them_as_text(app):
    with app.test_request_context():
        snippet = iframe_snippet("c", "T")
    assert type(snippet) is str and not hasattr(snippet, "__html__")


def test_the_widget_layout_loads_the_height_script(app, client):
    """Static check: every widget page (its layout) tells the framing page its height."""
    with open(app.jinja_loader.searchpath[0] + "/embed/_layout.html", encoding="utf-8") as layout:
        assert "js/widget-height.js" in layout.read()
    make_campaign(slug="c")
    tag = '<script src="/static/js/widget-height.js" defer></script>'
    for path in ("/embed/c", "/embed/c/check-inbox"):
        assert tag in client.get(path).get_data(as_text=True), path
    for script in ("widget-height.js", "embed.js"):
        with client.get(f"/static/js/{script}") as response:
            assert response.status_code == 200
