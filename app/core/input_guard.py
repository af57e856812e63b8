"""Refuse requests whose query string or form body is not valid UTF-8, before any view sees it.

Werkzeug would otherwise pass invalid percent-escapes through as literal text ("Ada%FF"),
which is then stored as if the supporter had typed it.
"""

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request

FORM_TYPE = "application/x-www-form-urlencoded"


def _valid_utf8(raw: bytes) -> bool:
    for pair in raw.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return False
    return True


def init_app(app: Flask) -> None:
    """Check every request's query string and urlencoded body."""

    @app.before_request
    def refuse_invalid_utf8():
        if not _valid_utf8(request.query_string):
            abort(400)
        if request.mimetype == FORM_TYPE and request.method == "POST":
            if not _valid_utf8(request.get_data(cache=True)):
                abort(400)
