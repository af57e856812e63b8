"""The HTML an ally pastes to show a campaign's widget: the one-line script, or a plain iframe.

Both are returned as plain `str`, not Markup: a page that shows a snippet to copy must show
it as text, and Jinja escapes a `str` where a Markup would be put into the page as HTML.
"""

from markupsafe import escape

from app.core.urls import absolute_url

# Before embed.js sizes it, or for good in the plain iframe: about the form's height on a
# phone, so that most visitors never see a scroll bar in the frame.
DEFAULT_HEIGHT = 800


def widget_src(slug: str, referrer: str = "", language: str = "") -> str:
    """The widget's absolute address, with ?referrer= and ?lang= when given."""
    query = {key: value for key, value in (("referrer", referrer), ("lang", language)) if value}
    return absolute_url("embed.widget", slug=slug, **query)


def script_snippet(slug: str, referrer: str = "", language: str = "", title: str = "") -> str:
    """`<script src=".../embed.js" data-campaign=...>`: embed.js inserts and sizes the iframe."""
    attributes = [
        ("src", absolute_url("static", filename="js/embed.js")),
        ("data-campaign", slug),
        ("data-referrer", referrer),
        ("data-lang", language),
        ("data-title", title),
    ]
    shown = "".join(f' {name}="{escape(value)}"' for name, value in attributes if value)
    return f"<script{shown} async></script>"


def iframe_snippet(
    slug: str,
    title: str,
    referrer: str = "",
    language: str = "",
    height: int = DEFAULT_HEIGHT,
    width: int | None = None,
) -> str:
    """A plain `<iframe>` for sites that forbid scripts: fixed height, full width by default."""
    src = escape(widget_src(slug, referrer, language))
    shown_width = "100%" if width is None else str(int(width))
    return (
        f'<iframe src="{src}" title="{escape(title)}" width="{shown_width}" height="{int(height)}"'
        ' style="border:0;max-width:100%" loading="lazy"></iframe>'
    )
