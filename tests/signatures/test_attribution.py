"""Attribution: the first share channel and referrer, copied onto the signature.

A confirmed signer sees how many people their own links brought, through a signed link.
"""

import re
from html import unescape

from sqlalchemy import select

from app.core.outbox import send_due_emails
from app.extensions import db
from app.signatures.attribution import (
    COOKIE,
    brought_link_token,
    first_touch_cookie,
    referral_code,
    signature_id_from_brought_token,
)
from app.signatures.models import CONFIRMED, Signature
from tests.factories import (
    confirm_with_click,
    csrf_token,
    log_in_as,
    make_campaign,
    make_organisation,
    make_organiser,
    make_signature,
    sign_form,
)
from tests.html import parse


def land_and_sign(client, path, email, **fields):
    token = csrf_token(client, path)
    slug = path.split("/")[2].split("?")[0]
    return client.post(
        f"/c/{slug}/sign", data={"csrf_token": token, **sign_form(email=email, **fields)}
    )


def attribution_of(email) -> tuple[str, str]:
    db.session.expire_all()
    signature = db.session.scalar(select(Signature).where(Signature.email == email))
    return signature.source, signature.referrer


def test_the_first_touch_is_kept_and_copied_onto_the_signature(client):
    make_campaign(slug="c")
    assert (
        land_and_sign(client, "/c/c?source=WhatsApp&referrer=ally-7", "a@example.org").status_code
        == 303
    )
    assert attribution_of("a@example.org") == ("whatsapp", "ally-7")
    # A later landing through another link takes no credit: the first touch counts.
    land_and_sign(client, "/c/c?source=telegram", "b@example.org")
    assert attribution_of("b@example.org") == ("whatsapp", "ally-7")


def test_aliases_bad_codes_and_forged_cookies(client, app):
    make_campaign(slug="c")
    land_and_sign(client, "/c/c?utm_source=newsletter", "u@example.org")
    assert attribution_of("u@example.org") == ("newsletter", "")
    other = app.test_client()
    land_and_sign(other, "/c/c?source=<script>&referrer=" + "x" * 41, "bad@example.org")
    assert attribution_of("bad@example.org") == ("", "")
    forged = app.test_client()
    with app.test_request_context():
        genuine = first_touch_cookie({"source": "qr"})
    forged.set_cookie(COOKIE, genuine[:-2] + "xx")
    land_and_sign(forged, "/c/c", "forged@example.org")
    assert attribution_of("forged@example.org") == ("", "")


def test_a_signer_sees_whom_their_own_links_brought(client, app, smtp):
    make_campaign(slug="c")
    land_and_sign(client, "/c/c", "ada@example.org")
    send_due_emails()
    thanks = confirm_with_click(client, smtp.confirm_link("ada@example.org")).get_data(as_text=True)
    own_link = unescape(
        re.search(r'id="share-url" type="text" readonly value="([^"]+)"', thanks).group(1)
    )
    code = re.search(r"referrer=(\w+)", own_link).group(1)
    brought = unescape(re.search(r'<a href="([^"]+/brought/[^"]+)"', thanks).group(1))
    brought_path = brought.split("rally.test", 1)[1]
    assert "0 people have signed" in client.get(brought_path).get_data(as_text=True)

    friend = app.test_client()
    land_and_sign(friend, f"/c/c?referrer={code}&source=link", "friend@example.org")
    assert attribution_of("friend@example.org") == ("link", code)
    send_due_emails()
    confirm_with_click(friend, smtp.confirm_link("friend@example.org"))
    page = client.get(brought_path)
    assert "1 person has signed" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    # The page is reached only through its signed link.
    assert client.get("/c/c/brought/not-a-token").status_code == 404


def test_each_signer_gets_their_own_links_on_a_shared_thank_you_page(app, smtp):
    """The thank-you page is rendered once a moment; each signer's values fill its slots."""
    app.config["PAGE_CACHE_SECONDS"] = 60
    make_campaign(slug="c")
    pages = {}
    for email in ("ada@example.org", "bo@example.org"):
        visitor = app.test_client()
        land_and_sign(visitor, "/c/c", email)
        send_due_emails()
        link = smtp.confirm_link(email)
        pages[email] = (link, confirm_with_click(visitor, link).get_data(as_text=True))
    with app.test_request_context():
        for email, (link, page) in pages.items():
            signature = db.session.scalar(select(Signature).where(Signature.email == email))
            own, others = [
                referral_code(s.id)
                for s in sorted(
                    db.session.scalars(select(Signature)), key=lambda s: s.id != signature.id
                )
            ]
            assert "Thank you, your signature is confirmed" in page
            assert f"referrer={own}" in page and others not in page
            brought = re.search(r'/brought/([^"]+)"', page).group(1)
            assert signature_id_from_brought_token(brought) == signature.id
            # The language switcher keeps this signer's own link.
            assert f'href="{link.split("?")[0]}?lang=ar"' in page
            assert "slot" not in page.replace("slot-", "")


def test_a_brought_link_works_on_its_own_campaign_only(client, app):
    make_campaign(slug="c")
    other = make_campaign(slug="d")
    signature = make_signature(other)
    with app.test_request_context():
        token = brought_link_token(signature.id)
    assert client.get(f"/c/d/brought/{token}").status_code == 200
    assert client.get(f"/c/c/brought/{token}").status_code == 404


def test_the_dashboard_shows_signatures_by_channel_and_referrer(client):
    owner = make_organiser(email="owner@example.org")
    campaign = make_campaign(slug="c", organisation=make_organisation(owner=owner))
    for n, (source, referrer) in enumerate([("whatsapp", "ally"), ("whatsapp", ""), ("", "")]):
        make_signature(
            campaign,
            state=CONFIRMED,
            email=f"s{n}@example.org",
            source=source,
            referrer=referrer,
        )
    log_in_as(client, owner)
    page = parse(client.get(f"/dashboard/campaigns/{campaign.id}").text)
    assert page.table_rows("#sources-table") == [
        ["WhatsApp", "2"],
        ["No channel (typed or unknown)", "1"],
    ]
    assert page.table_rows("#referrers-table") == [["ally", "1"]]
