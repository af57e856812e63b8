"""The review desk tests' team: an owner, an editor and a viewer on one campaign."""

import pytest

from app.organisers.models import Role
from tests.factories import make_campaign, make_member, make_organisation, make_organiser


@pytest.fixture
def team(app):
    owner = make_organiser(email="owner@example.org")
    organisation = make_organisation(owner=owner)
    editor = make_member(organisation, role=Role.EDITOR, email="editor@example.org")
    make_member(organisation, role=Role.VIEWER, email="viewer@example.org")
    campaign = make_campaign(organisation=organisation)
    return campaign, owner, editor
