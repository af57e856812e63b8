"""What counts as a link in a name or town: the rule of display_text.contains_link."""

import socket
import time

import pytest

from app.core import display_text
from app.core.display_text import contains_link, is_top_level_domain


@pytest.mark.parametrize(
    "text",
    [
        "evil-login.com",
        "Go to evil-login.com now",
        "login.x.com",  # a longer label before the one-letter one
        "mr.li",  # li is Liechtenstein's top-level domain: a real address
        "Mrs.Ford",  # a brand's top-level domain
        "пример.рф",  # an internationalised top-level domain
        "evil-login\uff0ecom",  # fullwidth full stop
        "t.co/x",  # a path: a link whatever the labels
        "evil.example\\x",
        "evil.example/login",
        "http:/evil.example",  # one slash: browsers still follow it
        "https:\\\\evil.example",
        "FTP://evil.example",
        "\uff48\uff54\uff54\uff50\uff53\uff1a\uff0f\uff0fevil.example",
        "www.evil",
        "x@y.z",
        "ａｄａ＠evil.example",  # fullwidth @
    ],
)
def test_link_like_text_counts_as_a_link(text):
    assert contains_link(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Li",  # a space after the full stop: no mail client links it
        "J.Kim",  # an initial before a top-level domain: a name, by the rule's choice
        "A.Li",
        "x.com",  # the same choice lets a one-letter domain without a path through
        "Dr.Smith",  # not a top-level domain
        "J.R.R.Tolkien",
        "St. John",
        "Frankfurt a.M.",
        "Washington, D.C.",
        "Ada Lovelace.",
        "Ada@home",  # no dotted host after the @
        "3.14",
        "Ratio 1:2",
        "",
    ],
)
def test_names_and_towns_are_not_links(text):
    assert not contains_link(text)


def test_top_level_domains_come_from_the_public_suffix_list():
    assert all(map(is_top_level_domain, ("com", "li", "me", "ms", "kim", "xn--p1ai", "рф")))
    assert not any(map(is_top_level_domain, ("smith", "example", "tolkien", "", "co.uk")))


def test_the_public_suffix_list_is_read_from_the_package_without_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the Public Suffix List must not be fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    display_text._public_suffixes.cache_clear()
    assert contains_link("evil-login.com")


@pytest.mark.parametrize(
    "text",
    ["x" * 200_000, "a." * 100_000, "a-" * 100_000, "a:" * 100_000, "a@" + "b" * 200_000],
)
def test_long_text_is_read_in_time_proportional_to_its_length(text):
    # Patterns retried from every position of a run took hours on a 1 MB name.
    started = time.monotonic()
    contains_link(text)
    assert time.monotonic() - started < 5
