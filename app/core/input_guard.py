"""Refuse requests carrying what the database cannot store, before any view sees them.

Query strings and urlencoded bodies must be valid UTF-8: Werkzeug would otherwise pass
invalid percent-escapes through as literal text ("Ada%FF"), which is then stored as if the
supporter had typed it. And no path, query, form value or header may hold a NUL
character: PostgreSQL's text cannot (it is the one character it refuses), so a NUL that
reached a query would fail it with a DataError, a 503 and a logged traceback, whichever
view it reached. No browser sends one; only probes do.
"""

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request

FORM_TYPE = "application/x-www-form-urlencoded"
NUL = "\x00"


def _storable(raw: bytes) -> bool:
    """Each name and value of a query string or urlencoded body: UTF-8 without NUL."""
    for pair in raw.split(b"&"):
        for part in pair.split(b"=", 1):
            decoded = unquote_to_bytes(part.replace(b"+", b" "))
            if b"\x00" in decoded:
                return False
            try:
                decoded.decode("utf-8")
            except UnicodeDecodeError:
                return False
    return True


def _form_holds_nul() -> bool:
    """A NUL in a name or value of a multipart form's typed fields (files may hold any byte)."""
    return any(
        NUL in name or any(NUL in value for value in values)
        for name, values in request.form.lists()
    )


def init_app(app: Flask) -> None:
    """Check every request's path, query string, headers and form body."""

    @app.before_request
    def refuse_what_cannot_be_stored():
        if NUL in request.path:
            abort(404)
        if not _storable(request.query_string):
            abort(400)
        if any(NUL in value for value in request.headers.values()):
            abort(400)
        if request.method == "POST":
            if request.mimetype == FORM_TYPE:
                if not _storable(request.get_data(cache=True)):
                    abort(400)
            elif request.mimetype == "multipart/form-data" and _form_holds_nul():
                abort(400)
