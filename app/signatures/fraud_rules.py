"""Fraud rules: which new signatures are set aside (HELD) for the team, or refused unseen.

A rule never shows itself. A held signature is stored, emailed and answered exactly like any
other; when its owner confirms it, it becomes HELD instead of CONFIRMED and counts only once
someone on the team releases it. A refused one (a block list entry that says so, a
throwaway address when FRAUD_DISPOSABLE says so) stores nothing and sends nothing, behind the
same "check your inbox" answer. So a script learns nothing about which rule fired.

The rules, first match wins: an allow list entry (overrides all), a block list entry, the
honeypot field, the signed render stamp (missing, forged or too old), too little time between
the page and the submission, a throwaway domain, then the velocity rules over this campaign's
recent signatures: the same IP, the same /24 or /64 network, the same email domain (big
webmail left out), the same name and locality.
"""

import fnmatch
import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits import parse_many
from sqlalchemy import func, select

from app.campaigns.tallies import locality_key
from app.core.addresses import mailbox_identity
from app.core.audit import record_event
from app.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from app.extensions import db
from app.signatures.email_domains import is_common_webmail, is_disposable
from app.signatures.models import Signature, SigningListEntry, name_search_form

RENDER_STAMP = "rally.signature.render-stamp"
LIST_CACHE_SECONDS = 15

HONEYPOT = "honeypot"
NO_RENDER_STAMP = "no_render_stamp"
TOO_FAST = "too_fast"
DISPOSABLE = "disposable"
BLOCKED = "blocked"
SAME_IP = "same_ip"
SAME_NETWORK = "same_network"
SAME_DOMAIN = "same_domain"
SAME_NAME = "same_name"
RULES = (HONEYPOT, NO_RENDER_STAMP, TOO_FAST, DISPOSABLE, BLOCKED, SAME_IP, SAME_NETWORK,
         SAME_DOMAIN, SAME_NAME)  # fmt: skip


@dataclass(frozen=True)
class SigningChecks:
    """What the sign form carried besides the details: the honeypot and the render stamp."""

    honeypot: str = ""
    render_stamp: str = ""


@dataclass(frozen=True)
class Verdict:
    """What the rules decided: `refuse` (store nothing), or the rule to hold by ("" for none)."""

    held_rule: str = ""
    refuse: bool = False
    seconds_to_submit: int | None = None


def make_render_stamp(campaign_id: int, now: float | None = None) -> str:
    """A signed note of when the sign form was rendered, for the form's hidden field."""
    moment = time.time() if now is None else now
    return make_token(RENDER_STAMP, {"c": campaign_id, "t": round(moment, 1)})


def seconds_since_render(stamp: str, campaign_id: int, now: float | None = None) -> float | None:
    """Seconds since the stamp was made, or None if missing, forged, too old or not this page's."""
    max_age = timedelta(seconds=current_app.config["FRAUD_RENDER_STAMP_MAX_AGE"])
    try:
        payload = read_token(RENDER_STAMP, stamp, max_age)
    except (TokenInvalid, TokenExpired):
        return None
    made = payload.get("t")
    if payload.get("c") != campaign_id or not isinstance(made, int | float):
        return None
    elapsed = (time.time() if now is None else now) - made
    if not -5 <= elapsed <= max_age.total_seconds():  # a stamp from the future is forged
        return None
    return elapsed


def screen_signature(
    campaign_id: int,
    name: str,
    postcode: str,
    email_domain: str,
    email_identity: str,
    ip_address: str | None,
    signals: dict,
    checks: SigningChecks,
    now: datetime,
) -> Verdict:
    """Run the rules on a new signature (before it is stored) and say what to do with it."""
    seconds = seconds_since_render(checks.render_stamp, campaign_id)
    timing = None if seconds is None else int(seconds)
    config = current_app.config
    if not config["FRAUD_RULES_ENABLED"]:
        return Verdict(seconds_to_submit=timing)
    lists = _signing_lists()
    if lists.allows(email_domain, email_identity, ip_address):
        return Verdict(seconds_to_submit=timing)
    blocked = lists.blocks(email_domain, email_identity, ip_address)
    if blocked:
        return Verdict(BLOCKED, refuse=blocked == "refuse", seconds_to_submit=timing)
    if checks.honeypot:
        return Verdict(HONEYPOT, seconds_to_submit=timing)
    if seconds is None:
        return Verdict(NO_RENDER_STAMP)
    if seconds < config["FRAUD_MIN_SECONDS_TO_SUBMIT"]:
        return Verdict(TOO_FAST, seconds_to_submit=timing)
    disposable = config["FRAUD_DISPOSABLE"]
    if disposable in ("hold", "refuse") and is_disposable(email_domain):
        return Verdict(DISPOSABLE, refuse=disposable == "refuse", seconds_to_submit=timing)
    rule = _velocity_rule(campaign_id, name, postcode, email_domain, signals, now)
    return Verdict(rule, seconds_to_submit=timing)


def _velocity_rule(campaign_id, name, postcode, email_domain, signals, now) -> str:
    config = current_app.config
    by_column = [
        (SAME_IP, Signature.ip_hash, signals.get("ip_hash"), config["FRAUD_SAME_IP"]),
        (
            SAME_NETWORK,
            Signature.network_hash,
            signals.get("network_hash"),
            config["FRAUD_SAME_NETWORK"],
        ),
    ]
    if email_domain and not is_common_webmail(email_domain):
        by_column.append(
            (SAME_DOMAIN, Signature.email_domain, email_domain, config["FRAUD_SAME_DOMAIN"])
        )
    for rule, column, value, setting in by_column:
        if value and _over(setting, now, Signature.campaign_id == campaign_id, column == value):
            return rule
    if name and _same_name_over(campaign_id, name, postcode, config["FRAUD_SAME_NAME"], now):
        return SAME_NAME
    return ""


def _over(setting: str, now: datetime, *conditions) -> bool:
    """Whether any "N per period" of `setting` already has N signatures matching `conditions`."""
    for limit in _parsed(setting):
        since = now - timedelta(seconds=limit.get_expiry())
        count = db.session.scalar(
            select(func.count()).where(*conditions, Signature.created_at >= since)
        )
        if count >= limit.amount:
            return True
    return False


def _same_name_over(campaign_id, name, postcode, setting, now) -> bool:
    limits = _parsed(setting)
    if not limits:
        return False
    longest = max(limit.get_expiry() for limit in limits)
    # Few rows share a name: read them (by the name index) and compare localities here.
    rows = db.session.execute(
        select(Signature.postcode, Signature.created_at).where(
            Signature.campaign_id == campaign_id,
            Signature.name_search == name_search_form(name),
            Signature.created_at >= now - timedelta(seconds=longest),
        )
    ).all()
    locality = _locality(postcode)
    times = [created for typed, created in rows if _locality(typed) == locality]
    return any(
        sum(1 for created in times if created >= now - timedelta(seconds=limit.get_expiry()))
        >= limit.amount
        for limit in limits
    )


def _locality(typed: str) -> str:
    # "N1 9GU", "n19gu" and "n1  9gu" are one place.
    return locality_key(typed)[0].replace(" ", "")


def _parsed(setting: str):
    return parse_many(setting) if setting and setting.strip() else []


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


_lists_cache: dict = {}


def _signing_lists() -> SigningLists:
    """The lists, read at most every LIST_CACHE_SECONDS (changes apply within that time)."""
    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    cached = _lists_cache.get(key)
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
    _lists_cache[key] = (time.monotonic(), lists)
    return lists


def forget_signing_lists() -> None:
    """Drop the cached lists, so a change made here applies at once."""
    _lists_cache.clear()


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
