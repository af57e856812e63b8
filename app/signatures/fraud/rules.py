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

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits import parse_many
from sqlalchemy import func, select

from app.campaigns.tallies import locality_key
from app.extensions import db
from app.signatures.fraud.email_domains import is_common_webmail, is_disposable
from app.signatures.fraud.lists import signing_lists
from app.signatures.fraud.stamps import seconds_since_render
from app.signatures.models import Signature, name_search_form

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
    lists = signing_lists()
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
