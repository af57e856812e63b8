"""Several browsers in one test: each request gets its own CSRF token, as in production."""

import pytest
from flask import g


@pytest.fixture(autouse=True)
def csrf_token_per_request(app):
    # The test app context outlives requests, and Flask-WTF caches the token in `g`: a
    # second client would reuse the first one's token without it being in its session.
    @app.before_request
    def forget_csrf_token_of_earlier_request():
        g.pop("csrf_token", None)
