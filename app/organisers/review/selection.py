"""The review desk's selection: which signatures a bulk action applies to."""

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.campaigns.models import Campaign
from app.extensions import db
from app.signatures.models import (
    CONFIRMED,
    HELD,
    INVALIDATED,
    PENDING,
    Signature,
    name_search_form,
)

HASH_PATTERN = re.compile(r"^[0-9a-f]{1,32}$")


class FilterNeeded(ValueError):
    """A bulk action without any condition: it would touch the whole campaign, so it is refused."""


@dataclass(frozen=True)
class ReviewFilter:
    """The selection a bulk action applies to; at least one condition is required.

    ip_hash and network_hash are the full keyed hashes; name_pattern is a substring of the
    name as search compares it (case, accents and spacing ignored); since/until bound the
    signing time (until excluded).
    """

    ip_hash: str = ""
    network_hash: str = ""
    email_domain: str = ""
    since: datetime | None = None
    until: datetime | None = None
    held_rule: str = ""
    name_pattern: str = ""

    def __post_init__(self):
        for name in ("ip_hash", "network_hash", "email_domain", "held_rule", "name_pattern"):
            object.__setattr__(self, name, (getattr(self, name) or "").strip())
        object.__setattr__(self, "email_domain", self.email_domain.lower().lstrip("@"))
        for name in ("ip_hash", "network_hash"):
            value = getattr(self, name).lower()
            if value and not HASH_PATTERN.match(value):
                raise ValueError(f"{name} is not a hash")
            object.__setattr__(self, name, value)
        if not any(self.conditions_given().values()):
            raise FilterNeeded("a bulk action needs at least one condition")

    def conditions_given(self) -> dict[str, bool]:
        """Which conditions this filter sets (a name pattern of only marks or spaces sets none)."""
        return {
            "ip_hash": bool(self.ip_hash),
            "network_hash": bool(self.network_hash),
            "email_domain": bool(self.email_domain),
            "since": self.since is not None,
            "until": self.until is not None,
            "held_rule": bool(self.held_rule),
            "name_pattern": bool(name_search_form(self.name_pattern)),
        }

    def as_dict(self) -> dict[str, str]:
        """The conditions set, as strings (for the action list, the audit log and links)."""
        values = asdict(self)
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in values.items()
            if self.conditions_given()[name]
        }


def selected_by(campaign_id: int, review_filter: ReviewFilter) -> list:
    """SQL conditions of the filter, always within one campaign."""
    if not any(review_filter.conditions_given().values()):
        raise FilterNeeded("a bulk action needs at least one condition")
    f = review_filter
    conditions = [Signature.campaign_id == campaign_id]
    if f.ip_hash:
        conditions.append(Signature.ip_hash == f.ip_hash)
    if f.network_hash:
        conditions.append(Signature.network_hash == f.network_hash)
    if f.email_domain:
        conditions.append(Signature.email_domain == f.email_domain)
    if f.since is not None:
        conditions.append(Signature.created_at >= f.since)
    if f.until is not None:
        conditions.append(Signature.created_at < f.until)
    if f.held_rule:
        conditions.append(Signature.held_rule == f.held_rule)
    pattern = name_search_form(f.name_pattern)
    if pattern:
        conditions.append(Signature.name_search.contains(pattern, autoescape=True))
    return conditions


def matching_counts(campaign: Campaign, review_filter: ReviewFilter) -> dict[str, int]:
    """How many of the campaign's signatures the filter selects, by state."""
    rows = db.session.execute(
        select(Signature.state, func.count())
        .where(*selected_by(campaign.id, review_filter))
        .group_by(Signature.state)
    )
    counts = {state: 0 for state in (CONFIRMED, HELD, PENDING, INVALIDATED)}
    counts.update({state: int(n) for state, n in rows})
    return counts
