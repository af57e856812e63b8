"""Account pages: /signup, /login, /logout, /reset, /account (skeleton, filled in next)."""

from flask import Blueprint, redirect, url_for

from app.organisers.access import admin_required, end_session, organiser_required

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password."""
    return "login", 200


@bp.post("/logout")
def logout():
    """End this session."""
    end_session()
    return redirect(url_for("campaigns.index"))


@bp.get("/account")
@organiser_required
def account():
    """The organiser's own settings."""
    return "account", 200


@bp.route("/account/two-factor", methods=["GET", "POST"])
@organiser_required
def two_factor():
    """Turn two-step login on or off."""
    return "two-factor", 200


@bp.route("/admin/settings", methods=["GET", "POST"])
@admin_required
def site_settings():
    """Site-wide settings for admins."""
    return "settings", 200
