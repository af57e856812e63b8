"""Email addresses as identities: which typed addresses reach the same mailbox."""

import hashlib
import hmac

import idna

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def ascii_domain(domain: str) -> str:
    """The domain in its ASCII (punycode) form; unchanged when it cannot be encoded."""
    domain = domain.strip().rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain


def mailbox_identity(address: str) -> str:
    """The mailbox an address reaches, for the one-signature rule and every email cap.

    Case-insensitive, the domain in punycode, without a `+tag` on every domain (mail
    servers widely deliver `name+anything` to `name`), and for Gmail without dots. The
    address is still sent to as typed; this only says who the person is.
    """
    local, _, domain = address.strip().rpartition("@")
    domain = ascii_domain(domain)
    untagged = local.split("+", 1)[0]
    local = (untagged or local).casefold()
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def identity_digest(identity: str, secret: str, purpose: str) -> str:
    """A keyed hash of a mailbox identity, for records that must not keep the address.

    Without the key a leaked table cannot be matched against a list of addresses; the
    purpose keeps one table's hashes from matching another's.
    """
    message = f"{purpose}:{identity}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
