"""Every menu of languages names each language in itself, marked with its own lang and dir."""

import pytest

from app.organisers.models import Role
from tests.factories import log_in_as, make_campaign, make_member, make_organisation
from tests.html import parse, text

OWN_NAMES = {"en": ("English", "ltr"), "ar": ("العربية", "rtl"), "fr": ("Français", "ltr")}


@pytest.fixture
def campaign_page(client):
    """Log in an owner of a campaign in English and Arabic; `path` formats {campaign}."""
    organisation = make_organisation(slug="team")
    owner = make_member(organisation, role=Role.OWNER)
    campaign = make_campaign(organisation=organisation, languages=("en", "ar"))
    log_in_as(client, owner)

    def get(path: str, interface: str):
        response = client.get(path.format(campaign=campaign.id) + f"?lang={interface}")
        assert response.status_code == 200
        return parse(response.text)

    return get


@pytest.mark.parametrize("interface", ["en", "ar"])
@pytest.mark.parametrize(
    ("path", "menu", "languages"),
    [
        ("/dashboard/campaigns/{campaign}/edit", "select#default_language", ["en", "ar"]),
        ("/dashboard/campaigns/{campaign}/share", "select#language", ["en", "ar"]),
        ("/dashboard/campaigns/{campaign}/exports", "select#pdf-language", ["en", "ar"]),
    ],
    ids=["default-language", "share-page", "delivery-pdf"],
)
def test_the_campaigns_languages_are_named_in_themselves(
    campaign_page, interface, path, menu, languages
):
    page = campaign_page(path, interface)

    options = page.select(f"{menu} option")

    assert [option.get("value") for option in options] == languages
    for option in options:
        code = option.get("value")
        name, direction = OWN_NAMES[code]
        assert (text(option), option.get("lang"), option.get("dir")) == (name, code, direction)


@pytest.mark.parametrize("interface", ["en", "ar"])
@pytest.mark.parametrize(
    ("path", "menu"),
    [
        ("/organisations/team/campaigns/new", "main select#language"),
        ("/dashboard/campaigns/{campaign}/edit", "form[action$='/languages'] select"),
    ],
    ids=["new-campaign", "add-a-language"],
)
def test_the_languages_to_choose_from_are_named_in_themselves(campaign_page, interface, path, menu):
    page = campaign_page(path, interface)

    offered = {option.get("value"): option for option in page.select(f"{menu} option")}

    french = offered["fr"]
    assert (text(french), french.get("lang"), french.get("dir")) == ("Français", "fr", "ltr")
    if "ar" in offered:  # a new campaign may be written in Arabic
        assert (text(offered["ar"]), offered["ar"].get("dir")) == ("العربية", "rtl")
    # No code left in a name, and every option (but a placeholder) says its language.
    for code, option in offered.items():
        if code:
            assert option.get("lang") == code and f"({code})" not in text(option)
