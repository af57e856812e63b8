"""Dashboard pages (skeleton, filled in next)."""

from flask import Blueprint

from app.organisers.access import organiser_required

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@organiser_required
def home():
    """The organiser's campaigns and organisations."""
    return "dashboard", 200
