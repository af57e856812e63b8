"""Organiser pages in Arabic keep codes, addresses, dates, paths and hashes left to right.

In a right-to-left sentence the punctuation of a Latin fragment takes the sentence's
direction and moves: ?source= shows as =source?, *.uni.ac.uk as uni.ac.uk.*, a date and
its time swap places, /team becomes team/. Each page is read back as a tree and every such
value must sit in a left-to-right isolate (see tests/html_tree.py).
"""

from datetime import timedelta

import pytest

from app.core.database import utcnow
from app.exports.models import Export, ExportKind, ExportStatus
from app.extensions import db
from app.organisers.models import Role
from app.organisers.teams.organisations import create_organisation
from app.signatures.models import CONFIRMED
from tests.factories import (
    log_in_as,
    make_ally,
    make_campaign,
    make_invitation_link,
    make_member,
    make_organiser,
    make_signature,
)
from tests.html_tree import not_isolated, parse

MINUTE = "%Y-%m-%d %H:%M"
IP_HASH = "ab12cd34" + "0" * 24


@pytest.fixture
def team(app):
    """An organisation with its campaign, signatures, an ally, an invitation, exports."""
    owner = make_organiser(email="owner@example.org", admin=True)
    organisation = create_organisation(owner, "Riverside Parents", "riverside")
    editor = make_member(organisation, role=Role.EDITOR, email="editor@example.org")
    make_invitation_link(organisation, owner, email="invited@example.org")
    campaign = make_campaign(slug="parks", organisation=organisation, languages=("en", "ar"))
    ally = make_ally(campaign, name="Hill Choir", code="choir", sites=["https://choir.example"])
    signatures = [
        # A channel code the team made up is shown as typed (known ones by their name).
        make_signature(campaign, state=CONFIRMED, source="poster-7", referrer="choir")
        for _ in range(2)
    ]
    signatures.append(make_signature(campaign, email="ada+x@example.org"))
    for signature in signatures:
        signature.ip_hash = IP_HASH
    now = utcnow()
    export = Export(
        campaign_id=campaign.id,
        kind=ExportKind.PDF,
        status=ExportStatus.DONE,
        requested_by_id=editor.id,
        verification_code="Vq7Kp2Xw9m",
        sha256="3f" * 32,
        file_size=123_456,
        confirmed_count=2,
        period_start=now,
        period_end=now,
        finished_at=now,
        expires_at=now + timedelta(days=7),
    )
    db.session.add(export)
    db.session.commit()
    return {
        "owner": owner,
        "campaign": campaign,
        "ally": ally,
        "signatures": signatures,
        "export": export,
    }


def arabic_page(client, path: str) -> str:
    response = client.get(path + ("&" if "?" in path else "?") + "lang=ar")
    assert response.status_code == 200, path
    html = response.get_data(as_text=True)
    assert parse(html).all("html")[0].attrs.get("dir") == "rtl"
    return html


def campaign_pages(team) -> dict[str, list[str]]:
    """Each page of the campaign and the left-to-right values it shows."""
    campaign, signature, export = team["campaign"], team["signatures"][0], team["export"]
    base = f"/dashboard/campaigns/{campaign.id}"
    day = signature.confirmed_at.date().isoformat()
    return {
        base: ["?source=", "poster-7", "choir", day],
        f"{base}/share": [
            "?source=",
            "newsletter",
            "leaflet",
            "http://rally.test/c/parks",
        ],
        f"{base}/signatures": [
            signature.email,
            signature.created_at.strftime(MINUTE),
            signature.confirmed_at.strftime(MINUTE),
        ],
        f"{base}/review": [
            "+tag",
            IP_HASH[:8],
            "example.org",
            "2026-03-31T14:00",
            "(33.3 %)",
            signature.created_at.strftime("%Y-%m-%d %H:00"),
        ],
        f"{base}/allies": [
            "choir",
            "https://choir.example",
            "http://rally.test/c/parks?referrer=choir",
            "http://rally.test/embed/parks?referrer=choir",
        ],
        f"{base}/allies/new": ["?referrer=", "riverside-parents", "https://example.org"],
        f"{base}/edit": ["uni.ac.uk *.uni.ac.uk", "http://rally.test/c/parks"],
        f"{base}/delivery": ["2027-06-30"],
        f"{base}/exports": [
            f"PDF {export.id}",
            "editor@example.org",
            export.created_at.strftime(MINUTE),
            "123.5 kB",
            export.sha256,
            "2025-03-31",
        ],
        f"{base}/exports/{export.id}": [
            "PDF",
            export.sha256,
            "/v/Vq7Kp2Xw9m",
            export.created_at.strftime(MINUTE),
            export.finished_at.strftime(MINUTE),
            export.expires_at.strftime(MINUTE),
        ],
        "/organisations/riverside/campaigns/new": ["riverside-restrooms"],
    }


def test_campaign_pages_isolate_their_left_to_right_values(client, team):
    log_in_as(client, team["owner"])
    problems = {}
    for path, values in campaign_pages(team).items():
        html = arabic_page(client, path)
        if path.endswith(f"/campaigns/{team['campaign'].id}"):
            values.append(parse(html).by_id("confirmation-rate").text().strip())  # "100 %"
        if missing := not_isolated(html, values):
            problems[path] = missing
    assert not problems


def test_team_and_account_pages_isolate_addresses_paths_and_times(client, team):
    log_in_as(client, team["owner"])
    events = arabic_page(client, "/organisations/riverside/audit")
    created = team["campaign"].created_at  # the audit events are from the fixture's minute
    assert not not_isolated(events, ["/riverside", "owner@example.org", "invited@example.org"])
    times = parse(events).all("time")
    assert times and all(t.text().strip().startswith(f"{created:%Y-%m-%d}") for t in times)
    assert not not_isolated(events, [times[0].text().strip()])

    members = arabic_page(client, "/organisations/riverside/members")
    sent = parse(members).all("time")[0].text().strip()
    assert sent.endswith(" UTC")
    assert not not_isolated(
        members, ["owner@example.org", "editor@example.org", "invited@example.org", sent]
    )
    # The address cells keep the table's direction: only the address inside is isolated.
    cells = [td for td in parse(members).all("td") if "editor@example.org" in td.text()]
    assert cells and all("dir" not in td.attrs for td in cells)

    assert not not_isolated(
        arabic_page(client, "/organisations/riverside/settings"),
        ["/organisations/riverside", "riverside"],
    )
    assert not not_isolated(arabic_page(client, "/account"), ["owner@example.org"])


def test_python_made_messages_isolate_their_examples(client, team):
    """Labels and errors made in Python carry Unicode isolates around their examples."""
    log_in_as(client, team["owner"])
    lists = arabic_page(client, "/admin/signing-lists")
    assert not not_isolated(lists, ["*.example.com", "203.0.113.0/24"])


def test_the_verification_page_isolates_the_fingerprint_and_commands(client, team):
    page = arabic_page(client, "/v/Vq7Kp2Xw9m")
    assert not not_isolated(
        page,
        [team["export"].sha256, "sha256sum delivery.pdf", "(Linux)", "shasum -a 256 delivery.pdf"],
    )
    # The list of commands keeps the page's direction (its bullets on the right).
    assert all("dir" not in li.attrs for li in parse(page).all("li"))


def test_the_filter_escapes_what_it_isolates(app):
    from app.core.display_text import isolate_ltr, ltr

    assert ltr("<b>?source=</b>") == '<bdi dir="ltr">&lt;b&gt;?source=&lt;/b&gt;</bdi>'
    assert ltr(None) == '<bdi dir="ltr"></bdi>'
    assert isolate_ltr("*.uni.ac.uk") == "\u2066*.uni.ac.uk\u2069"
