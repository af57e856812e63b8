"""PDF rendering with WeasyPrint that never fetches anything: no network, no local files."""

import logging

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

log = logging.getLogger("rally.pdf")


class NoFetching(URLFetcher):
    """A URL fetcher that refuses every URL (and remembers which ones were asked for).

    Delivery PDFs are built only from the HTML and CSS passed in; an <img>, @import,
    url(...) or <link rel=attachment> that slipped through must not reach the cloud
    metadata service, the intranet or /etc/passwd.
    """

    def __init__(self):
        super().__init__(allowed_protocols=())
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        """Refuse `url`: note it, log it and raise ValueError."""
        self.refused.append(url)
        log.warning("PDF rendering refused to fetch %s", url[:200])
        raise ValueError("fetching is disabled for PDF rendering")


def render_pdf(html: str, stylesheets: tuple[str, ...] = (), fetcher: URLFetcher | None = None):
    """The PDF of `html` (already escaped by its template) with inline `stylesheets`."""
    fetcher = fetcher or NoFetching()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    css = [CSS(string=sheet, url_fetcher=fetcher) for sheet in stylesheets]
    return document.write_pdf(stylesheets=css)
