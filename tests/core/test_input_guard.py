"""Values the database cannot hold (NUL, ids beyond an integer column) are a 4xx, never a 5xx.

These fail on PostgreSQL (set TEST_DATABASE_URL), where a NUL in a text parameter or an id
beyond 2**31 - 1 is a DataError: run them there too.
"""

import logging
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from app import create_app
from app.core.database import MAX_ROW_ID
from app.core.outbox import OutboxEmail
from app.extensions import db
from app.signatures.models import Signature
from tests.factories import csrf_token, log_in_as, make_ally, make_campaign, sign_form
from tests.helpers import SECRET
from tests.organisers.world import build_world

NUL = "\x00"
# Every query parameter a view reads (request.args and the forms built from it), so a NUL
# in each reaches whatever the view does with it: the review desk's filters among them.
QUERY_NAMES = (
    "name_pattern",
    "email_domain",
    "ip_hash",
    "network_hash",
    "held_rule",
    "since",
    "until",
    "state",
    "q",
    "review",
    "lang",
    "next",
    "before",
    "after",
    "done",
    "referrer",
    "source",
    "url",
    "format",
    "language",
    "ally",
)


def id_names(rule) -> set[str]:
    """The route's `<int:…>` variables."""
    return {name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)}


def _routes(keep) -> list[str]:
    """The endpoints whose rule `keep` accepts, read from an app that serves nothing."""
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(rule.endpoint for rule in app.url_map.iter_rules() if keep(rule))


GET_ROUTES = _routes(lambda rule: "GET" in rule.methods)
ID_ROUTES = _routes(id_names)
# A number no row has, to find an id's place in a built path.
MARKER = 1_234_567_890


def rule_of(app, endpoint):
    [rule] = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    return rule


def logged_in_world(client):
    """build_world's organisation and campaign, with its owner (also a site admin) logged in.

    So every route goes as far as it can, to its queries.
    """
    world = build_world()
    owner = world.people["owner"]
    owner.is_admin = True
    db.session.commit()
    log_in_as(client, owner)
    campaign = make_campaign(slug="open")
    world.values.update(
        slug=campaign.slug,
        token="a-token",
        stats_key=make_ally(campaign).stats_key,
        code="a-code",
        bucket=0,
        filename="css/site.css",
    )
    return world


def path_with(rule, values: dict, name: str | None = None, raw: str = "") -> str:
    """The rule's path for `values`, with the part for `name` written as `raw` (not quoted)."""
    chosen = {arg: values[arg] for arg in rule.arguments}
    if name is not None:
        chosen[name] = MARKER if name in id_names(rule) else f"m{MARKER}"
    path = rule.build(chosen, append_unknown=False)[1]
    return path if name is None else path.replace(str(chosen[name]), raw, 1)


def errors_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("endpoint", GET_ROUTES)
def test_a_nul_in_any_path_value_or_query_parameter_is_a_4xx_not_a_5xx(
    app, client, caplog, endpoint
):
    values = logged_in_world(client).values
    rule = rule_of(app, endpoint)
    paths = [
        path_with(rule, values, name, f"{quote(str(values[name]))}%00") for name in rule.arguments
    ]
    plain = path_with(rule, values)
    paths.append(plain + "?" + "&".join(f"{name}=a%00" for name in QUERY_NAMES))
    paths += [f"{plain}?{name}=a%00" for name in QUERY_NAMES]
    paths.append(plain + "?a%00=b")
    with caplog.at_level(logging.INFO):
        for path in paths:
            response = client.get(path)
            assert response.status_code in (400, 404), (path, response.status_code)
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("endpoint", ID_ROUTES)
def test_an_id_beyond_an_integer_column_is_a_404_in_every_route(app, client, caplog, endpoint):
    rule = rule_of(app, endpoint)
    values = logged_in_world(client).values
    method = "GET" if "GET" in rule.methods else "POST"
    with caplog.at_level(logging.INFO):
        for name in sorted(id_names(rule)):
            for raw in (str(10**20), str(MAX_ROW_ID + 1), "9" * 5000, "\u0661"):
                path = path_with(rule, values, name, quote(raw))
                response = client.open(path, method=method)
                # Werkzeug says 405 to a POST whose id fails, when the path also has a GET.
                assert response.status_code in (400, 404, 405), (path, response.status_code)
    assert errors_logged(caplog) == []


def test_the_probed_dashboard_address_is_a_404(client, caplog):
    logged_in_world(client)
    with caplog.at_level(logging.INFO):
        assert client.get("/dashboard/campaigns/99999999999999999999").status_code == 404
    assert errors_logged(caplog) == []


def rows(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_nul_in_a_posted_form_is_a_400_and_nothing_is_stored(client):
    make_campaign(slug="c")
    token = csrf_token(client, "/c/c")
    for body in (
        {"csrf_token": token, **sign_form(name=f"Ada{NUL}Lovelace")},
        {"csrf_token": token, **sign_form(), f"na{NUL}me": "x"},
    ):
        assert client.post("/c/c/sign", data=body).status_code == 400
    multipart = {"csrf_token": token, **sign_form(postcode=f"N1{NUL}")}
    response = client.post("/c/c/sign", data=multipart, content_type="multipart/form-data")
    assert response.status_code == 400
    assert rows(Signature) == 0 and rows(OutboxEmail) == 0


def test_a_nul_in_a_header_is_a_400(client):
    make_campaign(slug="c")
    assert client.get("/c/c", headers={"User-Agent": f"x{NUL}y"}).status_code == 400
