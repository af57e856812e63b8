"""The widget's origin rule: our own origin exactly as a browser writes it in Origin."""

import pytest

from app.embed.services import own_origin


@pytest.mark.parametrize(
    ("base_url", "origin"),
    [
        ("https://rally.example", "https://rally.example"),
        ("https://Rally.Example/", "https://rally.example"),
        ("https://rally.example:443", "https://rally.example"),
        ("http://rally.example:80/petitions", "http://rally.example"),
        ("https://rally.example:8443", "https://rally.example:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://[::1]:5000", "http://[::1]:5000"),
    ],
)
def test_own_origin_is_scheme_host_and_a_port_only_when_not_the_default(base_url, origin):
    assert own_origin(base_url) == origin
