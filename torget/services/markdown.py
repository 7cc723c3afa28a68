"""Markdown for information pages: CommonMark (plus tables) to safe HTML, and to plain text.

Staff write page bodies in Markdown. markdown-it-py renders it with raw HTML turned off, so
`<script>` typed in a body comes out as text; nh3 then sanitises the result anyway, allowing
only the tags and attributes Markdown itself makes (defence in depth: a bug or a plugin in the
renderer must not become a hole). Two further rules:

- The body's top heading level becomes `<h2>` (`#` and `##` alike), the others follow it: the
  page's title is the only `<h1>`, so the headings stay in order for screen readers.
- Links to other sites get `rel="nofollow"`; links within the municipality's own site do not.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "em",
        "strong",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "hr",
        "br",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},  # "language-xyz" on fenced code
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_parser.enable("table")


def _adjust(tokens: list[Token], hosts: Collection[str]) -> None:
    """Put the body's headings under the page title, and mark links that leave the site."""
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    shift = 2 - min(levels) if levels else 0
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(2, min(int(token.tag[1]) + shift, 6))}"
        for child in token.children or []:
            if child.type == "link_open" and is_external(str(child.attrGet("href") or ""), hosts):
                child.attrSet("rel", "nofollow")


def is_external(href: str, hosts: Collection[str] = ()) -> bool:
    """True for a link to another web site: http(s) with a host that is not one of `hosts`."""
    parts = urlsplit(href.strip())
    if parts.scheme.lower() not in ("http", "https") and not href.strip().startswith("//"):
        return False
    host = (parts.hostname or "").lower()
    return host not in {h.lower() for h in hosts}


def markdown_to_html(source: str, *, hosts: Collection[str] = ()) -> str:
    """Safe HTML for `source`. `hosts` are the site's own host names (links to them are not
    marked nofollow)."""
    tokens = _parser.parse(source or "")
    _adjust(tokens, hosts)
    html = _parser.renderer.render(tokens, _parser.options, {})
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        tag_attribute_values={"a": {"rel": {"nofollow"}}},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


_BLOCK_ENDS = frozenset(
    {
        "paragraph_close",
        "heading_close",
        "list_item_close",
        "blockquote_close",
        "tr_close",
        "bullet_list_close",
        "ordered_list_close",
        "table_close",
    }
)


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" " if child.type == "softbreak" else "\n")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return "".join(parts)


def markdown_to_text(source: str) -> str:
    """`source` as plain text without any markup: paragraphs apart by a blank line, list items
    and table rows on lines of their own. For read-aloud and the search index."""
    out: list[str] = []
    for token in _parser.parse(source or ""):
        if token.type == "inline":
            out.append(_inline_text(token))
        elif token.type in ("fence", "code_block"):
            out.append(token.content.rstrip("\n") + "\n\n")
        elif token.type in ("th_close", "td_close"):
            out.append(" ")
        elif token.type == "paragraph_close" and token.hidden:
            continue  # a paragraph in a tight list: the list item ends the line
        elif token.type in _BLOCK_ENDS:
            out.append("\n\n" if token.type in ("paragraph_close", "heading_close") else "\n")
    text = "".join(out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
