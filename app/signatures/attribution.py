"""Attribution: which share channel (source) and whose link (referrer) brought a signature.

It follows the advocacy-tool convention (Action Network / OSDI `referrer_data`): a link
carries `?source=<channel>` (`utm_source` is taken as the same) and `?referrer=<code>`. The
first touch is kept in a signed cookie when someone lands, and copied onto the signature
when they sign. A confirmed signer's own links carry a referrer code made from their
signature with a server key: it says nothing about them and cannot be guessed, and the page
that counts whom they brought is reached only through a signed link given to them.
"""

import hashlib
import hmac
import re
from base64 import b32encode
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app.core.tokens import TokenExpired, TokenInvalid, make_token, read_token
from app.extensions import db
from app.signatures.models import CONFIRMED, Signature

COOKIE = "rally_first_touch"
FIRST_TOUCH = "rally.attribution.first-touch"
BROUGHT = "rally.attribution.brought"
FIRST_TOUCH_DAYS = 30
BROUGHT_LINK_DAYS = 365
CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")


def touch_from_query(args) -> dict[str, str]:
    """The source and referrer a landing URL names, each dropped unless a plain code."""
    source = args.get("source") or args.get("utm_source") or ""
    referrer = args.get("referrer") or ""
    touch = {}
    if CODE.fullmatch(source):
        touch["source"] = source.lower()
    if CODE.fullmatch(referrer):
        touch["referrer"] = referrer
    return touch


def first_touch_cookie(touch: dict[str, str]) -> str:
    """The signed cookie value that keeps a landing's attribution."""
    return make_token(FIRST_TOUCH, touch)


def read_first_touch(value: str | None) -> dict[str, str]:
    """The attribution a cookie kept: {"source": ..., "referrer": ...}, {} if none or forged."""
    if not value:
        return {}
    try:
        touch = read_token(FIRST_TOUCH, value, timedelta(days=FIRST_TOUCH_DAYS))
    except (TokenInvalid, TokenExpired):
        return {}
    return {
        key: str(touch[key])
        for key in ("source", "referrer")
        if isinstance(touch.get(key), str) and CODE.fullmatch(touch[key])
    }


def referral_code(signature_id: int) -> str:
    """A confirmed signer's own referrer code: a keyed digest of their signature."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"referral:{signature_id}".encode(), hashlib.sha256).digest()
    return b32encode(digest).decode("ascii").lower()[:12]


def brought_link_token(signature_id: int) -> str:
    """The token of the link to a signer's "people you brought" page."""
    return make_token(BROUGHT, {"s": signature_id})


def signature_id_from_brought_token(token: str) -> int | None:
    """The signature a "people you brought" link is for, or None for a forged or old one."""
    try:
        payload = read_token(BROUGHT, token, timedelta(days=BROUGHT_LINK_DAYS))
    except (TokenInvalid, TokenExpired):
        return None
    signature_id = payload.get("s")
    return signature_id if isinstance(signature_id, int) and signature_id > 0 else None


def people_brought(campaign_id: int, code: str) -> int:
    """Confirmed signatures on the campaign that came through this referrer code."""
    return db.session.scalar(
        select(func.count()).where(
            Signature.campaign_id == campaign_id,
            Signature.referrer == code,
            Signature.state == CONFIRMED,
        )
    )
