"""The site's block and allow lists: email domains, addresses and networks.

Read at most every LIST_CACHE_SECONDS, cached per app (per database), never per module.
"""

import fnmatch
import ipaddress
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.core.addresses import mailbox_identity
from app.core.audit import record_event
from app.extensions import db
from app.signatures.models import SigningListEntry

LIST_CACHE_SECONDS = 15


@dataclass(frozen=True)
class SigningLists:
    """The site's block and allow list entries, ready to match."""

    entries: tuple  # (list_name, kind, pattern, action)

    def _matches(self, list_name, email_domain, email_identity, ip_address):
        address = _ip(ip_address)
        for name, kind, pattern, action in self.entries:
            if name != list_name:
                continue
            if kind == "domain" and fnmatch.fnmatchcase(email_domain, pattern):
                yield action
            elif kind == "email" and email_identity == pattern:
                yield action
            elif kind == "network" and address is not None:
                network = _network(pattern)
                if network is not None and network.version == address.version:
                    if address in network:
                        yield action

    def allows(self, email_domain, email_identity, ip_address) -> bool:
        """Whether an allow entry matches (it overrides every other rule)."""
        return any(self._matches("allow", email_domain, email_identity, ip_address))

    def blocks(self, email_domain, email_identity, ip_address) -> str:
        """The strictest block action that matches: "refuse", "hold", or "" for none."""
        actions = set(self._matches("block", email_domain, email_identity, ip_address))
        return "refuse" if "refuse" in actions else "hold" if actions else ""


LISTS_KEY = "rally.signing_lists"  # in app.extensions: (read at, SigningLists)


def signing_lists() -> SigningLists:
    """The lists, read at most every LIST_CACHE_SECONDS (changes apply within that time)."""
    cached = current_app.extensions.get(LISTS_KEY)
    if cached and time.monotonic() - cached[0] < LIST_CACHE_SECONDS:
        return cached[1]
    rows = db.session.execute(
        select(
            SigningListEntry.list_name,
            SigningListEntry.kind,
            SigningListEntry.pattern,
            SigningListEntry.action,
        )
    ).all()
    lists = SigningLists(tuple(tuple(row) for row in rows))
    current_app.extensions[LISTS_KEY] = (time.monotonic(), lists)
    return lists


def forget_signing_lists() -> None:
    """Drop this app's cached lists, so a change made here applies at once."""
    current_app.extensions.pop(LISTS_KEY, None)


def _ip(value: str | None):
    try:
        address = ipaddress.ip_address(value or "")
    except ValueError:
        return None
    return address.ipv4_mapped or address if address.version == 6 else address


def _network(pattern: str):
    try:
        return ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return None


class BadListEntry(ValueError):
    """A block or allow list entry that could never match; the message says why."""


def add_signing_list_entry(
    list_name: str, kind: str, pattern: str, action: str = "hold", note: str = "", actor_id=None
) -> SigningListEntry:
    """Add a block or allow list entry (a domain glob, a CIDR range or one address)."""
    if list_name not in ("block", "allow"):
        raise BadListEntry("the list is 'block' or 'allow'")
    if action not in ("hold", "refuse"):
        raise BadListEntry("the action is 'hold' or 'refuse'")
    pattern = _list_pattern(kind, pattern.strip())
    entry = SigningListEntry(
        list_name=list_name,
        kind=kind,
        pattern=pattern,
        action=action if list_name == "block" else "hold",
        note=note,
        created_by_id=actor_id,
    )
    db.session.add(entry)
    db.session.flush()
    record_event(
        f"signing_list.{list_name}_added",
        "signing_list_entry",
        entry.id,
        actor_id=actor_id,
        kind=kind,
        entry_action=entry.action,
    )
    db.session.commit()
    forget_signing_lists()
    return entry


def signing_list_entries() -> list[SigningListEntry]:
    """Every entry, block list first, oldest first."""
    return list(
        db.session.execute(
            select(SigningListEntry).order_by(SigningListEntry.list_name, SigningListEntry.id)
        ).scalars()
    )


def remove_signing_list_entry(entry_id: int, actor_id=None) -> bool:
    """Remove an entry; False if there was none with that id."""
    entry = db.session.get(SigningListEntry, entry_id)
    if entry is None:
        return False
    db.session.delete(entry)
    record_event(
        f"signing_list.{entry.list_name}_removed",
        "signing_list_entry",
        entry_id,
        actor_id=actor_id,
        pattern=entry.pattern,
    )
    db.session.commit()
    forget_signing_lists()
    return True


def _list_pattern(kind: str, pattern: str) -> str:
    if kind == "network":
        try:
            return str(ipaddress.ip_network(pattern, strict=False))
        except ValueError as error:
            raise BadListEntry(f"{pattern!r} is not an IP address or range (CIDR)") from error
    if kind == "domain":
        domain = pattern.lower().removeprefix("@")
        if not domain or not all(ch.isalnum() or ch in ".-*" for ch in domain):
            raise BadListEntry(f"{pattern!r} is not a domain (globs such as *.example.com)")
        return domain
    if kind == "email":
        if "@" not in pattern:
            raise BadListEntry(f"{pattern!r} is not an email address")
        return mailbox_identity(pattern)
    raise BadListEntry("the kind is 'domain', 'network' or 'email'")
