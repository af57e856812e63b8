"""What a signature keeps for review: keyed hashes of its IP and network, never the IP itself."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.signatures.fraud.signals import network_of, review_signals, user_agent_family
from app.signatures.models import Signature
from tests.factories import make_campaign, submit_signature

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def sign_from(client, slug, ip, email, user_agent=FIREFOX):
    client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
    response = submit_signature(client, slug, email=email)
    assert response.status_code == 303
    return db.session.scalars(select(Signature).where(Signature.email == email)).one()


def test_a_signature_keeps_keyed_hashes_and_not_the_address(app, client):
    campaign = make_campaign()
    first = sign_from(client, campaign.slug, "198.51.100.7", "one@example.org")
    neighbour = sign_from(client, campaign.slug, "198.51.100.200", "two@example.org")
    elsewhere = sign_from(client, campaign.slug, "203.0.113.7", "three@example.org", "curl/8.5")
    expected = review_signals("198.51.100.7", FIREFOX, app.config["SECRET_KEY"])
    assert (first.ip_hash, first.network_hash) == (expected["ip_hash"], expected["network_hash"])
    assert len(first.ip_hash) == 32 and first.user_agent_family == "Firefox"
    # One /24: same network hash, different address hash; another network differs in both.
    assert neighbour.network_hash == first.network_hash and neighbour.ip_hash != first.ip_hash
    assert elsewhere.network_hash != first.network_hash
    assert elsewhere.user_agent_family == "curl"
    assert first.email_domain == "example.org"
    stored = " ".join(str(getattr(first, column.key)) for column in Signature.__table__.columns)
    assert "198.51.100" not in stored


def test_the_hashes_depend_on_the_server_secret():
    one = review_signals("198.51.100.7", "", "a" * 40)
    other = review_signals("198.51.100.7", "", "b" * 40)
    assert one["ip_hash"] != other["ip_hash"] and one["network_hash"] != other["network_hash"]


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("198.51.100.7", "198.51.100.0/24"),
        ("::ffff:198.51.100.7", "198.51.100.0/24"),  # IPv4 written as IPv6 is the same network
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("not an address", None),
    ],
)
def test_networks_are_slash_24_and_slash_64(ip, network):
    assert network_of(ip) == network


def test_an_ipv4_address_hashes_the_same_however_it_is_written():
    assert review_signals("::ffff:198.51.100.7", "", "k" * 40) == review_signals(
        "198.51.100.7", "", "k" * 40
    )


@pytest.mark.parametrize(
    ("user_agent", "family"),
    [
        (FIREFOX, "Firefox"),
        ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "Chrome"),
        ("Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36 Edg/131.0", "Edge"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) AppleWebKit/605.1.15 Safari/604.1", "Safari"),
        ("python-requests/2.32", "script"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1)", "bot"),
        ("", ""),
        ("Lynx/2.9", "other"),
    ],
)
def test_user_agent_families(user_agent, family):
    assert user_agent_family(user_agent) == family
