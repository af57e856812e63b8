"""Case 27: only the embed widget's own pages may be framed; every other response may not."""

import pytest

from app.embed import views as embed_views
from tests.embed.widget_pages import assert_frameable_by_any_site, assert_unframeable
from tests.factories import make_campaign


def test_the_widget_and_its_check_inbox_page_may_be_framed_by_any_site(client):
    make_campaign(slug="c")
    for path in ("/embed/c", "/embed/c?lang=ar", "/embed/c/check-inbox"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_frameable_by_any_site(response)


@pytest.mark.parametrize("path", ["/", "/c/c", "/c/c/check-inbox", "/c/missing", "/embed/missing"])
def test_every_other_page_and_error_page_refuses_framing(client, path):
    make_campaign(slug="c")
    assert_unframeable(client.get(path))


def test_a_server_error_on_the_widget_refuses_framing(app, client, monkeypatch):
    make_campaign(slug="c")

    def broken(*args, **kwargs):
        raise RuntimeError("the page data could not be read")

    monkeypatch.setattr(embed_views, "get_campaign_page", broken)
    response = client.get("/embed/c")
    assert response.status_code == 500
    assert_unframeable(response)


def test_a_server_error_elsewhere_refuses_framing(app):
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/boom-for-test", view_func=broken)
    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    assert_unframeable(response)
