"""The dashboard: who sees which campaigns, the figures, and the signature list."""

import re
from datetime import timedelta

import pytest

from app.core.database import utcnow
from app.extensions import db
from app.signatures.models import CONFIRMED, PENDING
from app.signatures.services import recount_campaign
from app.signatures.signing import confirmation_token
from tests.factories import (
    confirm_with_click,
    log_in_as,
    make_campaign,
    make_campaign_team,
    make_organisation,
    make_organiser,
    make_signature,
)


@pytest.fixture
def team(app):
    """An organisation with an owner, an editor and a viewer, and one campaign."""
    owner = make_organiser(email="owner@example.org")
    return make_campaign_team("parks", owner=owner, name="Friends of Parks", goal=500)


def page(client, path, status=200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.status_code
    if status == 200:
        assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def dashboard_path(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.id}"


def list_path(campaign, query="") -> str:
    return f"/dashboard/campaigns/{campaign.id}/signatures{query}"


def listed_names(html: str) -> list[str]:
    table = html.split('id="signatures-table"', 1)
    if len(table) == 1:
        return []
    return re.findall(r"<tr[^>]*>\s*<td><bdi>([^<]*)</bdi></td>", table[1])


# Home ---------------------------------------------------------------------------------


def test_home_lists_only_the_campaigns_the_organiser_may_see(client, team):
    other_organisation = make_organisation(owner=make_organiser(), name="Other Team")
    make_campaign(slug="theirs", organisation=other_organisation)
    make_campaign(slug="admins-own")
    make_signature(team["campaign"], state=CONFIRMED)
    log_in_as(client, team["viewer"])
    html = page(client, "/dashboard")
    assert f'href="{dashboard_path(team["campaign"])}"' in html
    assert "Friends of Parks" in html and 'href="/organisations/friends"' in html
    assert "Other Team" not in html
    assert html.count('href="/dashboard/campaigns/') == 1
    assert 'href="/organisations/new"' in html
    # Viewers may not create campaigns; editors and owners get the link.
    assert "/organisations/friends/campaigns/new" not in html
    log_in_as(client, team["editor"])
    assert "/organisations/friends/campaigns/new" in page(client, "/dashboard")


def test_admins_also_see_the_admins_own_campaigns(client, team):
    own = make_campaign(slug="admins-own")
    log_in_as(client, make_organiser(admin=True))
    html = page(client, "/dashboard")
    assert 'href="/dashboard/campaigns/new"' in html
    assert f'href="{dashboard_path(own)}"' in html
    assert f'href="{dashboard_path(team["campaign"])}"' not in html


def test_anonymous_visitors_are_sent_to_log_in(client, team):
    for path in ("/dashboard", dashboard_path(team["campaign"]), list_path(team["campaign"])):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_members_of_other_organisations_get_404_on_both_pages(client, team):
    stranger = make_organiser()
    make_organisation(owner=stranger)
    log_in_as(client, stranger)
    page(client, dashboard_path(team["campaign"]), status=404)
    page(client, list_path(team["campaign"]), status=404)


# Figures ------------------------------------------------------------------------------


def spread_signatures(campaign):
    """Confirmed signatures on three days, two places, and two pending ones."""
    now = utcnow()
    made = []
    for days_ago, postcode in ((0, "N1 9GU"), (0, "n1 9gu"), (0, "Leeds"), (2, "Leeds"), (5, "")):
        signature = make_signature(campaign, state=CONFIRMED, postcode=postcode)
        signature.confirmed_at = now - timedelta(days=days_ago)
        made.append(signature)
    make_signature(campaign, state=PENDING)
    make_signature(campaign, state=PENDING)
    db.session.commit()
    recount_campaign(campaign)  # builds the tallies from these rows
    return made


def test_campaign_dashboard_shows_counts_chart_and_table(client, team):
    campaign = team["campaign"]
    campaign.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    spread_signatures(campaign)
    log_in_as(client, team["viewer"])
    html = page(client, dashboard_path(campaign))
    assert re.search(r'id="confirmed-count">5<', html)
    assert re.search(r'id="pending-count">2<', html)
    assert re.search(r'id="confirmation-rate"><bdi dir="ltr">71 %</bdi><', html)  # 5 of 7
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<title id=" in svg
    assert svg.count('class="bar"') == 3  # three days have signatures
    table = html.split('id="per-day-table"')[1].split("</table>")[0]
    today = utcnow().date()
    cells = r'<time datetime="([\d-]+)">.*?</time></th><td class="numeric">(\d+)'
    rows = dict(re.findall(cells, table))
    assert rows == {
        today.isoformat(): "3",
        (today - timedelta(days=2)).isoformat(): "1",
        (today - timedelta(days=5)).isoformat(): "1",
    }
    countries = html.split('id="countries-table"')[1].split("</table>")[0]
    assert "United Kingdom" in countries and ">5<" in countries
    localities = html.split('id="localities-table"')[1].split("</table>")[0]
    assert re.search(r"N1 9GU</bdi></th><td class=\"numeric\">2<", localities)
    assert re.search(r"Leeds</bdi></th><td class=\"numeric\">2<", localities)


def test_no_signatures_shows_a_dash_for_the_rate(client, team):
    log_in_as(client, team["viewer"])
    html = page(client, dashboard_path(team["campaign"]))
    assert 'id="confirmation-rate">—<' in html
    assert 'class="bar"' not in html


def test_unpublished_reason_is_shown(client, team):
    team["campaign"].unpublished_reason = "Misleading claims in the text."
    db.session.commit()
    log_in_as(client, team["viewer"])
    assert "Misleading claims in the text." in page(client, dashboard_path(team["campaign"]))


def test_viewers_see_figures_but_never_people(client, team):
    campaign = team["campaign"]
    make_signature(campaign, state=CONFIRMED, name="Zelda Secretname", email="zelda@example.org")
    recount_campaign(campaign)
    log_in_as(client, team["viewer"])
    html = page(client, dashboard_path(campaign))
    assert "Zelda" not in html and "zelda@example.org" not in html
    assert list_path(campaign) not in html and f"{dashboard_path(campaign)}/edit" not in html
    page(client, list_path(campaign), status=403)


def test_editors_see_the_list(client, team):
    campaign = team["campaign"]
    make_signature(campaign, state=CONFIRMED, name="Zelda Secretname", email="zelda@example.org")
    log_in_as(client, team["editor"])
    figures = page(client, dashboard_path(campaign))
    assert list_path(campaign) in figures and f"{dashboard_path(campaign)}/edit" in figures
    html = page(client, list_path(campaign))
    assert listed_names(html) == ["Zelda Secretname"]
    assert "zelda@example.org" in html


# Signature list -----------------------------------------------------------------------


def test_pages_of_fifty_walk_to_the_end_without_duplicates(client, team):
    campaign = team["campaign"]
    made = [make_signature(campaign, state=CONFIRMED, name=f"Person {n:03}") for n in range(120)]
    make_signature(campaign, state=PENDING, name="Not Yet")
    log_in_as(client, team["owner"])
    html = page(client, list_path(campaign))
    seen = listed_names(html)
    assert len(seen) == 50 and seen[0] == "Person 119"  # newest first
    assert "Not Yet" not in seen and 'rel="prev"' not in html
    pages = 1
    while 'rel="next"' in html:
        older = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        html = page(client, older)
        seen += listed_names(html)
        pages += 1
    assert pages == 3
    assert seen == [f"Person {n:03}" for n in reversed(range(120))]
    # From the last page, "Newer" goes back to the page before it.
    newer = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert listed_names(page(client, newer)) == seen[50:100]
    # The state filter shows the pending one.
    assert listed_names(page(client, list_path(campaign, "?state=pending"))) == ["Not Yet"]
    assert len(made) == 120


def test_search_by_exact_address_finds_case_and_tag_variants(client, team):
    campaign = team["campaign"]
    make_signature(campaign, state=CONFIRMED, name="Grace Hopper", email="grace@example.org")
    make_signature(campaign, state=CONFIRMED, name="Someone Else", email="else@example.org")
    log_in_as(client, team["editor"])
    for query in ("grace@example.org", "Grace@Example.ORG", " grace+petitions@example.org "):
        html = page(client, list_path(campaign, f"?q={query.replace('+', '%2B')}"))
        assert listed_names(html) == ["Grace Hopper"], query
    assert listed_names(page(client, list_path(campaign, "?q=gra@example.org"))) == []


def test_search_by_name_prefix_ignores_case_accents_and_spacing(client, team):
    campaign = team["campaign"]
    for name in ("Zoë Martin", "Zoe  Marsh", "Martin Zoe", "أحمد علي", "أحمد سالم", "محمد"):
        make_signature(campaign, state=CONFIRMED, name=name)
    log_in_as(client, team["editor"])
    assert listed_names(page(client, list_path(campaign, "?q=zoe mar"))) == [
        "Zoe  Marsh",
        "Zoë Martin",
    ]
    assert listed_names(page(client, list_path(campaign, "?q=ZOË MART"))) == ["Zoë Martin"]
    # Arabic: أ and ا compare alike, so a name typed without the hamza is found.
    assert listed_names(page(client, list_path(campaign, "?q=احمد"))) == ["أحمد سالم", "أحمد علي"]
    assert listed_names(page(client, list_path(campaign, "?q=أحمد ع"))) == ["أحمد علي"]


def test_search_pages_with_the_same_keyset(client, team):
    campaign = team["campaign"]
    for n in range(60):
        make_signature(campaign, state=CONFIRMED, name=f"Sam {n:02}")
        make_signature(campaign, state=CONFIRMED, name=f"Alex {n:02}")
    log_in_as(client, team["editor"])
    html = page(client, list_path(campaign, "?q=sam"))
    first = listed_names(html)
    older = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "q=sam" in older
    second = listed_names(page(client, older))
    assert first + second == [f"Sam {n:02}" for n in reversed(range(60))]


def test_names_are_isolated_for_bidirectional_text(client, team):
    make_signature(team["campaign"], state=CONFIRMED, name="أحمد علي")
    log_in_as(client, team["editor"])
    assert "<bdi>أحمد علي</bdi>" in page(client, list_path(team["campaign"]))


def test_a_name_changed_while_confirming_is_found_by_its_new_form(client, team):
    campaign = team["campaign"]
    signature = make_signature(campaign, state=PENDING, name="Typo Nmae")
    link = f"/confirm/{confirmation_token(signature)}"
    assert confirm_with_click(client, link, name="Émile Zola").status_code == 200
    log_in_as(client, team["editor"])
    assert listed_names(page(client, list_path(campaign, "?q=emile"))) == ["Émile Zola"]
    assert listed_names(page(client, list_path(campaign, "?q=typo"))) == []
