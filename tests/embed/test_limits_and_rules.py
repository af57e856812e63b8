"""The widget signs under the campaign page's limits (cases 20, 24) and fraud rules (18)."""

import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.signatures.fraud.rules import HONEYPOT, NO_RENDER_STAMP, TOO_FAST
from app.signatures.fraud.stamps import make_render_stamp
from app.signatures.models import Signature
from tests.factories import form_as_shown, make_campaign, sign_form, submit_signature

LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_SIGN": "3 per minute"}


def rows() -> int:
    return db.session.execute(select(func.count()).select_from(Signature)).scalar_one()


def widget_post(client, slug="c", form=None, **fields):
    shown = form_as_shown(client.get(f"/embed/{slug}").get_data(as_text=True))
    return client.post(f"/embed/{slug}/sign", data={**shown, **(form or {}), **sign_form(**fields)})


@pytest.fixture
def cookieless(app):
    return app.test_client(use_cookies=False)


@pytest.mark.parametrize("config_overrides", [LIMITED])
def test_the_widget_and_the_campaign_page_share_the_signing_limit(client, cookieless):
    make_campaign(slug="a")
    make_campaign(slug="b")
    assert [widget_post(cookieless, "a").status_code for _ in range(2)] == [303, 303]
    assert submit_signature(client, "a").status_code == 303
    response = widget_post(cookieless, "a", name="Kept Kim")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    # The widget again, in its frame, with what was typed and a fresh token.
    assert "Too many attempts" in html and 'value="Kept Kim"' in html
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert form_as_shown(html)["form_token"]
    # Case 24: a flood on one campaign does not throttle another.
    assert widget_post(cookieless, "b").status_code == 303
    assert rows() == 4


@pytest.mark.parametrize(
    "config_overrides", [{**LIMITED, "RATELIMIT_SIGN_ATTEMPTS": "8 per minute"}]
)
def test_refused_posts_use_only_the_attempt_limit(cookieless):
    make_campaign(slug="a")
    refused = [
        cookieless.post("/embed/a/sign", data=sign_form()).status_code,  # no token
        widget_post(cookieless, "a", name="").status_code,  # a typo
        widget_post(cookieless, "a", form={"form_token": "forged"}).status_code,
    ]
    assert refused == [400, 400, 400]
    # Refused posts did not use up the signing limit...
    assert [widget_post(cookieless, "a").status_code for _ in range(3)] == [303] * 3
    # ...but every one of them counts towards the attempt limit: the ninth is refused.
    assert [widget_post(cookieless, "a", name="").status_code for _ in range(3)] == [400, 400, 429]


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True}])
def test_the_global_limit_counts_widget_signatures_across_campaigns(app, cookieless):
    app.config.update(RATELIMIT_SIGN_GLOBAL="2 per hour")
    for slug in ("a", "b", "c"):
        make_campaign(slug=slug)
    assert widget_post(cookieless, "a").status_code == 303
    assert widget_post(cookieless, "b").status_code == 303
    assert widget_post(cookieless, "c").status_code == 429


@pytest.mark.parametrize("config_overrides", [{"FRAUD_RULES_ENABLED": True}])
@pytest.mark.parametrize(
    ("form", "rule"),
    [
        ({"website": "http://spam.example"}, HONEYPOT),
        ({"rendered": ""}, NO_RENDER_STAMP),
        ({}, TOO_FAST),  # the stamp the widget carried: sent within a second
    ],
)
def test_the_honeypot_and_render_stamp_hold_widget_signatures(cookieless, form, rule):
    make_campaign(slug="c")
    assert widget_post(cookieless, form=form).status_code == 303
    assert db.session.execute(select(Signature.held_rule)).scalar_one() == rule


@pytest.mark.parametrize("config_overrides", [{"FRAUD_RULES_ENABLED": True}])
def test_a_person_who_takes_their_time_in_the_widget_is_not_held(cookieless):
    campaign = make_campaign(slug="c")
    stamp = make_render_stamp(campaign.id, now=time.time() - 10)
    assert widget_post(cookieless, form={"rendered": stamp}).status_code == 303
    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.held_rule is None and signature.source == "embed"


@pytest.mark.parametrize("config_overrides", [LIMITED])
@pytest.mark.parametrize("name", ["Valid Val", ""], ids=["valid", "invalid"])
def test_a_widget_post_validates_its_form_once_for_the_limits_and_the_view(
    cookieless, monkeypatch, name
):
    from app.embed.forms import EmbedSignForm

    validations = []
    real_validate = EmbedSignForm.validate
    monkeypatch.setattr(
        EmbedSignForm,
        "validate",
        lambda form, **kw: validations.append(1) or real_validate(form, **kw),
    )
    make_campaign(slug="a")

    response = widget_post(cookieless, "a", name=name)

    assert response.status_code == (303 if name else 400)
    assert len(validations) == 1
