"""An ally's stats page: counts behind a secret link, nobody's details, gone with the key."""

import re
from datetime import timedelta

from app.core.database import utcnow
from app.extensions import db
from app.organisers.allies.services import STATS_DAYS
from tests.factories import make_ally, make_campaign, make_signature


def confirmed(campaign, referrer, days_ago=0, **kwargs):
    signature = make_signature(campaign, state="confirmed", referrer=referrer, **kwargs)
    signature.confirmed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return signature


def test_the_page_counts_only_confirmed_signatures_with_the_allys_code_per_day(client):
    campaign = make_campaign(slug="c")
    ally = make_ally(campaign, name="Riverside Parents", code="riverside")
    confirmed(campaign, "riverside", name="Zora Secretname", email="zora@example.org")
    confirmed(campaign, "riverside")
    confirmed(campaign, "riverside", days_ago=3)
    confirmed(campaign, "riverside", days_ago=STATS_DAYS + 5)  # in the total, not the table
    confirmed(campaign, "other-code")
    make_signature(campaign, state="pending", referrer="riverside")
    make_signature(campaign, state="held", referrer="riverside")
    make_signature(campaign, state="invalidated", referrer="riverside")
    # The same code on another campaign is another ally's.
    confirmed(make_campaign(slug="d"), "riverside")

    response = client.get(f"/allies/{ally.stats_key}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Signatures brought by Riverside Parents" in html
    assert "Test campaign (en)" in html
    assert re.search(r'id="ally-total">4 confirmed signatures', html)
    today = utcnow().date()
    rows = re.findall(r'<time datetime="([\d-]+)">.*?</time></th><td class="numeric">(\d+)<', html)
    assert rows == [
        (today.isoformat(), "2"),
        ((today - timedelta(days=3)).isoformat(), "1"),
    ]
    assert "Secretname" not in html and "@example.org" not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in html
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_unknown_and_replaced_keys_are_not_found(client):
    from app.organisers.allies.services import renew_stats_link

    campaign = make_campaign(slug="c")
    ally = make_ally(campaign)
    old = ally.stats_key
    renew_stats_link(ally, campaign, None)
    assert client.get(f"/allies/{old}").status_code == 404
    assert client.get("/allies/not-a-key").status_code == 404
    assert client.get("/allies/" + "k" * 300).status_code == 404
    assert client.get(f"/allies/{ally.stats_key}").status_code == 200


def test_the_page_cannot_be_framed(client):
    ally = make_ally(make_campaign(slug="c"))
    response = client.get(f"/allies/{ally.stats_key}")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
