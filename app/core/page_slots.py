"""Slots: stand-ins for one visitor's values in a page rendered once and shared.

A page every visitor sees alike but for a few values (the form's CSRF token, its render
stamp, a signer's own share code) is rendered once a moment with a slot in place of each
value and kept in the page cache; each response fills the slots in with its own values.
"""

import hashlib
import hmac
from collections.abc import Hashable

from flask import current_app

from app.core.cache import page_cache

SLOTS_KEY = "rally.page_slots"


def page_slot(name: str) -> str:
    """The stand-in for the value called `name`: lowercase letters and digits only.

    Derived from SECRET_KEY: the same in every process sharing the page cache through
    Redis (a random one per process would reach visitors served another's rendering), and
    unguessable without the key, so no one can plant it in page content. Letters and
    digits read the same URL-encoded, HTML-escaped or not.
    """
    slots = current_app.extensions.setdefault(SLOTS_KEY, {})
    if name not in slots:
        key = current_app.config["SECRET_KEY"]
        key = key.encode() if isinstance(key, str) else key
        digest = hmac.new(key, b"rally.page-cache-slot:" + name.encode(), hashlib.sha256)
        slots[name] = "slot" + digest.hexdigest()[:28]
    return slots[name]


def render_with_slots(key: Hashable, render, values: dict[str, str]) -> str:
    """The page cached under `key` (rendered by `render()` when absent), slots filled.

    `values` maps a slot's name to this response's value; `render` must put
    `page_slot(name)` wherever a value goes, and `key` must name everything else it shows.
    """
    html = page_cache().get_or_compute(key, render)
    for name, value in values.items():
        html = html.replace(page_slot(name), value)
    return html
