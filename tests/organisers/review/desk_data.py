"""Signatures with review signals, and checks that the count and tallies stay true."""

from sqlalchemy import func, select

from app.campaigns.counts import confirmed_counts
from app.campaigns.tallies import all_figures
from app.extensions import db
from app.signatures.models import CONFIRMED, PENDING, Signature
from app.signatures.services import recount_campaign
from tests.factories import make_held_signature, make_signature

BAD_IP = "a" * 32
GOOD_IP = "b" * 32
NETWORK = "c" * 32


def signals(signature, **values):
    """Give a factory-made signature review signals (and any other column values)."""
    for name, value in values.items():
        setattr(signature, name, value)
    db.session.commit()
    return signature


def confirmed_rows(campaign) -> int:
    return db.session.execute(
        select(func.count()).where(
            Signature.campaign_id == campaign.id, Signature.state == CONFIRMED
        )
    ).scalar()


def shown_count(campaign) -> int:
    return confirmed_counts([campaign.id])[campaign.id]


def assert_figures_true(campaign):
    """The shown count is the number of confirmed rows, and the tallies survive a recount."""
    assert shown_count(campaign) == confirmed_rows(campaign)
    tallies = all_figures(campaign.id)
    assert recount_campaign(campaign) == confirmed_rows(campaign)
    assert all_figures(campaign.id) == tallies


def states(signatures) -> list[str]:
    for signature in signatures:
        db.session.refresh(signature)
    return [signature.state for signature in signatures]


def attack(campaign):
    """3 confirmed + 2 held + 1 pending from BAD_IP; 2 confirmed from elsewhere."""
    bad = [signals(make_signature(campaign, state=CONFIRMED), ip_hash=BAD_IP) for _ in range(3)]
    bad += [signals(make_held_signature(campaign), ip_hash=BAD_IP) for _ in range(2)]
    bad += [signals(make_signature(campaign, state=PENDING), ip_hash=BAD_IP)]
    good = [signals(make_signature(campaign, state=CONFIRMED), ip_hash=GOOD_IP) for _ in range(2)]
    recount_campaign(campaign)  # the factories keep the count but not the tallies
    return bad, good
