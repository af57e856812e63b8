"""PDF rendering with WeasyPrint that fetches nothing but data: URLs and the app's own files."""

import logging
import mimetypes
import urllib.request
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger("rally.pdf")

# The app's bundled files (fonts, images) are the only local files a document may use.
STATIC_ROOT = (Path(__file__).resolve().parents[3] / "static").resolve()


class NoFetching(URLFetcher):
    """A URL fetcher that refuses every URL (and remembers which ones were asked for).

    Delivery PDFs are built only from the HTML and CSS passed in; an <img>, @import,
    url(...) or <link rel=attachment> that slipped through must not reach the cloud
    metadata service, the intranet or /etc/passwd.
    """

    def __init__(self):
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        """Refuse `url`: note it, log it and raise ValueError."""
        self.refused.append(url)
        log.warning("PDF rendering refused to fetch %s", url[:200])
        raise ValueError("fetching is disabled for PDF rendering")


class SafeFetching(NoFetching):
    """Allows only `data:` URLs and files inside the app's static folder; refuses the rest.

    Nothing goes over the network, so there is no redirect to follow; a file URL is
    resolved (symlinks and `..` included) and must stay under STATIC_ROOT.
    """

    def __init__(self, static_root: Path = STATIC_ROOT):
        super().__init__()
        self.static_root = static_root.resolve()

    def fetch(self, url, headers=None):
        """The body of a data: URL or a bundled static file; anything else is refused."""
        if url[:5].lower() == "data:":
            # urllib's DataHandler decodes the URL itself; it opens no connection.
            with urllib.request.build_opener(urllib.request.DataHandler).open(url) as response:
                body = response.read()
                content_type = response.headers.get("Content-Type", "text/plain")
            return URLFetcherResponse(url, body, {"Content-Type": content_type})
        if url[:7].lower() == "file://":
            path = Path(urllib.request.url2pathname(url[7:].split("?")[0])).resolve()
            if path.is_relative_to(self.static_root) and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        return super().fetch(url, headers)


def render_pdf(html: str, stylesheets: tuple[str, ...] = (), fetcher: URLFetcher | None = None):
    """The PDF of `html` (already escaped by its template) with inline `stylesheets`.

    Attachments are dropped whatever asked for them (<link rel=attachment>, <a rel=attachment>),
    so a data: URL allowed for images can never become an embedded file.
    """
    fetcher = fetcher or NoFetching()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher)
    css = [CSS(string=sheet, url_fetcher=fetcher) for sheet in stylesheets]
    rendered = document.render(stylesheets=css)
    rendered.metadata.attachments = []
    for page in rendered.pages:
        page.links[:] = [link for link in page.links if link[0] != "attachment"]
    return rendered.write_pdf(attachments=[])
