"""Campaign editor pages (skeleton, filled in next)."""

from flask import Blueprint

bp = Blueprint("editor", __name__)
