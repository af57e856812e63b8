"""Forms refused before their view runs, shown again instead of a bare error page.

A form refused for an expired CSRF token or a rate limit is shown again with what was
typed and a message.
"""

from flask import current_app, request
from werkzeug.exceptions import HTTPException


def shows_form_again(render):
    """Mark a view whose form `render(message, status)` shows again, filled from the POST."""

    def decorate(view):
        view.show_form_again = render
        return view

    return decorate


def form_shown_again(message: str, status: int):
    """The refused POST's form, shown again by its view's renderer; None when it has none."""
    if request.method != "POST" or request.endpoint is None:
        return None
    render = getattr(current_app.view_functions.get(request.endpoint), "show_form_again", None)
    if render is None:
        return None
    try:
        return render(message, status)
    except HTTPException:
        # The page itself is gone (an unknown campaign): the plain error page says so.
        return None
