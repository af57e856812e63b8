"""Pages read back as a tree with parents (the standard library's html.parser).

For checking which element sets the direction or language of a piece of text; tests/html.py
reads pages with CSS selectors for everything else.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that never have content, so never an end tag.
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
# Unicode's isolates in plain text: LRI, RLI, FSI … PDI.
ISOLATE_STARTS, POP_ISOLATE = "\u2066\u2067\u2068", "\u2069"


@dataclass(eq=False)
class Element:
    """One element: its tag, attributes, parent, and children (elements and strings)."""

    tag: str
    attrs: dict
    parent: "Element | None" = None
    children: list = field(default_factory=list)

    def text(self) -> str:
        """All the text inside, as the page's reader gets it (without markup)."""
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def iter(self):
        """This element and every element inside it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def by_id(self, element_id: str) -> "Element":
        """The element with this id (the test fails if there is none)."""
        found = [e for e in self.iter() if e.attrs.get("id") == element_id]
        assert found, f"no element #{element_id}"
        return found[0]

    def all(self, tag: str) -> list["Element"]:
        """Every element of this tag inside, in document order."""
        return [e for e in self.iter() if e.tag == tag]

    def ancestors(self):
        """This element, then its parent, and so on up to the root."""
        node = self
        while node is not None:
            yield node
            node = node.parent

    def inherited(self, attribute: str) -> str | None:
        """The attribute's value on this element or the nearest ancestor that has it (lang)."""
        for node in self.ancestors():
            if attribute in node.attrs:
                return node.attrs[attribute]
        return None

    def direction_owner(self) -> "Element | None":
        """The nearest element, from this one up, that sets the direction of its text."""
        for node in self.ancestors():
            if node.tag == "bdi" or "dir" in node.attrs:
                return node
            if node.tag == "svg" and "direction" in node.attrs:  # SVG's own attribute
                return node
        return None

    def direction(self) -> str | None:
        """The direction this element sets for its text (dir, or SVG's direction), if any."""
        return self.attrs.get("dir") or self.attrs.get("direction")


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        # Close up to the matching element; a stray end tag changes nothing.
        for node in self.current.ancestors():
            if node.tag == tag:
                self.current = node.parent or self.root
                return

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Element:
    """The page as a tree of Elements."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def texts(root: Element):
    """(text, the element holding it) for every piece of text in the page, in order."""
    for element in root.iter():
        if element.tag in ("script", "style"):
            continue
        for child in element.children:
            if isinstance(child, str):
                yield child, element


def left_to_right_isolated(element: Element, text: str, value: str) -> bool:
    """True when `value`, found in `text` directly inside `element`, is kept left to right.

    Either the nearest element that sets a direction says dir="ltr" (an element with `dir`
    is isolated from the text around it: <bdi dir="ltr">, <code dir="ltr">...), or the value
    sits between Unicode's isolate characters (text made in Python, where markup cannot go).
    """
    owner = element.direction_owner()
    if owner is not None and owner.tag != "html" and owner.direction() == "ltr":
        return True
    start = text.index(value)
    before, after = text[:start], text[start + len(value) :]
    return bool(before) and before[-1] in ISOLATE_STARTS and after[:1] == POP_ISOLATE


def not_isolated(html: str, values) -> list[str]:
    """The values that the page shows outside a left-to-right isolate, or not at all.

    Each value must appear whole in one piece of text (split across elements, it would be
    two pieces a right-to-left line can swap), and every time it appears, it must be isolated.
    """
    root = parse(html)
    pieces = list(texts(root))
    problems = []
    for value in values:
        found = [(text, element) for text, element in pieces if value in text]
        if not found:
            problems.append(f"{value!r} (not on the page in one piece)")
        elif not all(left_to_right_isolated(element, text, value) for text, element in found):
            problems.append(value)
    return problems
