"""HTML fragments to clean plain text, and URL and date normalisation."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
import time
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
}
DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg"}
_SPACES = re.compile(r"[ \t\u00a0\u200b\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Query parameters that only track clicks; dropped from canonical URLs.
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|_hsenc|_hsmi|igshid|ref_src|"
    r"spm|share|feature|cmpid|icid|ncid|sr_share)$",
    re.IGNORECASE,
)


def html_to_text(fragment: str | None) -> str:
    """Turn an HTML fragment (or plain text) into readable plain text.

    Scripts, styles and embeds are dropped, block elements become line breaks,
    entities are decoded, and runs of white space are folded.
    """
    if not fragment:
        return ""
    fragment = _CONTROL.sub("", fragment)
    if "<" not in fragment:
        return _tidy(html.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _tidy(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))
    parts: list[str] = []
    _walk(root, parts)
    return _tidy("".join(parts))


def element_text(element: lxml.html.HtmlElement) -> str:
    """:func:`html_to_text` of an element already parsed, its tail left out: the same
    text without writing the element out as HTML and parsing that again."""
    parts: list[str] = []
    _walk(element, parts, with_tail=False)
    return _tidy(_CONTROL.sub("", "".join(parts)))


def _walk(element: lxml.html.HtmlElement, parts: list[str], *, with_tail: bool = True) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in DROP_TAGS:
        if element.tail and with_tail:
            parts.append(element.tail)
        return
    block = tag in BLOCK_TAGS
    if block:
        parts.append("\n")
    if isinstance(element.tag, str) and element.text:
        parts.append(element.text)
    for child in element:
        _walk(child, parts)
    if block:
        parts.append("\n")
    if element.tail and with_tail:
        parts.append(element.tail)


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def canonical_url(url: str, base: str | None = None) -> str:
    """Absolute URL with tracking parameters removed and the host lower-cased.

    The rest of the query string is kept as written (``showthread.php?123-Title`` stays so).
    """
    if base:
        url = urljoin(base, url.strip())
    parts = urlsplit(url.strip())
    query = "&".join(
        piece
        for piece in parts.query.split("&")
        if piece and not TRACKING_PARAMS.match(unquote_plus(piece.split("=", 1)[0]))
    )
    netloc = parts.netloc.lower()
    if (parts.scheme == "http" and netloc.endswith(":80")) or (
        parts.scheme == "https" and netloc.endswith(":443")
    ):
        netloc = netloc.rsplit(":", 1)[0]
    # The fragment stays: comment and reply permalinks (#comment-12, #p345) live there.
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, parts.fragment))


def struct_time_to_iso(value: time.struct_time | None) -> str | None:
    """A UTC ``struct_time`` (as feedparser returns) to ISO 8601 ``...Z``; None if unusable."""
    if not value:
        return None
    try:
        stamp = calendar.timegm(value)
        when = dt.datetime.fromtimestamp(stamp, dt.UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None
    if when.year < 1990:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
