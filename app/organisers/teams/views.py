"""Organisation pages (skeleton, filled in next)."""

from flask import Blueprint

bp = Blueprint("teams", __name__)
