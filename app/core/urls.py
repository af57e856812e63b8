"""Absolute links for emails and share buttons, always built from the configured BASE_URL."""

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """BASE_URL + the route's path; never trusts the Host header of a request."""
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values, force_external=False)
    return current_app.config["BASE_URL"] + path
