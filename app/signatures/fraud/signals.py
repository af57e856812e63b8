"""What a signature keeps for fraud review: keyed hashes of its IP and network, browser family.

The raw IP address is never stored. A keyed hash (HMAC with a server secret) still lets
organisers group signatures from one address or one network (/24 for IPv4, /64 for IPv6)
without the table revealing who signed from where if it leaks.
"""

import ipaddress
import re

from app.core.addresses import identity_digest

IP_PURPOSE = "signature-ip"
NETWORK_PURPOSE = "signature-network"
HASH_LENGTH = 32

# Checked in order: Edge and Opera say "Chrome" too, Chrome says "Safari".
_FAMILIES = (
    ("bot", re.compile(r"bot|crawl|spider|slurp|headless", re.I)),
    ("curl", re.compile(r"^curl/", re.I)),
    ("script", re.compile(r"python|requests|wget|go-http|java/|okhttp|libwww|httpie", re.I)),
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Samsung", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/|AppleWebKit/")),
)


def _address(ip: str):
    """The address, with an IPv4 address written as IPv6 (::ffff:a.b.c.d) made IPv4 again."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def network_of(ip: str) -> str | None:
    """The /24 (IPv4) or /64 (IPv6) network an address is in, or None if it is not an IP."""
    address = _address(ip)
    if address is None:
        return None
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def user_agent_family(user_agent: str) -> str:
    """A short browser family ("Firefox", "Safari", "script", "bot"...), "" if none was sent."""
    if not user_agent:
        return ""
    for family, pattern in _FAMILIES:
        if pattern.search(user_agent):
            return family
    return "other"


def ip_hash(ip: str | None, secret: str) -> str | None:
    """The keyed hash of an IP address that signatures keep, or None if `ip` is not one.

    Audit events of failed logins keep the same hash, so a review can match an address
    across both without either table holding it.
    """
    address = _address(ip) if ip else None
    if address is None:
        return None
    return identity_digest(str(address), secret, IP_PURPOSE)[:HASH_LENGTH]


def review_signals(ip: str | None, user_agent: str, secret: str) -> dict:
    """The review columns of a new signature: ip_hash, network_hash, user_agent_family."""
    address = _address(ip) if ip else None
    hashes = dict(ip_hash=None, network_hash=None)
    if address is not None:
        hashes = dict(
            ip_hash=ip_hash(ip, secret),
            network_hash=identity_digest(network_of(str(address)), secret, NETWORK_PURPOSE)[
                :HASH_LENGTH
            ],
        )
    return dict(**hashes, user_agent_family=user_agent_family(user_agent or ""))
