"""The teams blueprint, which views.py and invitation_views.py both add their routes to."""

from flask import Blueprint

from app.organisers.teams.forms import role_name

bp = Blueprint("teams", __name__)


@bp.after_request
def never_in_shared_caches(response):
    """Members, addresses and logs: no proxy or browser cache keeps these pages."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global("role_name")
def role_name_global(role) -> str:
    """Templates (emails included) name roles in their own language."""
    return role_name(role)
