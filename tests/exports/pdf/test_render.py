"""Case 13: hostile input in a PDF is text or dropped; nothing is ever fetched or embedded."""

import io

import pytest
from flask import render_template_string
from pypdf import PdfReader

from app.exports.pdf.render import STATIC_ROOT, NoFetching, SafeFetching, render_pdf
from tests.exports.remote_fetches import SpyServer, hostile_markup

HOSTILE_NAME = '<img src="http://169.254.169.254/latest/meta-data/"> Eve'
RAW_ATTACKS = """
<link rel="attachment" href="file:///etc/passwd">
<link rel="stylesheet" href="http://169.254.169.254/style.css">
<style>@import url("file:///etc/passwd"); p { background: url(file:///etc/shadow) }</style>
<p style="background-image: url('http://127.0.0.1:1/')">Signers</p>
<img src="file:///etc/passwd"><object data="file:///etc/passwd"></object>
"""


def pdf_facts(pdf: bytes):
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    names = reader.trailer["/Root"].get("/Names", {})
    return text, "/EmbeddedFiles" in names


def test_escaped_hostile_names_are_text_and_nothing_is_fetched(app):
    spy = NoFetching()
    with app.test_request_context():
        html = render_template_string(
            "<h1>Signatures</h1><ul>{% for n in names %}<li>{{ n }}</li>{% endfor %}</ul>",
            names=[HOSTILE_NAME, "ليلى", "Grace Hopper"],
        )
    text, embedded = pdf_facts(render_pdf(html, fetcher=spy))
    assert spy.refused == []  # the spy saw no fetch at all
    assert "169.254.169.254" in text and "Grace Hopper" in text  # shown as text
    assert not embedded


def test_raw_attacks_are_refused_and_nothing_is_embedded(app):
    spy = NoFetching()
    text, embedded = pdf_facts(render_pdf(RAW_ATTACKS, fetcher=spy))
    assert "Signers" in text
    assert "root:" not in text
    assert not embedded
    assert any("169.254.169.254" in url for url in spy.refused)
    assert all(url.startswith(("file:", "http:")) for url in spy.refused)


@pytest.mark.parametrize(
    "css",
    ["@import url(http://127.0.0.1:1/x.css);", "p { background: url(file:///etc/passwd) }"],
)
def test_stylesheets_cannot_fetch_either(app, css):
    spy = NoFetching()
    pdf = render_pdf("<p>Hello</p>", stylesheets=(css,), fetcher=spy)
    assert pdf.startswith(b"%PDF") and spy.refused


def test_font_face_rules_load_nothing(app):
    """Only the system's fonts are used: @font-face is ignored, so nothing is read."""
    spy = NoFetching()
    css = "@font-face { font-family: x; src: url(file:///etc/passwd) } p { font-family: x }"
    text, embedded = pdf_facts(render_pdf("<p>Hello</p>", stylesheets=(css,), fetcher=spy))
    assert "Hello" in text and spy.refused == [] and not embedded


# The delivery renderer: data: URLs and the app's own static files only, never anything else.


@pytest.fixture
def spy_server():
    server = SpyServer()
    yield server
    server.close()


def test_safe_fetching_reaches_no_server_no_file_and_embeds_nothing(app, spy_server):
    fetcher = SafeFetching()
    text, embedded = pdf_facts(render_pdf(hostile_markup(spy_server.port), fetcher=fetcher))
    assert spy_server.requests == []  # nothing reached the network
    assert "Signers" in text and "root:" not in text
    assert not embedded  # not even the data: attachments
    refused = " ".join(fetcher.refused)
    assert "/etc/passwd" in refused and "pyproject.toml" in refused and "127.0.0.1" in refused


def test_safe_fetching_allows_data_urls_and_bundled_files(app):
    fetcher = SafeFetching()
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
        "z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    )
    static_file = next(path for path in STATIC_ROOT.rglob("*") if path.is_file())
    pdf = render_pdf(
        f'<img src="{pixel}"><img src="file://{static_file}"><p>ok</p>', fetcher=fetcher
    )
    assert pdf.startswith(b"%PDF") and fetcher.refused == []
