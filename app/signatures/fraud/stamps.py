"""The render stamp: when a visitor got the sign form, signed so it cannot be forged.

The rules compare it with the submission's time: too fast is a script, too old or missing
is a form not loaded from here.
"""

import time
from datetime import timedelta

from flask import current_app

from app.core.tokens import TokenExpired, TokenInvalid, make_token, read_token

RENDER_STAMP = "rally.signature.render-stamp"


def make_render_stamp(campaign_id: int, now: float | None = None) -> str:
    """A signed note of when the sign form was rendered, for the form's hidden field."""
    moment = time.time() if now is None else now
    return make_token(RENDER_STAMP, {"c": campaign_id, "t": round(moment, 1)})


def seconds_since_render(stamp: str, campaign_id: int, now: float | None = None) -> float | None:
    """Seconds since the stamp was made, or None if missing, forged, too old or not this page's."""
    max_age = timedelta(seconds=current_app.config["FRAUD_RENDER_STAMP_MAX_AGE"])
    try:
        payload = read_token(RENDER_STAMP, stamp, max_age)
    except (TokenInvalid, TokenExpired):
        return None
    made = payload.get("t")
    if payload.get("c") != campaign_id or not isinstance(made, int | float):
        return None
    elapsed = (time.time() if now is None else now) - made
    if not -5 <= elapsed <= max_age.total_seconds():  # a stamp from the future is forged
        return None
    return elapsed
