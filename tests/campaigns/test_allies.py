"""Allies' sites as CSP sources: only plain web origins pass, normalised."""

import pytest

from app.campaigns.allies import NotAnOrigin, normalise_origin


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://example.org", "https://example.org"),
        ("HTTPS://Example.ORG/", "https://example.org"),
        ("https://example.org:443", "https://example.org"),
        ("http://example.org:80", "http://example.org"),
        ("https://example.org:8443", "https://example.org:8443"),
        ("http://localhost:5000", "http://localhost:5000"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://192.0.2.7", "https://192.0.2.7"),
    ],
)
def test_web_origins_are_normalised(typed, origin):
    assert normalise_origin(typed) == origin


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "example.org",
        "//example.org",
        "https://example.org/path",
        "https://example.org?q",
        "https://example.org#top",
        "https://*.example.org",
        "*",
        "'none'",
        "'self'",
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://example.org",
        "https://user:pw@example.org",
        "https://example.org:0x1",
        "https://example.org:70000",
        "https://exa mple.org",
        "https://exa;mple.org",
        "https://-example.org",
        "https://999.1.1.1",
        "https://[::1]",
    ],
)
def test_anything_else_is_refused(typed):
    with pytest.raises(NotAnOrigin):
        normalise_origin(typed)
