"""The public campaign page read as a visitor sees it: the count shown, the recent signers."""

import re


def shown_count(client, slug) -> int:
    """The count the campaign page shows (its progress bar's value)."""
    html = client.get(f"/c/{slug}").get_data(as_text=True)
    return int(re.search(r'<progress max="\d+" value="(\d+)"', html).group(1))


def recent_names(client, slug="c") -> list[str]:
    """The names in the campaign page's "Recent signers" list."""
    html = client.get(f"/c/{slug}").get_data(as_text=True)
    if 'class="recent__list"' not in html:
        return []
    listing = html.split('class="recent__list"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li><bdi>([^<]*)</bdi>", listing)
