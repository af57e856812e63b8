"""The editor blueprint, which views.py and lifecycle_views.py both add their routes to."""

from flask import Blueprint

bp = Blueprint("editor", __name__)


@bp.after_request
def never_cache(response):
    """Organiser pages show unpublished work: no shared or browser cache keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response
