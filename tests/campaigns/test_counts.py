"""The maintained count: sharded, never COUNT(*) per view, equal to the confirmed rows."""

from sqlalchemy import event, func, select

from app.campaigns.models import CampaignCountShard
from app.campaigns.services import confirmed_counts, recount_campaign
from app.extensions import db
from app.signatures.models import CONFIRMED, Signature
from app.signatures.services import confirmation_token
from tests.factories import make_campaign, make_signature, post_with_csrf
from tests.parallel import run_in_parallel


def confirmed_rows(campaign) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.state == CONFIRMED)
    ).scalar_one()


def shown_count(client, slug) -> int:
    import re

    html = client.get(f"/c/{slug}").get_data(as_text=True)
    return int(re.search(r'<progress max="\d+" value="(\d+)"', html).group(1))


def test_many_threads_confirming_at_once_show_the_exact_count(app, client):
    campaign = make_campaign(slug="c", goal=1000)
    links = [f"/confirm/{confirmation_token(make_signature(campaign))}" for _ in range(24)]
    pending_links = iter(links)

    def confirm_one():
        with app.test_client() as browser:
            response = post_with_csrf(browser, next(pending_links), "/c/c")
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


def test_page_data_is_cached_for_a_moment(app, client):
    app.config["PAGE_CACHE_SECONDS"] = 60
    campaign = make_campaign(slug="c")
    assert shown_count(client, "c") == 0
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    first, second = client.get("/c/c"), client.get("/c/c")
    assert statements == []  # served from the cache
    # ...while every visitor still gets a form with a valid token of their own.
    assert first.status_code == second.status_code == 200
    assert 'name="csrf_token"' in second.get_data(as_text=True)
    make_signature(campaign, state=CONFIRMED)
    assert shown_count(client, "c") == 0  # a moment stale, by design


def test_recount_rebuilds_the_shards_from_confirmed_rows(app):
    campaign = make_campaign(slug="c")
    for _ in range(3):
        make_signature(campaign, state=CONFIRMED)
    db.session.execute(CampaignCountShard.__table__.update().values(count=99))
    db.session.commit()
    assert recount_campaign(campaign) == 3
    assert confirmed_counts([campaign.id]) == {campaign.id: 3}
