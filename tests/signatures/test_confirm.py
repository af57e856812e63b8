"""Confirmation: only a deliberate POST confirms, exactly once, with a token bound to the row."""

from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from app.campaigns.counts import confirmed_counts
from app.core.audit import AuditEvent
from app.core.database import utcnow
from app.core.tokens import CONFIRM_SIGNATURE, make_token
from app.extensions import db
from app.signatures.models import CONFIRMED, HELD, INVALIDATED, PENDING, Signature
from app.signatures.signing import confirmation_token
from tests.factories import (
    confirm_details,
    confirm_with_click,
    csrf_token,
    make_campaign,
    make_closed_campaign,
    make_expired_campaign,
    make_signature,
    post_with_csrf,
)
from tests.parallel import run_in_parallel


def count(campaign) -> int:
    return confirmed_counts([campaign.id])[campaign.id]


def state_of(signature) -> str:
    db.session.expire_all()
    return db.session.get(Signature, signature.id).state


@pytest.fixture
def pending(app):
    campaign = make_campaign(slug="c")
    signature = make_signature(
        campaign, state=PENDING, name="Private Person", email="private@example.org"
    )
    return campaign, signature, f"/confirm/{confirmation_token(signature)}"


def test_post_confirms_and_counts_once(client, pending):
    campaign, signature, link = pending
    response = confirm_with_click(client, link)
    assert response.status_code == 200
    assert "your signature is confirmed" in response.get_data(as_text=True)
    assert state_of(signature) == CONFIRMED
    stored = db.session.get(Signature, signature.id)
    assert stored.token_nonce is None and stored.confirmed_at is not None
    assert count(campaign) == 1


def test_get_and_head_never_change_state(client, pending):
    """Case 8: a mail scanner that opens (even scripts) the link confirms nothing."""
    campaign, signature, link = pending
    for _ in range(3):
        assert client.get(link).status_code == 200
        assert client.head(link).status_code == 200
    page = client.get(link).get_data(as_text=True)
    assert 'method="post"' in page and "Confirm my signature" in page
    # The token holder sees the name to check it; the address is never shown.
    assert 'value="Private Person"' in page and "private@example.org" not in page
    assert state_of(signature) == PENDING and count(campaign) == 0


def test_confirm_post_without_csrf_token_is_refused_and_the_form_kept(client, pending):
    campaign, signature, link = pending
    response = client.post(link, data=confirm_details(name="Corrected Cora"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This form had expired" in html and 'value="Corrected Cora"' in html
    assert state_of(signature) == PENDING


def test_reused_link_says_already_confirmed_and_counts_once(client, pending):
    """Case 6."""
    campaign, signature, link = pending
    confirm_with_click(client, link)
    again = post_with_csrf(client, link, "/c/c", confirm_details())
    assert again.status_code == 200
    assert "already confirmed" in again.get_data(as_text=True)
    assert "already confirmed" in client.get(link).get_data(as_text=True)
    assert count(campaign) == 1


def test_two_tabs_confirming_at_once_count_once(app, pending):
    """Case 6: concurrent POSTs of one token; the UPDATE ... WHERE state='pending' decides."""
    campaign, signature, link = pending
    statuses = []

    def click():
        with app.test_client() as tab:
            statuses.append(post_with_csrf(tab, link, "/c/c", confirm_details()).status_code)

    assert run_in_parallel(6, click) == []
    assert statuses == [200] * 6
    assert count(campaign) == 1


def _tampered(link: str) -> str:
    position = len("/confirm/") + 5
    swapped = "A" if link[position] != "A" else "B"
    return link[:position] + swapped + link[position + 1 :]


@pytest.mark.parametrize(
    "make_link",
    [
        _tampered,  # case 4: one character changed
        lambda link: link[:-3],  # truncated by a mail client
        lambda link: "/confirm/not-a-token",
        lambda link: "/confirm/" + "x" * 5000,
    ],
)
def test_tampered_or_truncated_token_gets_generic_invalid_page(client, pending, make_link):
    campaign, signature, link = pending
    bad = make_link(link)
    for response in (client.get(bad), post_with_csrf(client, bad, "/c/c", confirm_details())):
        text = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "This link does not work" in text
        assert "Private Person" not in text and "private@example.org" not in text
    assert state_of(signature) == PENDING and count(campaign) == 0


def test_expired_token_shows_expired_page_with_resend_link(app, client, pending):
    """Case 5."""
    campaign, signature, link = pending
    app.config["CONFIRMATION_MAX_AGE"] = timedelta(seconds=-1)
    response = post_with_csrf(client, link, "/c/c", confirm_details())
    text = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "This link has expired" in text and "/c/c/resend" in text
    assert "Private Person" not in text and "private@example.org" not in text
    assert state_of(signature) == PENDING


def test_resend_needs_the_address_retyped_and_reveals_nothing(client, pending, app):
    """Case 5: resend for a known and an unknown address looks the same."""
    campaign, signature, link = pending
    signature = db.session.get(Signature, signature.id)
    signature.last_emailed_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    from app.core.outbox import OutboxEmail

    answers = []
    for address in ("private@example.org", "stranger@example.org"):
        token = csrf_token(client, "/c/c/resend")
        response = client.post("/c/c/resend", data={"csrf_token": token, "email": address})
        answers.append((response.status_code, response.headers["Location"]))
    assert answers[0] == answers[1] == (303, "/c/c/check-inbox")
    [email] = db.session.execute(select(OutboxEmail)).scalars().all()
    assert email.to_address == "private@example.org"


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True}])
def test_resend_is_rate_limited(client):
    make_campaign(slug="c")
    statuses = []
    for _ in range(7):
        token = csrf_token(client, "/c/c/resend")
        response = client.post("/c/c/resend", data={"csrf_token": token, "email": "a@example.org"})
        statuses.append(response.status_code)
    assert statuses[:5] == [303] * 5 and statuses[-1] == 429
    assert int(response.headers["Retry-After"]) > 0
    # The form comes back with the address as typed and the reason.
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and 'value="a@example.org"' in html


def test_another_signatures_nonce_or_another_purpose_is_rejected(app, client):
    """Case 7: A's nonce with B's id, and a token made for another purpose, do not verify."""
    campaign = make_campaign(slug="c")
    a = make_signature(campaign, email="a@example.org")
    b = make_signature(campaign, email="b@example.org")
    forged = make_token(CONFIRM_SIGNATURE, {"s": b.id, "n": a.token_nonce})
    other_purpose = make_token("rally.signature.unsubscribe", {"s": a.id, "n": a.token_nonce})
    other_key = URLSafeTimedSerializer("another-secret", salt=CONFIRM_SIGNATURE).dumps(
        {"s": a.id, "n": a.token_nonce}
    )
    for token in (forged, other_purpose, other_key):
        response = post_with_csrf(client, f"/confirm/{token}", "/c/c", confirm_details())
        assert response.status_code == 404
    assert state_of(a) == PENDING and state_of(b) == PENDING and count(campaign) == 0


def test_confirming_on_a_closed_campaign_is_not_counted(client):
    """Case 9: a closed petition, or after the grace period, counts nothing."""
    make_campaign(slug="c")  # an open one, for the form's CSRF token
    for campaign in (make_closed_campaign(slug="closed"), make_expired_campaign(slug="late")):
        signature = make_signature(campaign)
        response = post_with_csrf(
            client, f"/confirm/{confirmation_token(signature)}", "/c/c", confirm_details()
        )
        assert response.status_code == 410
        assert "could not be counted" in response.get_data(as_text=True)
        assert state_of(signature) == PENDING and count(campaign) == 0


def test_confirming_within_the_grace_period_after_the_deadline_counts(client):
    campaign = make_campaign(slug="late", deadline=utcnow() - timedelta(hours=1))
    make_campaign(slug="c")  # an open one, for the form's CSRF token
    signature = make_signature(campaign)
    response = post_with_csrf(
        client, f"/confirm/{confirmation_token(signature)}", "/c/c", confirm_details()
    )
    assert response.status_code == 200
    assert count(campaign) == 1


@pytest.mark.parametrize("state", [HELD, INVALIDATED])
def test_confirming_a_held_or_invalidated_signature_is_neutral(client, state):
    """Case 10: the same thanks page, count unchanged, and an audit row."""
    campaign = make_campaign(slug="c")
    signature = make_signature(campaign, state=state)
    response = post_with_csrf(
        client, f"/confirm/{confirmation_token(signature)}", "/c/c", confirm_details()
    )
    assert response.status_code == 200
    assert "your signature is confirmed" in response.get_data(as_text=True)
    assert state_of(signature) == state and count(campaign) == 0
    events = db.session.execute(select(AuditEvent)).scalars().all()
    assert [(e.action, e.subject_id) for e in events] == [
        (f"signature.confirm_while_{state}", signature.id)
    ]


def test_only_confirmed_signatures_count_anywhere(client):
    campaign = make_campaign(slug="c", goal=10)
    make_signature(campaign, state=PENDING, public=True, name="Pending Pat")
    make_signature(campaign, state=HELD, public=True, name="Held Harry")
    make_signature(campaign, state=CONFIRMED, public=True, name="Confirmed Cleo")
    page = client.get("/c/c").get_data(as_text=True)
    assert "1 signature" in page and "Confirmed Cleo" in page
    assert "Pending Pat" not in page and "Held Harry" not in page
    assert "1 signature" in client.get("/").get_data(as_text=True)
    confirmed_rows = db.session.execute(
        select(func.count()).select_from(Signature).where(Signature.state == CONFIRMED)
    ).scalar_one()
    assert count(campaign) == confirmed_rows == 1
