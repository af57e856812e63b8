"""QR codes of a campaign's link: what they encode, how they download, and who may have them."""

from io import BytesIO

import pytest
import segno
from PIL import Image

from app.organisers.models import Role
from tests.factories import (
    log_in_as,
    make_campaign,
    make_member,
    make_organisation,
    make_organiser,
)
from tests.helpers import BASE_URL

EXPECTED_URL = BASE_URL + "/c/parks?source=qr"


@pytest.fixture
def team(app):
    owner = make_organiser(email="owner@example.org")
    organisation = make_organisation(owner=owner, slug="friends", name="Friends of Parks")
    return {
        "organisation": organisation,
        "campaign": make_campaign(slug="parks", organisation=organisation),
        "viewer": make_member(organisation, role=Role.VIEWER),
    }


def qr_path(campaign, kind) -> str:
    return f"/dashboard/campaigns/{campaign.id}/qr.{kind}"


def modules_of_png(data: bytes) -> list[list[bool]]:
    """The dark modules of a PNG QR code, read back one sample per module."""
    image = Image.open(BytesIO(data)).convert("L")
    reference = segno.make(EXPECTED_URL, error="m")
    width = reference.symbol_size()[0]  # modules across, quiet zone included
    scale = image.width / width
    border = 4
    return [
        [
            image.getpixel((int((x + border + 0.5) * scale), int((y + border + 0.5) * scale))) < 128
            for x in range(width - 2 * border)
        ]
        for y in range(width - 2 * border)
    ]


def test_the_svg_encodes_the_campaign_link_marked_as_from_a_qr_code(client, team):
    log_in_as(client, team["viewer"])

    response = client.get(qr_path(team["campaign"], "svg"))

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="parks-qr.svg"'
    assert response.headers["Cache-Control"] == "no-store"
    expected = BytesIO()
    segno.make(EXPECTED_URL, error="m").save(expected, kind="svg", scale=6, xmldecl=True)
    assert response.data == expected.getvalue()
    other = BytesIO()
    segno.make(BASE_URL + "/c/parks", error="m").save(other, kind="svg", scale=6, xmldecl=True)
    assert response.data != other.getvalue()  # the comparison can tell links apart


def test_the_png_has_the_same_modules_as_the_campaign_link(client, team):
    log_in_as(client, team["viewer"])

    response = client.get(qr_path(team["campaign"], "png"))

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == 'attachment; filename="parks-qr.png"'
    expected = [[bool(bit) for bit in row] for row in segno.make(EXPECTED_URL, error="m").matrix]
    assert modules_of_png(response.data) == expected


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_outsiders_get_not_found(client, team, kind):
    outsider = make_member(make_organisation(slug="elsewhere"), role=Role.OWNER)
    log_in_as(client, outsider)

    assert client.get(qr_path(team["campaign"], kind)).status_code == 404


def test_the_share_and_embed_page_links_to_both(client, team):
    log_in_as(client, team["viewer"])

    html = client.get(f"/dashboard/campaigns/{team['campaign'].id}/share").get_data(as_text=True)

    assert f'href="{qr_path(team["campaign"], "svg")}"' in html
    assert f'href="{qr_path(team["campaign"], "png")}"' in html
