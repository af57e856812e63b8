"""Security headers on every response: CSP, framing, sniffing, referrer and HSTS.

No page may be framed (clickjacking, case 27) except a response a view marks with
`allow_framing`: the embed widget, made to sit in other sites' pages.
"""

from flask import Flask, Response

# The response attribute `allow_framing` sets: the CSP frame-ancestors source list.
FRAME_ANCESTORS = "rally_frame_ancestors"
ANY_SITE = "*"


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The site's CSP, with `frame-ancestors` saying who may frame the response."""
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            "style-src 'self'",
            "script-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def never_store(response: Response) -> Response:
    """For pages with people's data or secret links: no cache keeps them, no search lists them.

    Registered with `bp.after_request(never_store)` by the blueprints whose every page is so.
    """
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def allow_framing(response: Response, frame_ancestors: str = ANY_SITE) -> Response:
    """Let the sites in `frame_ancestors` (by default any) frame this one response.

    Marking the response rather than the request keeps the error pages of the same
    request (a 404, a 500) unframeable.
    """
    setattr(response, FRAME_ANCESTORS, frame_ancestors)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response the app sends."""
    production = app.config["RALLY_ENV"] == "production"

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        frame_ancestors = getattr(response, FRAME_ANCESTORS, None)
        if frame_ancestors is None:
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            headers.setdefault("X-Frame-Options", "DENY")
        else:
            # X-Frame-Options cannot name "any site": the CSP alone speaks for framing.
            headers.setdefault("Content-Security-Policy", content_security_policy(frame_ancestors))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Confirmation links carry a token in the path: never leak it to another site.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
