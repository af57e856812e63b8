"""Mailbox identity: which typed addresses are one person."""

import pytest

from app.core.addresses import ascii_domain, mailbox_identity


@pytest.mark.parametrize(
    ("variant", "identity"),
    [
        ("J.Doe+x@GoogleMail.com", "jdoe@gmail.com"),
        ("  jdoe@gmail.com ", "jdoe@gmail.com"),
        ("j.d.o.e@gmail.com", "jdoe@gmail.com"),
        ("JDOE+petitions@gmail.com", "jdoe@gmail.com"),
        # +tags reach the same mailbox on every domain; dots only on Gmail.
        ("victim+1@example.com", "victim@example.com"),
        ("Victim+2@Example.COM", "victim@example.com"),
        ("J.Doe+x@Example.org", "j.doe@example.org"),
        # Internationalised domains compare in their ASCII (punycode) form.
        ("ana@bücher.de", "ana@xn--bcher-kva.de"),
        ("ana@xn--bcher-kva.de", "ana@xn--bcher-kva.de"),
        ("ana@BÜCHER.de", "ana@xn--bcher-kva.de"),
        # A local part that is only a tag stays itself rather than becoming empty.
        ("+x@example.org", "+x@example.org"),
    ],
)
def test_mailbox_identity(variant, identity):
    assert mailbox_identity(variant) == identity


def test_ascii_domain_keeps_what_it_cannot_encode():
    assert ascii_domain("Example.ORG.") == "example.org"
    assert ascii_domain("bad\u200d-domain-\u0627a") == "bad\u200d-domain-\u0627a"
