"""The documentation keeps up with the code: every setting documented, every page reachable.

app/config.py is read as a syntax tree, not imported, so a setting added there in any of
the ways it reads the environment (`env.get("NAME", ...)`, `os.environ.get("NAME")`,
`_int("NAME", ...)`, `_bool(env.get("NAME"))`, calls spread over several lines) fails here
until docs/configuration.md has a row for it; a read this test cannot name fails too, rather
than slipping by. mkdocs.yml is read with a regular expression: PyYAML comes with MkDocs,
which the test run does not install.
"""

import ast
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "app" / "config.py"
DOCS = ROOT / "docs"
CONFIGURATION_PAGE = DOCS / "configuration.md"
MKDOCS_YML = ROOT / "mkdocs.yml"
README = ROOT / "README.md"

# Environment variables a configuration table may name although app/config.py does not read
# them: the Makefile's, the Procfile's and the test suite's own.
OTHER_ENVIRONMENT_VARIABLES = {
    "FLASK_APP",
    "HOST",
    "PORT",
    "TEST_DATABASE_URL",
    "TEST_REDIS_URL",
    "TEST_WORKERS",
    "PYTEST_ARGS",
    "BENCH_ARGS",
}

# `NAME` or `PREFIX_*` in a table: upper case with at least one underscore, as settings are.
SETTING_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_\*")


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_name(node.value, "os")


class _EnvironmentReads(ast.NodeVisitor):
    """Every place a module reads an environment variable, with the key it reads.

    Knows `os.environ` and names bound to it (`env = os.environ`) read with `.get`, `.pop`,
    `.setdefault`, `[...]` or `in`; `os.getenv`; and helpers: functions that read the
    variable named by one of their parameters (`_int(name, default)`), whose calls count as
    reads of their argument at that place.
    """

    def __init__(self, aliases: set[str], helpers: dict[str, int]):
        self.aliases = aliases
        self.helpers = helpers
        self.reads: list[tuple[ast.AST, str | None, tuple[str, ...]]] = []
        self._scopes: list[tuple[str | None, tuple[str, ...]]] = [(None, ())]

    def _environ(self, node: ast.AST) -> bool:
        return _is_os_environ(node) or (isinstance(node, ast.Name) and node.id in self.aliases)

    def _read(self, key: ast.AST) -> None:
        function, parameters = self._scopes[-1]
        self.reads.append((key, function, parameters))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        parameters = tuple(a.arg for a in node.args.posonlyargs + node.args.args)
        self._scopes.append((node.name, parameters))
        self.generic_visit(node)
        self._scopes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if node.args:
            if isinstance(func, ast.Attribute) and (
                (func.attr in {"get", "pop", "setdefault"} and self._environ(func.value))
                or (func.attr == "getenv" and _is_name(func.value, "os"))
            ):
                self._read(node.args[0])
            elif isinstance(func, ast.Name) and func.id in self.helpers:
                if len(node.args) > self.helpers[func.id]:
                    self._read(node.args[self.helpers[func.id]])
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self._environ(node.value):
            self._read(node.slice)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops) and any(
            self._environ(c) for c in node.comparators
        ):
            self._read(node.left)
        self.generic_visit(node)


def environment_reads(source: str) -> tuple[set[str], list[int]]:
    """The variables a module reads, and the lines of reads whose variable it cannot name."""
    tree = ast.parse(source)
    aliases = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_os_environ(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    helpers: dict[str, int] = {}
    while True:
        visitor = _EnvironmentReads(aliases, helpers)
        visitor.visit(tree)
        found = dict(helpers)
        for key, function, parameters in visitor.reads:
            if function is not None and isinstance(key, ast.Name) and key.id in parameters:
                found[function] = parameters.index(key.id)
        if found == helpers:
            break
        helpers = found
    names, unnamed = set(), []
    for key, function, parameters in visitor.reads:
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
        elif not (function in helpers and isinstance(key, ast.Name) and key.id in parameters):
            unnamed.append(key.lineno)
    return names, unnamed


def configuration_table_names(markdown: str) -> tuple[set[str], set[str]]:
    """Names in the first column of the page's tables, and every setting-like name in them."""
    first_column, anywhere = set(), set()
    for line in markdown.splitlines():
        if not line.startswith("|") or re.fullmatch(r"[|\s:-]+", line):
            continue
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        for number, cell in enumerate(cells):
            for code in re.findall(r"`([^`]+)`", cell):
                if SETTING_NAME.fullmatch(code):
                    anywhere.add(code)
                    if number == 0:
                        first_column.add(code)
    return first_column, anywhere


def _slug(heading: str) -> str:
    """A heading's anchor as MkDocs (Python-Markdown's toc) and GitHub make it."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text).strip().lower())


def _anchors(markdown: str) -> set[str]:
    anchors, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#{1,6} (.+)", line)):
            anchors.add(_slug(match.group(1)))
    return anchors


def nav_pages(mkdocs_yml: str) -> list[str]:
    """The pages mkdocs.yml's nav lists, in order."""
    nav = re.search(r"^nav:[ \t]*\n((?:[ \t]+\S.*\n|[ \t]*\n)*)", mkdocs_yml, re.MULTILINE)
    assert nav, "mkdocs.yml has no nav"
    return re.findall(r"([\w./-]+\.md)[ \t]*$", nav.group(1), re.MULTILINE)


def test_config_reads_are_found_whatever_their_form():
    source = """
import os
env = os.environ

def _int(name, default):
    raw = os.environ.get(name)
    return int(raw) if raw else default

def _seconds(name, default):
    return _int(name, default)

def build():
    return {
        "A": env.get("A_SETTING", ""),
        "B": _bool(env.get("B_SETTING")),
        "C": _int("C_SETTING", 1),
        "D": _seconds(
            "D_SETTING", 2
        ),
        "E": os.environ["E_SETTING"],
        "F": os.getenv("F_SETTING"),
        "G": "G_SETTING" in env,
        "H": float(os.environ.get("H_SETTING", "0.2")),
        "I": env.get(NAME_IN_A_VARIABLE),
    }
"""
    names, unnamed = environment_reads(source)
    assert names == {f"{letter}_SETTING" for letter in "ABCDEFGH"}
    assert len(unnamed) == 1


def test_every_setting_config_reads_has_a_row_in_the_configuration_page():
    names, unnamed = environment_reads(CONFIG.read_text())
    assert not unnamed, (
        f"app/config.py reads the environment on line(s) {unnamed} with a name this test "
        'cannot see; read it as env.get("NAME", ...) or teach tests/test_docs.py the new way'
    )
    # The parser still sees the ways config.py reads today (a multi-line call included).
    assert {"SECRET_KEY", "DATABASE_URL", "SMTP_PORT", "SMTP_STARTTLS", "SHARE_IMAGES_PATH"} <= (
        names
    )
    documented, _ = configuration_table_names(CONFIGURATION_PAGE.read_text())
    missing = sorted(names - documented)
    assert not missing, (
        f"app/config.py reads these, but docs/configuration.md has no row: {missing}"
    )


def test_every_setting_the_configuration_page_names_is_read():
    names, _ = environment_reads(CONFIG.read_text())
    known = names | OTHER_ENVIRONMENT_VARIABLES
    _, documented = configuration_table_names(CONFIGURATION_PAGE.read_text())
    assert documented, "no settings found in docs/configuration.md's tables"
    stale = sorted(
        name
        for name in documented
        if not (
            any(known_name.startswith(name[:-1]) for known_name in names)
            if name.endswith("*")
            else name in known
        )
    )
    assert not stale, f"docs/configuration.md documents settings nothing reads: {stale}"


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    mkdocs_yml = MKDOCS_YML.read_text()
    assert re.search(r"^docs_dir:\s*docs\s*$", mkdocs_yml, re.MULTILINE)
    listed = nav_pages(mkdocs_yml)
    pages = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))
    twice = sorted({page for page in listed if listed.count(page) > 1})
    assert not twice, f"pages listed twice in mkdocs.yml's nav: {twice}"
    absent = sorted(set(listed) - set(pages))
    assert not absent, f"mkdocs.yml's nav lists pages that are not in docs/: {absent}"
    unlisted = sorted(set(pages) - set(listed))
    assert not unlisted, f"pages in docs/ missing from mkdocs.yml's nav: {unlisted}"


def test_the_readmes_links_into_the_docs_lead_somewhere():
    readme = README.read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert any(link.startswith("docs/") for link in local)
    for link in local:
        path, _, anchor = link.partition("#")
        target = ROOT / path if path else README
        assert target.is_file(), f"README.md links to {link}, which does not exist"
        if anchor:
            assert anchor in _anchors(target.read_text()), f"README.md: no heading for {link}"
