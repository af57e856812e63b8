"""Behind reverse proxies: trust exactly their X-Forwarded-For hops, refuse requests around them.

With PROXY_COUNT proxies in front, the client address is the one the outermost of them
appended, and a header the client forged further left is ignored (ProxyFix). A request with
fewer hops than that did not come through the proxies (someone reached the app's port
directly, where they could claim any address): it is refused before the app sees it (case 19).
"""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

REFUSED = "This site answers only through its proxy.\n"


class ThroughProxiesOnly:
    """WSGI middleware: 400 for a request with fewer X-Forwarded-For hops than proxies."""

    def __init__(self, app, proxies: int):
        self.app, self.proxies = app, proxies

    def __call__(self, environ, start_response):
        """Pass the request on, or refuse it if it went around the proxies."""
        hops = [h for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) < self.proxies:
            response = Response(REFUSED, status=400, mimetype="text/plain")
            return response(environ, start_response)
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    """Trust exactly PROXY_COUNT proxies, and refuse requests that went around them."""
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        fixed = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
        app.wsgi_app = ThroughProxiesOnly(fixed, proxies)
