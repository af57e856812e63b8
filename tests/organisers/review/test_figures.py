"""The review desk's figures: hours, tops, shares, held rules, the latest sample."""

from datetime import timedelta

from app.core.database import utcnow
from app.organisers.review import figures as desk_figures
from app.organisers.review.figures import review_figures
from app.signatures.models import CONFIRMED
from tests.factories import (
    log_in_as,
    make_held_signature,
    make_signature,
)
from tests.organisers.review.desk_data import (
    BAD_IP,
    GOOD_IP,
    NETWORK,
    signals,
)

# Figures ------------------------------------------------------------------------------


def test_figures_show_hours_tops_shares_and_held_rules(team):
    campaign, _, _ = team
    now = utcnow().replace(minute=30)
    for n in range(3):
        signals(
            make_signature(campaign, state=CONFIRMED, email=f"p{n}@mailinator.com"),
            ip_hash=BAD_IP,
            network_hash=NETWORK,
            created_at=now - timedelta(hours=2),
        )
    signals(
        make_signature(campaign, state=CONFIRMED, email="ada+petition@example.org"),
        ip_hash=GOOD_IP,
        created_at=now,
    )
    signals(make_held_signature(campaign, rule="same_ip"), created_at=now - timedelta(days=5))
    make_held_signature(campaign, rule="disposable")
    make_held_signature(campaign, rule="disposable")

    figures = review_figures(campaign, now)

    assert figures.total == 7
    assert len(figures.hours) == 48
    by_hour = dict(figures.hours)
    assert by_hour[now.replace(minute=0, second=0, microsecond=0)] == 1
    assert by_hour[(now - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)] == 3
    assert sum(count for _, count in figures.hours) == 3 + 1 + 2  # not the one 5 days ago
    assert [(t.shown, t.count) for t in figures.top_ips] == [(BAD_IP[:8], 3), (GOOD_IP[:8], 1)]
    assert figures.top_ips[0].key == BAD_IP
    assert figures.top_networks[0].count == 3
    assert [(t.key, t.count, t.disposable) for t in figures.top_domains] == [
        ("example.org", 4, False),
        ("mailinator.com", 3, True),
    ]
    assert (figures.disposable, figures.plus_addressed, figures.held) == (3, 1, 3)
    assert figures.held_by_rule == [("disposable", 2), ("same_ip", 1)]
    assert round(figures.percent(figures.held)) == 43


def test_figures_of_a_large_campaign_count_its_latest_signatures(team, monkeypatch, client):
    campaign, owner, _ = team
    monkeypatch.setattr(desk_figures, "REVIEW_SAMPLE", 4)
    now = utcnow()
    for n in range(3):  # an old burst from one address, beyond the latest 4
        signals(make_signature(campaign), ip_hash=BAD_IP, created_at=now - timedelta(days=9 + n))
    for n in range(4):
        signals(make_signature(campaign, email=f"new{n}@mailinator.com"), created_at=now)
    make_held_signature(campaign)  # older than the latest 4, still counted as held

    figures = review_figures(campaign, now)

    assert figures.sampled and figures.total == 4
    assert figures.top_ips == [] and figures.disposable == 4
    assert figures.held == 1
    log_in_as(client, owner)
    page = client.get(f"/dashboard/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert "Latest signatures, in every state, counted below" in page
