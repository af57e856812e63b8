"""Links and addresses: absolute links from BASE_URL, the `<int:…>` of routes, safe redirects."""

from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.routing import IntegerConverter

from app.core.database import MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits up to MAX_ROW_ID, else the route does not match.

    The ids in paths are row ids (and a share image's count bucket, far below the bound): a
    larger number names no row, and PostgreSQL would refuse it as out of range for an
    integer column with an error rather than find nothing. So it is a 404 before any view
    or query, and no view needs its own check.
    """

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ROW_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Use RowIdConverter for `<int:…>`; before any blueprint adds its routes."""
    app.url_map.converters["int"] = RowIdConverter


def absolute_url(endpoint: str, **values) -> str:
    """BASE_URL + the route's path; never trusts the Host header of a request."""
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values, force_external=False)
    return current_app.config["BASE_URL"] + path


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (case 36: no open redirects).

    Refused: absolute URLs, scheme-relative `//host`, any backslash (browsers read
    `/` + backslash + host as another host), control characters.
    """
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
