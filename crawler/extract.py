"""Turning fetched pages and API records into post fields.

``extract_article`` finds a web page's main text, title, author and publish date with
trafilatura (menus, footers, cookie banners and related links left out);
``utc_iso`` normalises the many date shapes APIs send; ``load_json`` reads an API body
or raises :class:`MalformedJSON` with a short reason.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

# htmldate keeps the time of day when the page gives one (ISO meta tags, JSON-LD).
DATE_PARAMS = {
    "original_date": True,
    "extensive_search": False,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}

# Shorter "main text" is what is left of a page without any (a menu, a button label).
MIN_TEXT_CHARS = 25

# "By Anna Kowalska", "Przez Anna Kowalska", "作者：张伟": the byline word, not the name.
# Polish pages without author meta tags come back from trafilatura with the "by" kept.
_BY_WORDS = (
    r"(?:view|see|read)\s+all\s+(?:posts|articles|stories)\s+by|(?:more\s+)?(?:posts|articles)\s+by|"
    r"written\s+by|posted\s+by|published\s+by|by|przez|autor(?:ka)?|napisał(?:a)?|beitrag\s*von|"
    r"bởi|viết\s+bởi|tác\s+giả|автор|verfasst\s+von|écrit\s+par|escrito\s+por"
)
# Also name particles ("Da Silva", "von der Leyen"): stripped only before a capitalised
# name of two or more words.
_PARTICLES = r"von|par|por|door|di|da|af|av"
_BYLINE = re.compile(rf"^(?:{_BY_WORDS})(?:\s*[:：]\s*|\s+)(?=\S)", re.I)
_PARTICLE_BYLINE = re.compile(rf"^(?:{_PARTICLES})(?:\s*[:：]\s*|\s+)(?=[^\W\d_]\S*\s+\S)", re.I)
_CJK_BYLINE = re.compile(
    r"^(?:作者|撰文|文|记者|記者|(?:责任)?编辑|(?:責任)?編輯|来源|來源)\s*[:：︰]\s*(?=\S)"
)
_AFTER_NAME = re.compile(r"\s*[»·|•—–(]|,\s|\s(?:am|on|le|il|el|dnia|ngày|posted|\d)")
# Photo credits that metadata extraction sometimes takes for the author.
_NOT_AN_AUTHOR = re.compile(r"^(?:photo|foto|фото|zdjęcie|ảnh|image|图片|圖片)\b", re.I)


_PUBLISHED_PATTERNS = [
    re.compile(
        r"<meta\s[^>]*?(?:property|name|itemprop)=[\"'](?:article:published_time|datePublished"
        r"|og:published_time|pubdate|publish[-_]date)[\"'][^>]*?content=[\"']([^\"']+)[\"']",
        re.I,
    ),
    re.compile(
        r"<meta\s[^>]*?content=[\"']([^\"']+)[\"'][^>]*?(?:property|name|itemprop)="
        r"[\"'](?:article:published_time|datePublished|og:published_time|pubdate)[\"']",
        re.I,
    ),
    re.compile(r"[\"']datePublished[\"']\s*:\s*[\"']([^\"']+)[\"']"),
]


# Where a page names its author when its meta tags do not (outside comment sections).
BYLINE_XPATH = (
    "(//*[@rel='author' or @itemprop='author' or @class='author' or contains(@class, 'byline')"
    " or contains(@class, 'author-name') or contains(@class, 'entry-author')"
    " or contains(@class, 'post-author')]"
    "[not(ancestor-or-self::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
    ")[position() <= 3]"
)


class MalformedJSON(ValueError):
    """An API answer that is not the JSON expected; the message says why."""


@dataclass(frozen=True)
class Article:
    """What a page says, without its boilerplate."""

    title: str | None
    text: str
    author: str | None
    published_at: str | None  # ISO 8601 UTC, ``...Z``; midnight when only a day is given


def extract_article(
    html: str | bytes,
    url: str | None = None,
    *,
    fast: bool = True,
    favor_precision: bool = False,
) -> Article | None:
    """Main text and metadata of one HTML page, or None when it has no main text
    (less than ``MIN_TEXT_CHARS`` characters).

    The page is parsed once. Title and author come from its meta tags and JSON-LD (as
    trafilatura reads them), else its single ``<h1>`` and byline; the date from
    :func:`published_time`, else htmldate; the text from trafilatura without its
    metadata pass, whose heuristic author search alone costs more than the rest of the
    metadata together. ``fast`` skips trafilatura's fallback extractors (readability,
    jusText). benchmarks/bench_extraction.py measures both choices.
    """
    # Imported here: they take a noticeable share of a crawl's start-up, and only
    # sitemap sources need them.
    import trafilatura
    from htmldate import find_date
    from trafilatura.utils import load_html

    if isinstance(html, bytes):
        html = html.decode("utf-8", "replace")
    tree = load_html(html)
    if tree is None:
        return None
    title, author = _title_and_author(tree)
    published = published_time(html) or utc_iso(find_date(tree, url=url, **DATE_PARAMS))
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        favor_precision=favor_precision,
        include_comments=False,
        include_tables=True,
    )
    if document is None or len((document.text or "").strip()) < MIN_TEXT_CHARS:
        return None
    text = document.text.strip()
    first, _, rest = text.partition("\n")
    if title and rest.strip() and _clean(first) == title:
        text = rest.strip()  # the headline is the title, not part of the text
    return Article(title=title, text=text, author=clean_author(author), published_at=published)


def _title_and_author(tree: Any) -> tuple[str | None, str | None]:
    """Title and author from meta tags and JSON-LD, else the page's headline and byline."""
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title

    meta = examine_meta(tree)
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # noqa: BLE001 - malformed JSON-LD is common; meta tags still count
        pass
    title = _clean(meta.title) or _clean(extract_title(tree))
    author = meta.author
    if not author or author.startswith(("http://", "https://")):
        author = next(
            (
                text
                for node in tree.xpath(BYLINE_XPATH)
                if 1 < len(text := _clean(node.text_content()) or "") <= 80
            ),
            None,
        )
    return title, author


def published_time(html: str) -> str | None:
    """Publish time with time of day from the page's meta tags or JSON-LD, if it has one.

    htmldate (through trafilatura) often keeps only the day; these three sources
    usually carry the full time with its offset.
    """
    head = html[:200_000]
    for pattern in _PUBLISHED_PATTERNS:
        match = pattern.search(head)
        if match:
            when = utc_iso(match.group(1))
            if when and "T" in match.group(1):
                return when
    return None


def clean_author(name: str | None) -> str | None:
    """An author name without its byline word ("By", "Przez", "Von", "作者：" ...)."""
    if not name:
        return None
    cleaned = " ".join(name.split())
    for pattern in (_CJK_BYLINE, _BYLINE, _PARTICLE_BYLINE):
        match = pattern.match(cleaned)
        if match is None:
            continue
        rest = cleaned[match.end() :]
        if pattern is _PARTICLE_BYLINE and not rest[:1].isupper():
            continue
        cleaned = rest
        break
    # A byline's date or other details after the name: "r23 » 21.01.2009, 05:42".
    cleaned = _AFTER_NAME.split(cleaned, maxsplit=1)[0]
    cleaned = cleaned.strip(" ,;|-–—·")
    if _NOT_AN_AUTHOR.match(cleaned):
        return None
    return cleaned or None


def utc_iso(value: str | int | float | dt.datetime | dt.date | None) -> str | None:
    """A date from any API or page to ISO 8601 UTC ``YYYY-MM-DDTHH:MM:SSZ``.

    Accepts ISO strings (``Z``, offsets, fractions, date only: midnight UTC), Unix
    epoch seconds, and datetime/date objects; naive times are taken as UTC. Returns
    None for anything unreadable or before 1990.
    """
    when: dt.datetime | None
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float):
        try:
            when = dt.datetime.fromtimestamp(float(value), dt.UTC)
        except (OverflowError, ValueError, OSError):
            return None
    else:
        when = _parse_iso(str(value).strip())
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    when = when.astimezone(dt.UTC)
    if when.year < 1990:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def later_of(*dates: object) -> str | None:
    """The latest of several dates (any shape ``utc_iso`` reads), as ISO UTC; None if none.

    Spiders use it for the effective ``since``: a source's own and a backfill's.
    """
    return max(filter(None, (utc_iso(d) for d in dates)), default=None)  # type: ignore[arg-type]


def _parse_iso(text: str) -> dt.datetime | None:
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # htmldate's %z gives "+0200"; fromisoformat wants "+02:00" before Python 3.11's
    # full support of it, and some sites send it too.
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    # W3C datetime without seconds ("2024-05-01T10:00+02:00") or with a space.
    match = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(.*)$", text)
    if match:
        try:
            return dt.datetime.fromisoformat(f"{match[1]}T{match[2]}:00{match[3]}")
        except ValueError:
            return None
    return None


def load_json(body: bytes, expect: type = dict) -> Any:
    """Parse an API body, which must be JSON of type ``expect``; else MalformedJSON."""
    try:
        data = json.loads(body)
    except UnicodeDecodeError as exc:
        raise MalformedJSON(f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        start = body[:60].decode("utf-8", "replace").strip()
        what = "an HTML page" if start.lower().startswith(("<!doctype", "<html")) else "not JSON"
        raise MalformedJSON(f"{what}: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(data, expect):
        raise MalformedJSON(
            f"expected a JSON {_json_kind(expect)}, found a JSON {_json_kind(type(data))}"
        )
    return data


# What reading an API answer can raise: not JSON, or JSON of another shape.
JSON_PROBLEMS = (MalformedJSON, KeyError, IndexError, TypeError, ValueError, AttributeError)


def json_problem(exc: Exception, api: str = "the expected API") -> str:
    """A one-line reason for an exception from ``JSON_PROBLEMS``."""
    if isinstance(exc, MalformedJSON):
        return str(exc)
    if isinstance(exc, KeyError):
        return f"the JSON has no {exc.args[0]!r}: not an answer from {api}"
    return f"unexpected JSON shape for {api} ({type(exc).__name__}: {exc})"


def _json_kind(kind: type) -> str:
    names = {dict: "object", list: "array", str: "string", type(None): "null"}
    return names.get(kind, "number" if kind in (int, float) else kind.__name__)


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(value.split())
    return value or None
