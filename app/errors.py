"""Error pages: 400/403/404/405/413/429/500, and 503 when the database fails mid-request."""

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from app.core.form_failures import form_shown_again
from app.extensions import db

log = logging.getLogger("rally.errors")


def _messages():
    return {
        400: (_("Something in that request was not right"), _("Please go back and try again.")),
        403: (_("Not allowed"), _("You do not have access to this page.")),
        404: (_("Page not found"), _("There is no page at this address. Check the link.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        413: (_("Too much data"), _("What you sent was too large. Please shorten it.")),
        429: (_("Too many requests"), _("Please wait a little and try again.")),
        500: (_("Something went wrong"), _("It is our fault. Please try again in a moment.")),
        503: (
            _("Temporarily unavailable"),
            _("Nothing was saved. Please try again in a moment."),
        ),
    }


def render_error(status: int, title: str | None = None, message: str | None = None):
    """The error page for `status`, in the visitor's language."""
    default_title, default_message = _messages().get(status, _messages()[500])
    body = render_template(
        "errors/error.html",
        status=status,
        title=title or default_title,
        message=message or default_message,
    )
    return body, status


def wants_json() -> bool:
    """True for the API's paths and for clients that prefer JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    accepted = request.accept_mimetypes
    return accepted["application/json"] > accepted["text/html"]


def json_error(status: int, message: str | None = None, headers: dict | None = None):
    """The error as `{"error": message}` for scripts and the API."""
    _, default_message = _messages().get(status, _messages()[500])
    return jsonify(error=message or default_message), status, headers or {}


def register_error_handlers(app: Flask) -> None:
    """Friendly pages for every error, never a stack trace."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if wants_json():
            return json_error(400, _("This form has expired. Reload the page and submit again."))
        again = form_shown_again(
            _("This form had expired, so nothing was sent. Check what you typed and submit again."),
            400,
        )
        return again or render_error(
            400,
            _("This form has expired"),
            _("For your security, forms expire. Go back, reload the page and submit it again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        headers = {}
        if error.code == 405:
            headers["Allow"] = error.get_response().headers.get("Allow", "")
        if error.code == 429:
            original = error.get_response()
            if "Retry-After" in original.headers:
                headers["Retry-After"] = original.headers["Retry-After"]
        if wants_json():
            return json_error(error.code or 500, headers=headers)
        if error.code == 429:
            again = form_shown_again(
                _("Too many attempts from your connection. Wait a minute, then submit again."),
                429,
            )
            if again is not None:
                response = make_response(again)
                response.headers.update(headers)
                return response
        response, status = render_error(error.code or 500)
        return response, status, headers

    @app.errorhandler(DBAPIError)
    def database_error(error):
        # The transaction is rolled back whole: no signature without its email, or vice versa.
        db.session.rollback()
        log.exception("Database error; the transaction was rolled back")
        response, status = render_error(503)
        return response, status, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def unexpected_error(error):
        db.session.rollback()
        log.exception("Unhandled error")
        return render_error(500)
