"""The allies pages: a team registers, changes and removes allies, and chooses who frames."""

import re

from sqlalchemy import select

from app.campaigns.models import Ally
from app.core.audit import AuditEvent
from app.extensions import db
from app.signatures.models import CONFIRMED, Signature
from tests.factories import (
    log_in_as,
    make_ally,
    make_campaign,
    make_campaign_team,
    make_signature,
    post_with_csrf,
)


def allies_path(campaign) -> str:
    return f"/dashboard/campaigns/{campaign.id}/allies"


def add(client, campaign, **fields):
    data = {"name": "Riverside Parents", "code": "riverside", "sites": "", "contact_question": ""}
    data.update(fields)
    return post_with_csrf(client, allies_path(campaign) + "/new", allies_path(campaign), data)


def field_error(html: str, field: str) -> str:
    match = re.search(
        rf'id="{field}-error"><span class="visually-hidden">[^<]*</span> ([^<]+)<', html
    )
    assert match, f"no error next to {field}"
    return match.group(1)


def test_an_editor_adds_an_ally_with_normalised_sites_and_sees_its_links(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    log_in_as(client, team["editor"])
    response = add(
        client,
        campaign,
        sites="HTTPS://Parents.Example.org/\nhttp://localhost:8080, https://parents.example.org:443",
        contact_question="May we email you about our work?",
    )
    assert response.status_code == 303
    ally = db.session.execute(select(Ally)).scalar_one()
    assert (ally.name, ally.code) == ("Riverside Parents", "riverside")
    assert ally.site_list == ["https://parents.example.org", "http://localhost:8080"]
    assert ally.contact_question == "May we email you about our work?"
    assert len(ally.stats_key) >= 32
    page = client.get(allies_path(campaign)).get_data(as_text=True)
    assert "Riverside Parents" in page
    assert f"/c/{campaign.slug}?referrer=riverside" in page
    assert f"/embed/{campaign.slug}?referrer=riverside" in page
    assert f"/allies/{ally.stats_key}" in page
    assert db.session.execute(select(AuditEvent.action)).scalars().all()[-1] == "ally.added"


def test_the_page_counts_the_confirmed_signatures_each_ally_brought(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    make_ally(campaign, name="Riverside Parents", code="riverside")
    make_ally(campaign, name="Hill Choir", code="choir")
    for state in (CONFIRMED, CONFIRMED, "pending", "held"):
        make_signature(campaign, state=state, referrer="riverside")
    make_signature(campaign, state=CONFIRMED, referrer="someone-else")
    log_in_as(client, team["viewer"])
    html = client.get(allies_path(campaign)).get_data(as_text=True)
    assert re.findall(r'class="ally-brought">(\d+)<', html) == ["0", "2"]  # by name: Hill first


def test_a_viewer_sees_the_allies_but_no_stats_link_and_no_buttons(client):
    team = make_campaign_team()
    ally = make_ally(team["campaign"])
    log_in_as(client, team["viewer"])
    html = client.get(allies_path(team["campaign"])).get_data(as_text=True)
    assert ally.name in html
    assert ally.stats_key not in html
    assert "/new-link" not in html and "/remove" not in html and "/allies/new" not in html


def test_a_code_must_be_a_plain_code_and_new_to_the_campaign(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    make_ally(campaign, code="riverside")
    log_in_as(client, team["owner"])
    response = add(client, campaign, code="has space")
    assert response.status_code == 400
    assert "letters, digits" in field_error(response.get_data(as_text=True), "code")
    response = add(client, campaign, code="riverside")
    assert response.status_code == 400
    assert "Another ally" in field_error(response.get_data(as_text=True), "code")
    response = add(client, campaign, code="x" * 41)
    assert response.status_code == 400
    assert db.session.execute(select(Ally.code)).scalars().all() == ["riverside"]


def test_sites_must_be_web_site_origins(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    log_in_as(client, team["owner"])
    for bad in (
        "https://example.org/widget-page",
        "javascript:alert(1)",
        "https://*.example.org",
        "*",
        "example.org",
        "ftp://example.org",
        "https://example.org?x=1",
        "https://user@example.org",
        "https://example.org:99999",
        "'self'",
        "https://exa;mple.org",
    ):
        response = add(client, campaign, sites=bad)
        assert response.status_code == 400, bad
        message = field_error(response.get_data(as_text=True), "sites")
        assert "is not a web site" in message, bad
    response = add(
        client, campaign, sites="\n".join(f"https://s{n}.example.org" for n in range(21))
    )
    assert "at most 20" in field_error(response.get_data(as_text=True), "sites")
    assert db.session.execute(select(Ally)).first() is None


def test_name_and_question_are_checked(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    log_in_as(client, team["owner"])
    response = add(client, campaign, name="", contact_question="q" * 301)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "name").startswith("Enter the organisation")
    assert "at most 300" in field_error(html, "contact_question")
    response = add(client, campaign, contact_question="Visit https://spam.example now")
    assert "without a web address" in field_error(
        response.get_data(as_text=True), "contact_question"
    )


def test_editing_changes_name_sites_and_question_but_never_the_code(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    ally = make_ally(campaign, code="riverside", sites=["https://old.example"])
    log_in_as(client, team["editor"])
    path = f"{allies_path(campaign)}/{ally.id}/edit"
    form = client.get(path).get_data(as_text=True)
    assert "https://old.example" in form and "riverside" in form
    response = post_with_csrf(
        client,
        path,
        path,
        {
            "name": "Riverside Families",
            "code": "stolen",
            "sites": "https://new.example",
            "contact_question": "",
        },
    )
    assert response.status_code == 303
    db.session.refresh(ally)
    assert (ally.name, ally.code, ally.site_list) == (
        "Riverside Families",
        "riverside",
        ["https://new.example"],
    )
    response = post_with_csrf(client, path, path, {"name": "R", "sites": "https://x.example/path"})
    assert response.status_code == 400


def test_removing_an_ally_keeps_the_code_on_its_signatures(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    ally = make_ally(campaign, code="riverside")
    signature = make_signature(campaign, state=CONFIRMED, referrer="riverside")
    log_in_as(client, team["editor"])
    response = post_with_csrf(
        client, f"{allies_path(campaign)}/{ally.id}/remove", allies_path(campaign)
    )
    assert response.status_code == 303
    assert db.session.execute(select(Ally)).first() is None
    assert db.session.get(Signature, signature.id).referrer == "riverside"


def test_another_campaigns_ally_is_not_found(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    ally = make_ally(make_campaign(slug="elsewhere"))
    log_in_as(client, team["owner"])
    assert client.get(f"{allies_path(campaign)}/{ally.id}/edit").status_code == 404
    response = post_with_csrf(
        client, f"{allies_path(campaign)}/{ally.id}/remove", allies_path(campaign)
    )
    assert response.status_code == 404
    assert db.session.get(Ally, ally.id) is not None
    assert client.get(f"{allies_path(campaign)}/{10**12}/edit").status_code == 404


def test_a_new_stats_link_replaces_the_old_one(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    ally = make_ally(campaign)
    old = ally.stats_key
    log_in_as(client, team["editor"])
    response = post_with_csrf(
        client, f"{allies_path(campaign)}/{ally.id}/new-link", allies_path(campaign)
    )
    assert response.status_code == 303
    db.session.refresh(ally)
    assert ally.stats_key != old
    assert client.get(f"/allies/{old}").status_code == 404
    assert client.get(f"/allies/{ally.stats_key}").status_code == 200


def test_the_team_limits_the_widget_to_the_allies_sites_and_back(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    log_in_as(client, team["editor"])
    path = allies_path(campaign) + "/framing"
    post_with_csrf(client, path, allies_path(campaign), {"widget_allies_only": "y"})
    db.session.refresh(campaign)
    assert campaign.widget_allies_only is True
    assert (
        'id="widget_allies_only" name="widget_allies_only" type="checkbox" value="y" checked'
        in (client.get(allies_path(campaign)).get_data(as_text=True))
        or "checked" in client.get(allies_path(campaign)).get_data(as_text=True)
    )
    post_with_csrf(client, path, allies_path(campaign), {})
    db.session.refresh(campaign)
    assert campaign.widget_allies_only is False


def test_the_dashboard_names_the_ally_behind_a_referrer_code(client):
    team = make_campaign_team()
    campaign = team["campaign"]
    make_ally(campaign, name="Riverside Parents", code="riverside")
    make_signature(campaign, state=CONFIRMED, referrer="riverside")
    make_signature(campaign, state=CONFIRMED, referrer="riverside")
    make_signature(campaign, state=CONFIRMED, referrer="abcdefabcdef")
    log_in_as(client, team["viewer"])
    html = client.get(f"/dashboard/campaigns/{campaign.id}").get_data(as_text=True)
    table = html[html.index('id="referrers-table"') :]
    assert re.search(
        r'<th scope="row"><bdi class="ally-name">Riverside Parents</bdi>: '
        r'<bdi dir="ltr">riverside</bdi></th><td class="numeric">2<',
        table,
    )
    assert re.search(r'<th scope="row"><bdi dir="ltr">abcdefabcdef</bdi></th>', table)
    assert f'href="/dashboard/campaigns/{campaign.id}/allies"' in html
