"""Maintained tallies equal a fresh GROUP BY of the signatures, whatever happened to them."""

from collections import Counter
from queue import SimpleQueue

from sqlalchemy import delete, select

from app.campaigns.tallies import (
    COUNTRY,
    DAY,
    LOCALITY,
    PENDING,
    REFERRER,
    SOURCE,
    CampaignTally,
    all_figures,
    locality_key,
    top_figures,
)
from app.extensions import db
from app.signatures.confirmation import confirm_signature, disown_signature
from app.signatures.models import CONFIRMED, Signature
from app.signatures.models import PENDING as PENDING_STATE
from app.signatures.services import recount_campaign
from app.signatures.signing import ChosenDetails, confirmation_token
from tests.factories import (
    confirm_with_click,
    csrf_token,
    make_campaign,
    submit_signature,
)
from tests.helpers import postgres_only
from tests.parallel import run_in_parallel

WORDING = {"public": "Show my name", "contact_consent": "Email me"}


def grouped_from_rows(campaign_id: int) -> dict:
    """What the tallies must say, grouped afresh from the rows."""
    figures = Counter()
    rows = db.session.execute(select(Signature).where(Signature.campaign_id == campaign_id))
    for signature in rows.scalars():
        if signature.state == PENDING_STATE:
            figures[(PENDING, "")] += 1
        elif signature.state == CONFIRMED:
            figures[(DAY, signature.confirmed_at.strftime("%Y-%m-%d"))] += 1
            figures[(COUNTRY, signature.country)] += 1
            figures[(LOCALITY, locality_key(signature.postcode)[0])] += 1
            figures[(SOURCE, signature.source)] += 1
            figures[(REFERRER, signature.referrer)] += 1
    return {key: count for key, count in figures.items() if count}


def pending_rows(campaign_id: int) -> list[Signature]:
    db.session.expire_all()
    return (
        db.session.execute(
            select(Signature)
            .where(Signature.campaign_id == campaign_id, Signature.state == PENDING_STATE)
            .order_by(Signature.id)
        )
        .scalars()
        .all()
    )


def sign_many(client, slug: str, places) -> None:
    for number, (postcode, country) in enumerate(places):
        response = submit_signature(
            client, slug, email=f"person{number}@example.org", postcode=postcode, country=country
        )
        assert response.status_code == 303


PLACES = [
    ("N1 9GU", "GB"),
    ("n1  9gu", "GB"),
    ("Lyon", "FR"),
    ("lyon ", "FR"),
    ("10115", "DE"),
    ("N1 9GU", "GB"),
    ("Cairo", "EG"),
]


def test_sign_confirm_disown_keep_tallies_equal_to_a_fresh_group_by(app, client):
    campaign = make_campaign(slug="c")
    sign_many(client, "c", PLACES)
    assert all_figures(campaign.id) == {(PENDING, ""): len(PLACES)}

    signatures = pending_rows(campaign.id)
    for signature in signatures[:4]:
        response = confirm_with_click(client, f"/confirm/{confirmation_token(signature)}")
        assert response.status_code == 200
    # One changes their town while confirming: the tally counts what was confirmed.
    confirm_with_click(client, f"/confirm/{confirmation_token(signatures[4])}", postcode="Lyon")
    # Signing again with a confirmed address changes nothing.
    submit_signature(client, "c", email="person0@example.org", postcode="Elsewhere")
    disown = f"/confirm/{confirmation_token(signatures[5])}/not-me"
    client.post(disown, data={"csrf_token": csrf_token(client, disown)})

    figures = all_figures(campaign.id)
    assert figures == grouped_from_rows(campaign.id)
    assert figures[(PENDING, "")] == 1
    assert figures[(LOCALITY, "n1 9gu")] == 2
    assert figures[(LOCALITY, "lyon")] == 3
    # The first spelling seen is the one shown.
    assert top_figures(campaign.id, LOCALITY)[0] == ("lyon", "Lyon", 3)


def test_recount_rebuilds_lost_tallies(app, client):
    campaign = make_campaign(slug="c")
    sign_many(client, "c", PLACES)
    for signature in pending_rows(campaign.id)[:3]:
        confirm_with_click(client, f"/confirm/{confirmation_token(signature)}")
    expected = grouped_from_rows(campaign.id)
    db.session.execute(delete(CampaignTally))
    db.session.commit()
    assert all_figures(campaign.id) == {}

    recount_campaign(campaign)
    assert all_figures(campaign.id) == expected

    # Counting goes on from the rebuilt figures, and a place keeps one spelling.
    submit_signature(client, "c", email="late@example.org", postcode="N1 9GU", country="GB")
    late = pending_rows(campaign.id)[-1]
    confirm_with_click(client, f"/confirm/{confirmation_token(late)}", postcode="n1 9GU")
    assert all_figures(campaign.id) == grouped_from_rows(campaign.id)
    assert top_figures(campaign.id, LOCALITY)[0] == ("n1 9gu", "N1 9GU", 3)


def test_disowning_a_pending_signature_through_the_service_lowers_pending(app, client):
    campaign = make_campaign(slug="c")
    sign_many(client, "c", PLACES[:2])
    first = pending_rows(campaign.id)[0]
    disown_signature(confirmation_token(first), "en")
    assert all_figures(campaign.id) == {(PENDING, ""): 1}


@postgres_only
def test_concurrent_confirmations_on_postgres_keep_tallies_exact(app, client):
    campaign = make_campaign(slug="c")
    places = [(f"Town {n % 3}", ("GB", "FR", "DE")[n % 3]) for n in range(24)]
    sign_many(client, "c", places)
    tokens = SimpleQueue()
    for signature in pending_rows(campaign.id):
        tokens.put(confirmation_token(signature))

    def confirm():
        token = tokens.get()
        with app.app_context():
            details = ChosenDetails(name="Ada Lovelace", postcode="Town 1", country="FR")
            confirm_signature(token, details, WORDING, "en")
            db.session.remove()

    assert run_in_parallel(24, confirm) == []
    figures = all_figures(campaign.id)
    assert figures == grouped_from_rows(campaign.id)
    assert figures[(COUNTRY, "FR")] == 24


def test_share_channels_and_referrers_are_tallied_as_confirmed(app, client):
    campaign = make_campaign(slug="c")
    client.get("/c/c?source=whatsapp&referrer=riverside")  # the first touch is remembered
    submit_signature(client, "c", email="one@example.org")
    submit_signature(app.test_client(), "c", email="two@example.org")  # came directly
    assert all_figures(campaign.id) == {(PENDING, ""): 2}  # only confirmed ones are tallied
    for signature in pending_rows(campaign.id):
        confirm_with_click(client, f"/confirm/{confirmation_token(signature)}")

    figures = all_figures(campaign.id)
    assert figures == grouped_from_rows(campaign.id)
    assert figures[(SOURCE, "whatsapp")] == figures[(SOURCE, "")] == 1
    assert figures[(REFERRER, "riverside")] == figures[(REFERRER, "")] == 1
