"""Who may use which organiser route: the whole matrix, checked route by route.

Every organiser endpoint must appear in ACCESS (or PUBLIC): a new route without a row fails
`test_every_organiser_route_has_a_row`, so none ships unchecked.
"""

import re

import pytest

from app.organisers.models import Role
from tests.factories import (
    csrf_token,
    log_in_as,
)
from tests.organisers.world import build_world

ORGANISER_BLUEPRINTS = ("accounts", "teams", "editor", "dashboard", "review", "exports", "allies")

# Anyone may open these: login, sign-up, reset and invitation links (the link is the secret).
PUBLIC = {
    "accounts.signup",
    "accounts.signup_confirm_page",
    "accounts.signup_confirm",
    "accounts.login",
    "accounts.two_step",
    "accounts.logout",
    "accounts.reset_request",
    "accounts.reset_password",
    "teams.invitation",
    "teams.accept_invitation",
    "allies.stats",  # an ally's counts: the secret link is the key
}

LOGGED_IN = "any organiser"
ADMIN = "site admins"
ADMIN_ON_CAMPAIGN = "site admins, on any campaign"

# endpoint -> who may use it: a role in the route's organisation or campaign, or a kind.
ACCESS = {
    "accounts.account": LOGGED_IN,
    "accounts.resend_confirmation": LOGGED_IN,
    "accounts.end_sessions": LOGGED_IN,
    "accounts.two_factor": LOGGED_IN,
    "accounts.renew_recovery_codes": LOGGED_IN,
    "accounts.site_settings": ADMIN,
    "review.signing_lists": ADMIN,
    "review.remove_list_entry": ADMIN,
    "dashboard.home": LOGGED_IN,
    "dashboard.campaign": Role.VIEWER,
    "dashboard.signatures": Role.EDITOR,
    "review.hide_name": Role.EDITOR,
    "review.show_name": Role.EDITOR,
    "review.approve_name": Role.EDITOR,
    "review.desk": Role.VIEWER,
    "review.act": Role.EDITOR,
    "review.undo": Role.EDITOR,
    "dashboard.qr_svg": Role.VIEWER,
    "dashboard.qr_png": Role.VIEWER,
    "dashboard.share": Role.VIEWER,
    "allies.index": Role.VIEWER,
    "allies.add": Role.EDITOR,
    "allies.edit": Role.EDITOR,
    "allies.remove": Role.EDITOR,
    "allies.new_stats_link": Role.EDITOR,
    "allies.framing": Role.EDITOR,
    "teams.new_organisation": LOGGED_IN,
    "teams.organisation": Role.VIEWER,
    "teams.members": Role.OWNER,
    "teams.invite": Role.OWNER,
    "teams.withdraw_invitation": Role.OWNER,
    "teams.change_role": Role.OWNER,
    "teams.remove_member": Role.OWNER,
    "teams.settings": Role.OWNER,
    "teams.rename": Role.OWNER,
    "teams.delete": Role.OWNER,
    "teams.audit": Role.OWNER,
    "editor.new_campaign": Role.EDITOR,
    "editor.new_site_campaign": ADMIN,
    "editor.edit_campaign": Role.EDITOR,
    "editor.edit_text": Role.EDITOR,
    "editor.add_campaign_language": Role.EDITOR,
    "editor.remove_campaign_language": Role.EDITOR,
    "editor.preview": Role.VIEWER,
    "editor.delivery": Role.EDITOR,
    "editor.publish": Role.EDITOR,
    "editor.close": Role.EDITOR,
    "editor.reopen": Role.EDITOR,
    "editor.unpublish": ADMIN_ON_CAMPAIGN,
    "editor.republish": ADMIN_ON_CAMPAIGN,
    "exports.index": Role.EDITOR,
    "exports.start": Role.EDITOR,
    "exports.status": Role.EDITOR,
    "exports.download": Role.EDITOR,
    "exports.reauthenticate": LOGGED_IN,
}

PERSONAS = ("anonymous", "outsider", "viewer", "editor", "owner", "admin")
ALLOWED, LOGIN, NOT_FOUND, FORBIDDEN = "allowed", "login", "404", "403"


def expected(rule, persona: str, organisation_page: bool) -> str:
    """What the specification says `persona` gets from a route with rule `rule`."""
    if persona == "anonymous":
        return LOGIN
    if rule == LOGGED_IN:
        return ALLOWED
    if rule in (ADMIN, ADMIN_ON_CAMPAIGN):
        return ALLOWED if persona == "admin" else NOT_FOUND
    if persona == "outsider":
        return NOT_FOUND
    if persona == "admin":
        # Organisation pages are for members; on other teams' campaigns a site admin has
        # a viewer's rights (figures, not people).
        if organisation_page:
            return NOT_FOUND
        persona = Role.VIEWER
    return ALLOWED if Role(persona).includes(rule) else FORBIDDEN


def organiser_endpoints(app) -> dict[str, object]:
    return {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ORGANISER_BLUEPRINTS
    }


def test_every_organiser_route_has_a_row(app):
    endpoints = set(organiser_endpoints(app))
    assert endpoints - PUBLIC - set(ACCESS) == set(), "add these routes to ACCESS or PUBLIC"
    assert set(ACCESS) | PUBLIC <= endpoints, "rows for routes that no longer exist"


def outcome(response) -> str:
    if response.status_code in (301, 302, 303) and "/login" in response.headers["Location"]:
        return LOGIN
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code == 403:
        return FORBIDDEN
    return ALLOWED


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_route_allows_exactly_whom_it_should(app, client, endpoint, persona):
    world = build_world()
    rule = organiser_endpoints(app)[endpoint]
    path = rule.build({name: world.values[name] for name in rule.arguments}, append_unknown=False)[
        1
    ]
    if persona != "anonymous":
        log_in_as(client, world.people[persona])
    if "GET" in rule.methods:
        response = client.get(path)
    else:
        # A real form post (its CSRF token read from a page with a form), with no fields:
        # the guard answers before any validation does.
        form_page = "/login" if persona == "anonymous" else "/account"
        response = client.post(path, data={"csrf_token": csrf_token(client, form_page)})
    organisation_page = "org_slug" in rule.arguments
    assert outcome(response) == expected(ACCESS[endpoint], persona, organisation_page), (
        f"{persona} on {rule.methods & {'GET', 'POST'}} {path}: {response.status_code}"
    )


def test_a_refused_outsider_is_logged(app, client, caplog):
    world = build_world()
    log_in_as(client, world.people["outsider"])
    with caplog.at_level("WARNING", logger="rally.access"):
        assert (
            client.get(f"/dashboard/campaigns/{world.values['campaign_id']}/edit").status_code
            == 404
        )
    assert re.search(r"asked for campaign \d+ outside their organisations", caplog.text)
