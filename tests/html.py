"""Reading pages as a browser would: an HTML5 parser and CSS selectors, not regular expressions.

tinyhtml5 and cssselect2 come with WeasyPrint, so tests need nothing more to use them.
"""

from xml.etree.ElementTree import Element

import cssselect2
import tinyhtml5


class Page:
    """A parsed page; `select` and `one` find elements by CSS selector."""

    def __init__(self, html: str):
        self.root = cssselect2.ElementWrapper.from_html_root(tinyhtml5.parse(html))

    def select(self, selector: str) -> list[Element]:
        """Every element matching `selector`, in document order."""
        return [match.etree_element for match in self.root.query_all(selector)]

    def one(self, selector: str) -> Element:
        """The one element matching `selector` (fails when there are none or several)."""
        found = self.select(selector)
        assert len(found) == 1, f"{len(found)} elements match {selector!r}"
        return found[0]

    def table_rows(self, table: str) -> list[list[str]]:
        """The text of each cell (th or td) of each body row of the table `table` selects."""
        return [
            [text(cell) for cell in row if tag(cell) in ("th", "td")]
            for row in self.select(f"{table} tbody tr")
        ]

    def texts(self, selector: str) -> list[str]:
        """The text of each element matching `selector`, spaces collapsed."""
        return [text(element) for element in self.select(selector)]


def parse(html: str) -> Page:
    """The page `html` as a browser would build it."""
    return Page(html)


def text(element: Element) -> str:
    """An element's text with its descendants', spaces collapsed."""
    return " ".join("".join(element.itertext()).split())


def tag(element: Element) -> str:
    """The element's name without the XHTML namespace the parser gives it."""
    return element.tag.rpartition("}")[2]
