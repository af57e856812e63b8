"""A campaign open only to some email domains (a university's, say): set, kept, enforced."""

import re

import pytest

from app.campaigns.dump import campaign_toml, spec_from_campaign
from app.campaigns.loader import (
    CampaignFileError,
    email_domain_allowed,
    email_domain_patterns,
    read_campaign_folder,
)
from app.campaigns.models import DRAFT
from app.extensions import db
from tests.campaigns.campaign_files import VALID_TOML, write_campaign
from tests.factories import make_campaign, submit_signature
from tests.organisers.editor.editing import campaign_named, editor_client, editor_team, settings_of


def test_patterns_and_matching():
    assert email_domain_patterns(" UCL.ac.uk, *.ucl.ac.uk @ox.ac.uk ucl.ac.uk") == (
        "ucl.ac.uk",
        "*.ucl.ac.uk",
        "ox.ac.uk",
    )
    for bad in ("not a domain!", "*ucl.ac.uk", "localhost", "-x.example"):
        with pytest.raises(ValueError):
            email_domain_patterns(bad)
    patterns = ("ucl.ac.uk", "*.ox.ac.uk")
    assert email_domain_allowed("UCL.ac.uk", patterns)
    assert email_domain_allowed("maths.ox.ac.uk", patterns)
    assert not email_domain_allowed("ox.ac.uk", patterns)  # *. is for subdomains only
    assert not email_domain_allowed("evilucl.ac.uk", patterns)
    assert not email_domain_allowed("ucl.ac.uk.evil.example", patterns)
    assert email_domain_allowed("gmail.com", ())


def test_campaign_files_say_it_and_dumps_keep_it(app, tmp_path):
    toml = VALID_TOML.format(slug="uni") + 'allowed_email_domains = ["ucl.ac.uk", "*.ucl.ac.uk"]\n'
    spec = read_campaign_folder(write_campaign(tmp_path, "uni", toml))
    assert spec.allowed_email_domains == ("ucl.ac.uk", "*.ucl.ac.uk")
    campaign = make_campaign(slug="uni")
    campaign.allowed_email_domains = "ucl.ac.uk *.ucl.ac.uk"
    db.session.commit()
    dumped = campaign_toml(spec_from_campaign(campaign))
    assert 'allowed_email_domains = ["ucl.ac.uk", "*.ucl.ac.uk"]' in dumped
    bad = VALID_TOML.format(slug="bad") + 'allowed_email_domains = ["not a domain"]\n'
    with pytest.raises(CampaignFileError, match="allowed_email_domains"):
        read_campaign_folder(write_campaign(tmp_path, "bad", bad))


def test_the_team_sets_it_in_the_settings(client):
    team = editor_team()
    campaign = make_campaign(slug="uni", status=DRAFT, organisation=team[0])
    editor_client(client, team)
    path, form = settings_of(client, campaign)
    response = client.post(path, data={**form, "allowed_email_domains": "nonsense domain!"})
    # The example domain is isolated left to right (it reads "uni.ac.uk" in Arabic too).
    shown = "such as \u2066uni.ac.uk\u2069"
    assert response.status_code == 400 and shown in response.get_data(as_text=True)
    response = client.post(path, data={**form, "allowed_email_domains": "UCL.ac.uk *.ucl.ac.uk"})
    assert response.status_code == 303
    assert campaign_named("uni").allowed_email_domains == "ucl.ac.uk *.ucl.ac.uk"
    assert settings_of(client, campaign)[1]["allowed_email_domains"] == "ucl.ac.uk *.ucl.ac.uk"


def test_other_addresses_are_told_next_to_the_email_field(client):
    campaign = make_campaign(slug="uni")
    campaign.allowed_email_domains = "ucl.ac.uk *.ucl.ac.uk"
    db.session.commit()
    refused = submit_signature(client, "uni", email="ada@gmail.com")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    error = re.search(r'<p class="field__error" id="email-error">(.*?)</p>', page, re.S)
    assert error and "This petition is for addresses at ucl.ac.uk only." in error.group(1)
    assert submit_signature(client, "uni", email="ada@cs.ucl.ac.uk").status_code == 303
    assert submit_signature(client, "uni", email="bo@UCL.ac.uk").status_code == 303
