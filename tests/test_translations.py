"""The Arabic catalogue is complete, compiles, and keeps every placeholder."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[1] / "app" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_interface_string_is_translated_into_arabic():
    with (TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    with (TRANSLATIONS / "messages.pot").open("rb") as pot_file:
        template = read_po(pot_file)
    assert {m.id for m in template if m.id} <= {m.id for m in catalog if m.id}, (
        "run make translations"
    )
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        expected = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) <= expected, (message.id, string)


def test_catalogue_template_is_up_to_date_with_the_source(tmp_path):
    import subprocess
    import sys

    root = TRANSLATIONS.parents[1]
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--ignore-dirs",
            ".* __pycache__",
            "-F",
            str(TRANSLATIONS / "babel.cfg"),
            "-k",
            "lazy_gettext",
            "-k",
            "_l",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as fresh_file, (TRANSLATIONS / "messages.pot").open("rb") as pot_file:
        fresh_ids = {m.id for m in read_po(fresh_file) if m.id}
        committed_ids = {m.id for m in read_po(pot_file) if m.id}
    assert fresh_ids == committed_ids, "strings changed: run `make translations` and translate"
