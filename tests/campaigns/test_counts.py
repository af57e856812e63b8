"""The maintained count: sharded, never COUNT(*) per view, equal to the confirmed rows."""

from sqlalchemy import event, func, select

from app.campaigns.counts import confirmed_counts
from app.campaigns.models import CampaignCountShard
from app.core.page_slots import page_slot
from app.extensions import db
from app.signatures.models import CONFIRMED, Signature
from app.signatures.services import recount_campaign
from app.signatures.signing import confirmation_token
from tests.campaign_page import shown_count
from tests.factories import (
    confirm_details,
    csrf_token,
    make_campaign,
    make_signature,
    post_with_csrf,
    sign_form,
)
from tests.parallel import in_own_thread, run_in_parallel


def confirmed_rows(campaign) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.state == CONFIRMED)
    ).scalar_one()


def test_many_threads_confirming_at_once_show_the_exact_count(app, client):
    campaign = make_campaign(slug="c", goal=1000)
    links = [f"/confirm/{confirmation_token(make_signature(campaign))}" for _ in range(24)]
    pending_links = iter(links)

    def confirm_one():
        with app.test_client() as browser:
            response = post_with_csrf(browser, next(pending_links), "/c/c", confirm_details())
            assert response.status_code == 200, response.status_code

    assert run_in_parallel(len(links), confirm_one) == []
    assert confirmed_rows(campaign) == 24
    assert shown_count(client, "c") == 24
    shards = (
        db.session.execute(
            select(CampaignCountShard).where(CampaignCountShard.campaign_id == campaign.id)
        )
        .scalars()
        .all()
    )
    assert len(shards) == app.config["COUNT_SHARDS"]
    assert sum(s.count for s in shards) == 24


def test_a_page_view_does_not_count_signature_rows(app, client):
    campaign = make_campaign(slug="c")
    make_signature(campaign, state=CONFIRMED)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.lower())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert shown_count(client, "c") == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert not [s for s in statements if "count(" in s and "from signatures" in s]


def test_page_is_cached_for_a_moment_but_every_visitor_gets_their_own_token(app):
    app.config["PAGE_CACHE_SECONDS"] = 60
    campaign = make_campaign(slug="c")
    first_visitor, second_visitor = app.test_client(), app.test_client()
    assert shown_count(first_visitor, "c") == 0
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    tokens = [
        in_own_thread(lambda v=visitor: csrf_token(v, "/c/c"))
        for visitor in (first_visitor, second_visitor)
    ]
    assert statements == []  # served from the cache
    assert tokens[0] != tokens[1] and page_slot("csrf") not in "".join(tokens)
    make_signature(campaign, state=CONFIRMED)
    assert shown_count(first_visitor, "c") == 0  # a moment stale, by design
    # Both cached forms work, each with its own session.
    for visitor, token in zip((first_visitor, second_visitor), tokens, strict=True):
        response = visitor.post("/c/c/sign", data={"csrf_token": token, **sign_form()})
        assert response.status_code == 303


def test_recount_rebuilds_the_shards_from_confirmed_rows(app):
    campaign = make_campaign(slug="c")
    for _ in range(3):
        make_signature(campaign, state=CONFIRMED)
    db.session.execute(CampaignCountShard.__table__.update().values(count=99))
    db.session.commit()
    assert recount_campaign(campaign) == 3
    assert confirmed_counts([campaign.id]) == {campaign.id: 3}
