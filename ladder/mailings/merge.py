"""The merge language of a mailing body or subject, and its compiler.

Organizers write Markdown with two kinds of tag:

* ``{{ first_name }}`` or ``{{ first_name | friend }}`` — a field of the recipient, with the
  text to use when it is empty;
* ``{% if tag: school funding %} … {% else %} … {% endif %}`` — a block shown only to some
  people: ``tag:`` (what they care about), ``rung:`` (where they stand on a ladder), ``group:``
  (a group they belong to); ``{% if not tag: rent %}`` turns the test round.

A body is checked and compiled once per variant (`compile_body`): unknown fields, unknown tests
and unbalanced blocks are errors at compose time, with the line they are on. Rendering for one
recipient then only walks a small tree of already-escaped HTML and text, which is what lets a
worker personalise a thousand messages a second.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt

# The fields a body may use, with what each means (shown next to the editor).
FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "First and last name",
    "email": "The address the message goes to",
    "city": "City of their main address",
    "state": "State or region of their main address",
    "zip": "Postal code",
    "group": "Their home group (chapter)",
    "rung": "The rung they stand on (the first ladder's)",
}
TESTS: dict[str, str] = {
    "tag": "has this tag (what they care about)",
    "rung": "stands on this rung",
    "group": "belongs to this group",
}

_TAG = re.compile(
    r"\{\{\s*(?P<field>[^|}]*?)\s*(?:\|\s*(?P<fallback>[^}]*?)\s*)?\}\}"
    r"|\{%\s*(?P<block>[a-z]+)\b(?P<rest>[^%]*?)\s*%\}"
)
_COND = re.compile(r"^(?:(?P<neg>not)\s+)?(?P<kind>[a-z_]+)\s*:\s*(?P<value>.+)$")
# Placeholders that survive Markdown untouched: letters and digits only, no emphasis marks.
_MARK = "QZMERGE{}QZ"
_MARK_RE = re.compile(r"QZMERGE(\d+)QZ")
_LINK_MARK = "QZLINK{}QZ"
_LINKED = re.compile(r'href="(?P<url>[^"]+)"')
_MD_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)\)")
_HTML_TAGS = re.compile(r"<[^>]+>")


class MergeError(ValueError):
    """A body or subject that cannot be sent; the message names the line."""


@dataclass(frozen=True)
class Recipient:
    """What rendering knows about one person. Sets hold lower-cased names."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    group: str = ""
    rung: str = ""
    tags: frozenset[str] = frozenset()
    rungs: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    def value(self, name: str) -> str:
        if name == "full_name":
            return " ".join(p for p in (self.first_name, self.last_name) if p)
        return str(getattr(self, name))

    def passes(self, kind: str, value: str) -> bool:
        pool = {"tag": self.tags, "rung": self.rungs, "group": self.groups}[kind]
        return value in pool


# A compiled template is a list of nodes: literal text, a field, a link, or a condition.
@dataclass(frozen=True)
class Field:
    name: str
    fallback: str


@dataclass(frozen=True)
class Link:
    index: int


@dataclass
class Cond:
    kind: str
    value: str
    negate: bool
    then: list[Any] = field(default_factory=list)
    otherwise: list[Any] = field(default_factory=list)


Node = str | Field | Link | Cond


@dataclass(frozen=True)
class Needs:
    """Which person data a template reads, so a batch loads only that."""

    tags: bool = False
    rungs: bool = False
    groups: bool = False
    address: bool = False


@dataclass
class Template:
    nodes: list[Node]
    escape: bool

    def render(self, who: Recipient, link: Callable[[int], str] | None = None) -> str:
        out: list[str] = []
        self._walk(self.nodes, who, link, out)
        return "".join(out)

    def _walk(
        self,
        nodes: list[Node],
        who: Recipient,
        link: Callable[[int], str] | None,
        out: list[str],
    ) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, Field):
                text = who.value(node.name) or node.fallback
                out.append(html.escape(text) if self.escape else text)
            elif isinstance(node, Link):
                out.append(link(node.index) if link else "")
            elif who.passes(node.kind, node.value) != node.negate:
                self._walk(node.then, who, link, out)
            else:
                self._walk(node.otherwise, who, link, out)


@dataclass
class CompiledBody:
    html: Template
    text: Template
    links: list[str]
    needs: Needs


def _line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _tags(source: str) -> list[tuple[re.Match[str], Any]]:
    """Every tag of the source, checked: (match, parsed) where parsed is a Field or a block."""
    found: list[tuple[re.Match[str], Any]] = []
    depth = 0
    for match in _TAG.finditer(source):
        line = _line_of(source, match.start())
        if match.group("block") is None:
            name = match.group("field").strip()
            if name not in FIELDS:
                known = ", ".join(FIELDS)
                raise MergeError(f"Line {line}: there is no merge field “{name}”. Known: {known}.")
            found.append((match, Field(name, (match.group("fallback") or "").strip())))
            continue
        block, rest = match.group("block"), match.group("rest").strip()
        if block == "if":
            cond = _COND.match(rest)
            if cond is None or cond.group("kind") not in TESTS:
                raise MergeError(
                    f"Line {line}: write a test as “{{% if tag: school funding %}}” "
                    f"(tests: {', '.join(TESTS)})."
                )
            depth += 1
            found.append((match, ("if", cond.group("kind"), cond.group("value").strip().lower(),
                                  bool(cond.group("neg")))))  # fmt: skip
        elif block in ("else", "endif"):
            if depth == 0:
                raise MergeError(f"Line {line}: “{{% {block} %}}” without an “{{% if … %}}”.")
            if block == "endif":
                depth -= 1
            found.append((match, (block,)))
        else:
            raise MergeError(f"Line {line}: unknown block “{block}” (use if, else, endif).")
    if depth:
        raise MergeError("An “{% if … %}” block is not closed with “{% endif %}”.")
    return found


def _tree(parts: list[str | Field | Link | tuple[Any, ...]]) -> list[Node]:
    root: list[Node] = []
    stack: list[tuple[Cond, list[Node]]] = []
    current = root
    for part in parts:
        if isinstance(part, tuple):
            if part[0] == "if":
                cond = Cond(part[1], part[2], part[3])
                current.append(cond)
                stack.append((cond, current))
                current = cond.then
            elif part[0] == "else":
                current = stack[-1][0].otherwise
            else:
                current = stack.pop()[1]
        elif part != "":
            current.append(part)
    return root


def _needs(source: str, tags: list[tuple[re.Match[str], Any]]) -> Needs:
    kinds = {p[1] for _, p in tags if isinstance(p, tuple) and p[0] == "if"}
    fields = {p.name for _, p in tags if isinstance(p, Field)}
    return Needs(
        tags="tag" in kinds,
        rungs="rung" in kinds or "rung" in fields,
        groups="group" in kinds or "group" in fields,
        address=bool(fields & {"city", "state", "zip"}),
    )


def _split(text: str, tags: list[Any], links: list[str], *, escape: bool) -> list[Node]:
    """Turn rendered text holding merge and link placeholders back into nodes."""
    parts: list[Any] = []
    position = 0
    pattern = re.compile(r"QZMERGE(\d+)QZ|QZLINK(\d+)QZ")
    for match in pattern.finditer(text):
        parts.append(text[position : match.start()])
        if match.group(1) is not None:
            parts.append(tags[int(match.group(1))][1])
        else:
            parts.append(Link(int(match.group(2))))
        position = match.end()
    parts.append(text[position:])
    if escape:
        parts = [
            Field(p.name, html.escape(p.fallback)) if isinstance(p, Field) else p for p in parts
        ]
    return _tree(parts)


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def compile_subject(subject: str) -> Template:
    tags = _tags(subject)
    if any(isinstance(p, tuple) for _, p in tags):
        raise MergeError("A subject can hold merge fields but not “{% if %}” blocks.")
    return Template(_split(_mark(subject, tags), tags, [], escape=False), escape=False)


def _mark(source: str, tags: list[tuple[re.Match[str], Any]]) -> str:
    out, position = [], 0
    for number, (match, _) in enumerate(tags):
        out.append(source[position : match.start()])
        out.append(_MARK.format(number))
        position = match.end()
    out.append(source[position:])
    return "".join(out)


def compile_body(source: str) -> CompiledBody:
    """Check and compile a Markdown body into an HTML and a plain-text template. Every link
    becomes a numbered slot, filled per recipient with a tracked address."""
    tags = _tags(source)
    marked = _mark(source, tags)
    rendered = _markdown.render(marked)
    # A block tag alone on its line became its own paragraph: keep the tag, drop the <p>.
    rendered = re.sub(r"<p>(QZMERGE\d+QZ)</p>\n?", r"\1", rendered)
    links: list[str] = []

    def slot(url: str) -> int:
        if _MARK_RE.search(url):
            raise MergeError(f"A merge field cannot go inside a link address ({url}).")
        if url not in links:
            links.append(url)
        return links.index(url)

    def html_link(match: re.Match[str]) -> str:
        url = html.unescape(match.group("url"))
        if not url.startswith(("http://", "https://", "/")):
            return match.group(0)  # mailto:, tel: and anchors are not tracked
        return f'href="{_LINK_MARK.format(slot(url))}"'

    rendered = _LINKED.sub(html_link, rendered)

    def text_link(match: re.Match[str]) -> str:
        url = _markdown.normalizeLink(match.group("url"))
        if url not in links:
            return f"{match.group('text')} ({match.group('url')})"
        return f"{match.group('text')} ({_LINK_MARK.format(links.index(url))})"

    plain = _MD_LINK.sub(text_link, marked)
    plain = re.sub(r"^[ \t]*(QZMERGE\d+QZ)[ \t]*\n", r"\1", plain, flags=re.M)
    return CompiledBody(
        html=Template(_split(rendered, tags, links, escape=True), escape=True),
        text=Template(_split(plain, tags, links, escape=False), escape=False),
        links=links,
        needs=_needs(source, tags),
    )


def check(subject: str, body: str) -> list[str]:
    """The compose-time errors of a subject and body, as sentences (empty: fine)."""
    errors = []
    for label, compile_one in (("Subject", compile_subject), ("Body", compile_body)):
        try:
            compile_one(subject if label == "Subject" else body)
        except MergeError as error:
            errors.append(f"{label}: {error}")
    return errors


def strip_html(text: str) -> str:
    return html.unescape(_HTML_TAGS.sub("", text))
