"""Fraud rules (cases 18, 21, 25): held or refused signatures get the answer everyone gets.

A held signature is stored and emailed as any other; confirming it makes it HELD, not
counted, and its owner sees exactly what a counted signer sees. A refused one stores and
sends nothing. Which rule fired is visible only to the team (held_rule).
"""

import re
import time

import pytest
from sqlalchemy import func, select

from app.campaigns.counts import confirmed_counts
from app.campaigns.models import Campaign
from app.core.outbox import send_due_emails
from app.extensions import db
from app.signatures.fraud.lists import forget_signing_lists
from app.signatures.fraud.stamps import make_render_stamp
from app.signatures.models import CONFIRMED, HELD, Signature, SigningListEntry
from tests.factories import confirm_with_click, form_as_shown, make_campaign, sign_form
from tests.helpers import texts_of

RULES_ON = {"FRAUD_RULES_ENABLED": True}


@pytest.fixture
def config_overrides():
    return dict(RULES_ON)


def sign_as(client, slug="c", ip="198.51.100.7", stamp_age=10.0, honeypot="", **fields):
    """Load the page from `ip` and send its form as a person would, `stamp_age` s later.

    `stamp_age=None` sends the stamp the page carried (rendered just now).
    """
    environ = {"REMOTE_ADDR": ip}
    page = client.get(f"/c/{slug}", environ_base=environ).get_data(as_text=True)
    form = form_as_shown(page)
    assert form.get("rendered") and "website" in form
    if stamp_age is not None:
        form["rendered"] = make_render_stamp(campaign_id_of(slug), now=time.time() - stamp_age)
    form.update(sign_form(**fields), website=honeypot)
    return client.post(f"/c/{slug}/sign", data=form, environ_base=environ)


def campaign_id_of(slug):
    return db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))


def answer(response) -> tuple:
    return response.status_code, response.headers.get("Location"), response.get_data()


def signature_of(email) -> Signature | None:
    db.session.expire_all()
    return db.session.scalar(select(Signature).where(Signature.email == email))


def shown_count(campaign) -> int:
    db.session.expire_all()
    return confirmed_counts([campaign.id])[campaign.id]


def test_a_person_who_takes_their_time_is_not_held(client):
    make_campaign(slug="c")
    response = sign_as(client, email="ada@example.org")
    assert response.status_code == 303
    signature = signature_of("ada@example.org")
    assert signature.held_rule is None and 9 <= signature.seconds_to_submit <= 11


@pytest.mark.parametrize(
    ("how", "rule"),
    [
        ({"honeypot": "http://spam.example"}, "honeypot"),
        ({"stamp_age": None}, "too_fast"),  # sent the moment the page arrived
        ({"stamp_age": 2.0}, "too_fast"),
        ({"stamp_age": 3 * 24 * 3600.0}, "no_render_stamp"),  # older than a day
        ({"email": "someone@mailinator.com"}, "disposable"),
    ],
)
def test_each_rule_holds_with_the_answer_everyone_gets(client, smtp, how, rule):
    make_campaign(slug="c")
    clean = answer(sign_as(client, email="clean@example.org"))
    email = how.pop("email", "caught@example.org")
    caught = answer(sign_as(client, email=email, **how))
    assert caught == clean
    assert signature_of(email).held_rule == rule
    send_due_emails()
    bodies = {}
    for address in ("clean@example.org", email):
        [sent] = smtp.messages_to(address)
        bodies[address] = [
            re.sub(r"/confirm/[^\s\"<]+", "/confirm/TOKEN", text) for text in texts_of(sent)
        ]
    assert bodies["clean@example.org"] == bodies[email]


def test_a_missing_or_forged_stamp_holds(client, app):
    make_campaign(slug="c")
    other = make_campaign(slug="other")
    page = form_as_shown(client.get("/c/c").get_data(as_text=True))
    for email, stamp in (
        ("none@example.org", ""),
        ("forged@example.org", page["rendered"][:-3] + "abc"),
        ("elsewhere@example.org", make_render_stamp(other.id, now=time.time() - 60)),
    ):
        data = {**page, **sign_form(email=email), "rendered": stamp}
        assert client.post("/c/c/sign", data=data).status_code == 303
        assert signature_of(email).held_rule == "no_render_stamp", email


def personal_parts_hidden(html: str) -> str:
    """A page with its signer's own token, referrer code and "brought" link blanked."""
    html = re.sub(r"/confirm/[^\s\"<]+", "/confirm/TOKEN", html)
    html = re.sub(r"referrer(=|%3D)\w+", "referrer=CODE", html)
    return re.sub(r"/brought/[^\s\"<]+", "/brought/TOKEN", html)


def test_a_held_signature_confirms_to_held_uncounted_and_looks_confirmed(client, smtp):
    campaign = make_campaign(slug="c")
    sign_as(client, email="clean@example.org")
    sign_as(client, email="bot@example.org", honeypot="x")
    send_due_emails()
    pages = {}
    for email in ("clean@example.org", "bot@example.org"):
        link = smtp.confirm_link(email)
        first = confirm_with_click(client, link)
        again = client.get(link)
        pages[email] = [personal_parts_hidden(r.get_data(as_text=True)) for r in (first, again)] + [
            first.status_code,
            again.status_code,
        ]
    assert pages["clean@example.org"] == pages["bot@example.org"]
    assert signature_of("bot@example.org").state == HELD
    assert signature_of("clean@example.org").state == CONFIRMED
    assert shown_count(campaign) == 1
    # Signing again: the "already signed" answer, as for a counted signature.
    assert answer(sign_as(client, email="bot@example.org")) == answer(
        sign_as(client, email="clean@example.org")
    )


def test_same_ip_beyond_its_limit_is_held_and_another_campaign_is_not(client, app):
    app.config["FRAUD_SAME_IP"] = "2 per hour"
    make_campaign(slug="c")
    make_campaign(slug="d")
    for n in range(3):
        sign_as(client, email=f"p{n}@example.org", ip="203.0.113.9")
    assert [signature_of(f"p{n}@example.org").held_rule for n in range(3)] == [
        None,
        None,
        "same_ip",
    ]
    sign_as(client, "d", email="p9@example.org", ip="203.0.113.9")  # case 24
    assert signature_of("p9@example.org").held_rule is None


def test_same_network_and_same_domain_and_same_name(client, app):
    app.config.update(
        FRAUD_SAME_IP="100 per hour",
        FRAUD_SAME_NETWORK="2 per hour",
        FRAUD_SAME_DOMAIN="2 per hour",
        FRAUD_SAME_NAME="1 per day",
    )
    make_campaign(slug="c")
    for n in range(3):
        sign_as(client, email=f"n{n}@example.org", ip=f"192.0.2.{n + 1}", name=f"Net {n}")
    assert signature_of("n2@example.org").held_rule == "same_network"
    for n in range(3):
        sign_as(client, email=f"d{n}@uni.example", ip=f"10.{n}.0.1", name=f"Dom {n}")
    assert signature_of("d2@uni.example").held_rule == "same_domain"
    # Big webmail is many people, not one: never the same-domain rule.
    for n in range(3):
        sign_as(client, email=f"g{n}@gmail.com", ip=f"10.9.{n}.1", name=f"Gee {n}")
    assert signature_of("g2@gmail.com").held_rule is None
    sign_as(client, email="jo@one.example", ip="10.20.0.1", name="Jo Bloggs", postcode="N1 9GU")
    sign_as(client, email="jo@two.example", ip="10.21.0.1", name="JO BLOGGS", postcode="n19gu")
    sign_as(client, email="jo@three.example", ip="10.22.0.1", name="Jo Bloggs", postcode="Leeds")
    assert [signature_of(f"jo@{n}.example").held_rule for n in ("one", "two", "three")] == [
        None,
        "same_name",
        None,  # another place: another person
    ]


def add_entry(list_name, kind, pattern, action="hold"):
    db.session.add(SigningListEntry(list_name=list_name, kind=kind, pattern=pattern, action=action))
    db.session.commit()
    forget_signing_lists()


def test_block_lists_hold_or_refuse_unseen_and_allow_overrides(client, smtp):
    campaign = make_campaign(slug="c")
    add_entry("block", "network", "203.0.113.0/24")
    add_entry("block", "domain", "*.spam.example", action="refuse")
    add_entry("block", "email", "troll@example.org", action="refuse")
    add_entry("allow", "network", "203.0.113.77/32")
    clean = answer(sign_as(client, email="clean@example.org"))
    assert answer(sign_as(client, email="cidr@example.org", ip="203.0.113.5")) == clean
    assert signature_of("cidr@example.org").held_rule == "blocked"
    for email in ("x@mx.spam.example", "Troll@Example.org"):
        assert answer(sign_as(client, email=email)) == clean
        assert signature_of(email) is None
    sign_as(client, email="allowed@example.org", ip="203.0.113.77", honeypot="x")
    assert signature_of("allowed@example.org").held_rule is None
    send_due_emails()
    assert not smtp.messages_to("x@mx.spam.example")
    stored = db.session.scalar(select(func.count()).select_from(Signature))
    assert stored == 3 and shown_count(campaign) == 0


def test_throwaway_domains_can_be_refused(client, app):
    app.config["FRAUD_DISPOSABLE"] = "refuse"
    make_campaign(slug="c")
    clean = answer(sign_as(client, email="clean@example.org"))
    assert answer(sign_as(client, email="x@sub.mailinator.com")) == clean
    assert signature_of("x@sub.mailinator.com") is None


def test_a_form_shown_again_keeps_its_first_stamp(client):
    make_campaign(slug="c")
    page = form_as_shown(client.get("/c/c").get_data(as_text=True))
    data = {**page, **sign_form(email="not-an-address")}
    again = client.post("/c/c/sign", data=data).get_data(as_text=True)
    assert form_as_shown(again)["rendered"] == page["rendered"]


def test_rules_switched_off_hold_nothing(client, app):
    app.config["FRAUD_RULES_ENABLED"] = False
    make_campaign(slug="c")
    sign_as(client, email="bot@example.org", honeypot="x", stamp_age=None)
    assert signature_of("bot@example.org").held_rule is None


def test_the_lists_are_managed_from_the_command_line(runner, client):
    make_campaign(slug="c")
    added = runner.invoke(args=["signing-lists", "add", "block", "network", "203.0.113.9/24"])
    assert added.exit_code == 0 and "203.0.113.0/24" in added.output
    refused = runner.invoke(
        args=["signing-lists", "add", "block", "domain", "*.spam.example", "--action", "refuse"]
    )
    assert refused.exit_code == 0
    bad = runner.invoke(args=["signing-lists", "add", "block", "network", "not-an-ip"])
    assert bad.exit_code == 2 and "not an IP address" in bad.output
    listed = runner.invoke(args=["signing-lists", "list"]).output
    assert "203.0.113.0/24" in listed and "*.spam.example" in listed and "refuse" in listed
    sign_as(client, email="x@a.spam.example")
    assert signature_of("x@a.spam.example") is None  # applies at once
    entry_id = db.session.scalar(
        select(SigningListEntry.id).where(SigningListEntry.kind == "domain")
    )
    assert runner.invoke(args=["signing-lists", "remove", str(entry_id)]).exit_code == 0
    assert runner.invoke(args=["signing-lists", "remove", str(entry_id)]).exit_code == 1
    sign_as(client, email="x@a.spam.example")
    assert signature_of("x@a.spam.example").held_rule is None
