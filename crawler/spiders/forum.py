"""Classic HTML forums: phpBB, vBulletin, XenForo through presets, any other through selectors.

From a forum (board) URL the spider walks the topic list page by page, follows
sub-forums, and reads every page of every topic: one :class:`PostItem` per post,
replies included, with the topic's first-page URL as ``thread_url`` and the post's
permalink as ``url``. Quotes of earlier posts are removed from a post's text (the quoted
post is stored as its own row), and so are signatures.

Between runs it remembers, per topic, a marker read from the topic list (reply count,
last-post link or time) and the last page it read. A topic whose marker is unchanged
is not fetched again; a changed one is read from its last known page onwards.

Dates: machine-readable ones (``data-time``, ``datetime``, epoch attributes) first,
else the text: numeric and month-name dates in English, German, Polish and Vietnamese,
"Today, 10:15", "Yesterday at 9 PM", weekdays, "5 minutes ago". Text dates are in the
board's time zone: the source's ``timezone:``, else what the page footer says, else
UTC. Relative dates count from the HTTP ``Date`` of the response.

Run as ``scrapy crawl forum -a config=sources.yml`` or through ``trendscout crawl``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeGuard
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import scrapy
from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from crawler.base import SourceSpider
from crawler.extract import later_of
from crawler.forum_presets import (
    AGO_UNITS,
    AGO_WORDS,
    AM_WORDS,
    JUST_NOW_WORDS,
    MONTHS,
    ONE_WORDS,
    PM_WORDS,
    PRESETS,
    TODAY_WORDS,
    TZ_CITIES,
    TZ_REGIONS,
    WEEKDAYS,
    YESTERDAY_WORDS,
    ForumPreset,
    Selectors,
)
from crawler.items import CrawlStateItem, ItemGroup, PostItem
from crawler.text import TRACKING_PARAMS, element_text, html_to_text
from pipelines.config import Source, is_xpath

# -- selectors --------------------------------------------------------------------------


def select(context: Selector, selector: str) -> SelectorList:
    """Evaluate a CSS or XPath selector; XPath is taken relative to ``context``.

    What ``context.xpath``/``context.css`` give, through an XPath compiled once per
    selector: a page's few selectors run on every post, a dozen times a page."""
    root = context.root
    if not isinstance(root, etree._Element):  # a text or attribute value: as parsel does it
        if is_xpath(selector):
            return context.xpath(_relative_xpath(selector))
        return context.css(selector)
    try:
        found = _compiled(selector)(root)
    except etree.XPathError as exc:
        raise ValueError(f"XPath error: {exc} in {selector}") from exc
    kind = "xml" if context.type == "xml" else "html"
    return SelectorList(
        Selector(root=item, namespaces=context.namespaces, type=kind)
        for item in (found if isinstance(found, list) else [found])
    )


def _relative_xpath(selector: str) -> str:
    expr = selector.strip()
    if expr.startswith("/"):
        return "." + expr
    if expr.startswith("(/"):
        return "(." + expr[1:]
    return expr


_CSS = HTMLTranslator()  # parsel's, with its ::text and ::attr(name)
_NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}


@functools.lru_cache(maxsize=1024)
def _compiled(selector: str) -> etree.XPath:
    """A CSS or XPath selector compiled as parsel would evaluate it."""
    expr = _relative_xpath(selector) if is_xpath(selector) else _CSS.css_to_xpath(selector)
    return etree.XPath(expr, namespaces=_NAMESPACES, smart_strings=False)


def first_match(context: Selector, selectors: Selectors) -> SelectorList:
    """The matches of the first selector that matches anything (empty if none does)."""
    for selector in selectors:
        found = select(context, selector)
        if found:
            return found
    return SelectorList([])


def text_of(item: Selector) -> str:
    """An attribute or text node as is; an element as its text, white space folded."""
    root = item.root
    if isinstance(root, str):
        return " ".join(root.split())
    if isinstance(root, bool | int | float):
        return str(root)
    return " ".join(" ".join(root.itertext()).split())


def href_of(item: Selector) -> str | None:
    """The link an item stands for: an attribute value, an element's href, or the
    href of the first link inside it."""
    root = item.root
    if isinstance(root, str):
        return root.strip() or None
    if not hasattr(root, "get"):
        return None
    href = root.get("href")
    if href is None:
        href = item.xpath(".//a/@href").get()
    return href.strip() if href and href.strip() else None


def usable_link(href: str | None) -> TypeGuard[str]:
    """A link worth following: not empty, not a same-page anchor, script or mail link."""
    return href is not None and not href.startswith(("#", "javascript:", "mailto:"))


# -- URLs -------------------------------------------------------------------------------

_SESSION_KEYS = {"sid", "phpsessid", "sessionid", "jsessionid"}
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def forum_url(href: str, base: str, *, keep_fragment: bool = False) -> str:
    """An absolute URL without session ids (phpBB ``sid``, vBulletin ``s``) or
    tracking parameters; the rest of the query string is kept exactly as written."""
    parts = urlsplit(urljoin(base, href.strip()))
    kept = []
    for pair in parts.query.split("&") if parts.query else []:
        key, _, value = pair.partition("=")
        lowered = key.lower()
        if lowered in _SESSION_KEYS or TRACKING_PARAMS.match(key):
            continue
        if lowered == "s" and _HEX32.match(value.lower()):
            continue
        kept.append(pair)
    netloc = parts.netloc.lower()
    if (parts.scheme == "http" and netloc.endswith(":80")) or (
        parts.scheme == "https" and netloc.endswith(":443")
    ):
        netloc = netloc.rsplit(":", 1)[0]
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", "&".join(kept), fragment))


_SESSION_IN_TEXT = re.compile(r"(?:[?&;](?:sid|s|phpsessid)=[0-9a-f]{32})", re.IGNORECASE)


# -- dates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateContext:
    """What text dates on one page are read against."""

    tz: dt.tzinfo = dt.UTC
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    order: str = "dmy"  # numeric dates: dmy, mdy or ymd

    @property
    def local_now(self) -> dt.datetime:
        """Now on the board's clock (what "today" means there)."""
        return self.now.astimezone(self.tz)


_EPOCH = re.compile(r"^\d{9,11}(?:\.\d+)?$")
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)(?:\s*(a\.m\.|p\.m\.|am|pm|sa|ch)(?!\w))?"
)
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})(?!\d)")
_VI_MONTH = re.compile(r"(?:tháng|thg)\.?\s*(\d{1,2})(?!\d)")
_WORD = re.compile(r"[^\W\d_]+")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def _any_of(words: Iterable[str]) -> re.Pattern[str]:
    """Any of these words or phrases, as whole words ("today", not "today_gamer"); the
    one found is group 1."""
    alternatives = "|".join(re.escape(w.strip()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)")


_JUST_NOW = _any_of(JUST_NOW_WORDS)
_AGO = _any_of(AGO_WORDS)
_TODAY = _any_of(TODAY_WORDS)
_YESTERDAY = _any_of(YESTERDAY_WORDS)
_WEEKDAY = _any_of(WEEKDAYS)


def parse_forum_date(raw: str | None, context: DateContext) -> dt.datetime | None:
    """A forum date (epoch, ISO 8601 or text in en/de/pl/vi) as an aware UTC datetime."""
    if not raw:
        return None
    text = unicodedata.normalize("NFC", raw.replace("\xa0", " ")).strip()
    if _EPOCH.match(text):
        when = dt.datetime.fromtimestamp(float(text), dt.UTC)
        return when if when.year >= 1990 else None
    iso = _ISO.search(text)
    if iso:
        return _from_iso(iso, context)
    return _from_text(text.lower(), context)


def _from_iso(match: re.Match[str], context: DateContext) -> dt.datetime | None:
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    zone = match.group(7)
    tz: dt.tzinfo = context.tz
    if zone:
        if zone.upper() == "Z":
            tz = dt.UTC
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=tz).astimezone(dt.UTC)
    except ValueError:
        return None


def _from_text(text: str, context: DateContext) -> dt.datetime | None:
    if _JUST_NOW.search(text):
        return context.now
    if _AGO.search(text):
        delta = _ago(text)
        if delta is not None:
            return context.now - delta
    clock = _TIME.search(text)
    hour = minute = second = 0
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        marker = clock.group(4)
        if marker in PM_WORDS and hour < 12:
            hour += 12
        elif marker in AM_WORDS and hour == 12:
            hour = 0
        text = text[: clock.start()] + " " + text[clock.end() :]
    day = _day_of(text, context)
    if day is None:
        return None
    try:
        local = dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=context.tz)
    except ValueError:
        return None
    when = local.astimezone(dt.UTC)
    if when.year < 1990 or when > context.now + dt.timedelta(days=366):
        return None
    return when


def _ago(text: str) -> dt.timedelta | None:
    """ "5 minutes ago", "vor einer Stunde", "godzinę temu", "3 ngày trước" as a duration."""
    tokens = _TOKEN.findall(text)
    for index, token in enumerate(tokens):
        seconds = next((s for stem, s in AGO_UNITS if token.startswith(stem)), None)
        if seconds is None:
            continue
        before = tokens[index - 1] if index else ""
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        if before.isdigit():
            return dt.timedelta(seconds=int(before) * seconds)
        if before in ONE_WORDS or before == "vor" or after in ("ago", "temu", "trước"):
            return dt.timedelta(seconds=seconds)
    return None


def _day_of(text: str, context: DateContext) -> dt.date | None:
    """The calendar day a text names: a full date first, then today, yesterday or a
    weekday of the past week ("Monday at 4:15 PM", as XenForo writes)."""
    today = context.local_now.date()
    day = _numeric_date(text, context.order) or _named_month_date(text, today)
    if day is not None:
        return day
    if _TODAY.search(text):
        return today
    if _YESTERDAY.search(text):
        return today - dt.timedelta(days=1)
    weekday = _WEEKDAY.search(text)
    if weekday:
        back = (today.weekday() - WEEKDAYS[weekday.group(1)]) % 7 or 7
        return today - dt.timedelta(days=back)
    return None


def _full_year(year: int) -> int:
    if year >= 100:
        return year
    return 2000 + year if year < 70 else 1900 + year


def _numeric_date(text: str, order: str) -> dt.date | None:
    match = _NUMERIC_DATE.search(text)
    if not match:
        return None
    first, _, second, third = match.groups()
    a, b, c = int(first), int(second), int(third)
    if len(first) == 4 or order == "ymd":
        year, month, day = a, b, c
    else:
        day, month = (b, a) if order == "mdy" else (a, b)
        if month > 12 and day <= 12:
            day, month = month, day
        year = c
    try:
        return dt.date(_full_year(year), month, day)
    except ValueError:
        return None


def _named_month_date(text: str, today: dt.date) -> dt.date | None:
    month = None
    rest = text
    vietnamese = _VI_MONTH.search(text)
    if vietnamese:
        month = int(vietnamese.group(1))
        rest = text[: vietnamese.start()] + " # " + text[vietnamese.end() :]
    else:
        for word in reversed(_WORD.findall(text)):
            if word in MONTHS:
                month = MONTHS[word]
                rest = re.sub(rf"(?<!\w){re.escape(word)}\.?(?!\w)", " # ", text, count=1)
                break
    if month is None or not 1 <= month <= 12:
        return None
    # The numbers next to the month: "15. November 2023", "Nov 15, 2023", "15 tháng 11 2023".
    around = re.search(
        r"(?:(\d{1,2})(?:st|nd|rd|th)?\.?[\s,]*(?:ngày\s*)?)?#[\s,.]*(?:(\d{1,2})(?:st|nd|rd|th)?(?!\d))?"
        r"[\s,.]*(?:năm\s*)?(\d{4})?",
        re.sub(r"ngày\s+(\d{1,2})", r"\1", rest),
    )
    if not around:
        return None
    day_text = around.group(1) or around.group(2)
    if not day_text:
        return None
    year = int(around.group(3)) if around.group(3) else None
    if year is None:
        year = today.year
        try:
            if dt.date(year, month, int(day_text)) > today + dt.timedelta(days=1):
                year -= 1
        except ValueError:
            return None
    try:
        return dt.date(year, month, int(day_text))
    except ValueError:
        return None


def infer_date_order(texts: Iterable[str], default: str) -> str:
    """dmy or mdy, as the numeric dates of one page show (a part above 12 is the day)."""
    for text in texts:
        match = _NUMERIC_DATE.search(text or "")
        if not match or len(match.group(1)) == 4:
            continue
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second:
            return "dmy"
        if second > 12 >= first:
            return "mdy"
    return default


def timezone_from_text(text: str) -> dt.tzinfo | None:
    """A time zone from a board footer: "Europe/Berlin", "Europa/Warszawa",
    "UTC+02:00", "GMT -5", "UTC + 1 hour [ DST ]"."""
    named = re.search(r"([^\W\d_]+)/([^\W\d][\w\-]*(?:/[\w\-]+)?)", text)
    if named:
        region = TZ_REGIONS.get(named.group(1).lower(), named.group(1))
        city = named.group(2)
        city = TZ_CITIES.get(city.lower(), city)
        try:
            return ZoneInfo(f"{region}/{city}")
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = re.search(r"(?:utc|gmt)\s*([+\-−])\s*(\d{1,2})(?:[:.]?(\d{2}))?", text, re.IGNORECASE)
    if offset:
        sign = -1 if offset.group(1) in "-−" else 1
        minutes = sign * (int(offset.group(2)) * 60 + int(offset.group(3) or 0))
        if re.search(r"\b(dst|sommerzeit|czas letni)\b", text, re.IGNORECASE):
            minutes += 60
        return dt.timezone(dt.timedelta(minutes=minutes))
    if re.search(r"\b(utc|gmt)\b", text, re.IGNORECASE):
        return dt.UTC
    return None


def iso_utc(when: dt.datetime | None) -> str | None:
    """``2026-11-20T09:15:00Z``, as posts.published_at stores times."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


# -- extraction -------------------------------------------------------------------------


@dataclass
class TopicRow:
    """A topic as its forum's topic list shows it."""

    url: str  # first page, canonical
    title: str
    marker: str  # changes when the topic gains posts ("" when unknown)
    last_post: str | None = None  # ISO UTC, when the list shows it


@dataclass
class TopicList:
    topics: list[TopicRow]
    next_url: str | None
    forum_urls: list[str]


@dataclass
class ForumPost:
    url: str  # permalink
    author: str | None
    published_at: str | None
    text: str


@dataclass
class TopicPage:
    title: str | None
    posts: list[ForumPost]
    next_url: str | None
    truncated: bool = False


def choose_preset(root: Selector, presets: tuple[ForumPreset, ...]) -> ForumPreset:
    """The first variant whose ``detect`` selectors match the page (the last is the fallback)."""
    for preset in presets[:-1]:
        if any(select(root, selector) for selector in preset.detect):
            return preset
    return presets[-1]


def next_link(root: Selector, selectors: Selectors, page_url: str) -> str | None:
    """The next page's URL (not this page's own, not a "#" placeholder), or None."""
    for item in first_match(root, selectors):
        href = href_of(item)
        if usable_link(href):
            url = forum_url(href, page_url)
            if url != forum_url(page_url, page_url):
                return url
    return None


def _row_of(link: Selector) -> Selector:
    """For boards without a topic_row selector: the table row or list item around a link."""
    row = link.xpath("ancestor::*[self::tr or self::li][1]")
    return row[0] if row else link


def parse_topic_list(
    root: Selector, page_url: str, preset: ForumPreset, dates: DateContext | None = None
) -> TopicList:
    """Topics, the next list page and sub-forums of a forum page."""
    dates = dates or DateContext()
    topics: dict[str, TopicRow] = {}
    if preset.topic_row:
        pairs = [
            (row, link)
            for row in first_match(root, preset.topic_row)
            for link in first_match(row, preset.topic_links)[:1]
        ]
    else:
        pairs = [(_row_of(link), link) for link in first_match(root, preset.topic_links)]
    for row, link in pairs:
        href = href_of(link)
        if not usable_link(href):
            continue
        url = forum_url(href, page_url)
        if url in topics:
            continue
        if preset.topic_marker:
            parts = [text_of(item) for s in preset.topic_marker for item in select(row, s)]
        else:
            parts = [text_of(row)]
        marker = _SESSION_IN_TEXT.sub("", " | ".join(p for p in parts if p))
        topics[url] = TopicRow(
            url, text_of(link), marker, _first_date(row, preset.topic_date, dates)
        )
    forums = []
    for selector in preset.forum_links:
        for item in select(root, selector):
            href = href_of(item)
            if usable_link(href):
                forums.append(forum_url(href, page_url))
    return TopicList(
        topics=list(topics.values()),
        next_url=next_link(root, preset.next_page, page_url),
        forum_urls=list(dict.fromkeys(forums)),
    )


def _first_date(context: Selector, selectors: Selectors, dates: DateContext) -> str | None:
    """The first readable date among the matches of ``selectors``, as ISO UTC."""
    for item in first_match(context, selectors):
        for candidate in _date_candidates(item):
            when = parse_forum_date(candidate, dates)
            if when is not None:
                return iso_utc(when)
    return None


def _date_candidates(item: Selector) -> list[str]:
    """Readable forms of a date element, machine-readable first (epoch, ISO, text, title)."""
    root = item.root
    if isinstance(root, str):
        return [root]
    if not hasattr(root, "get"):
        return [text_of(item)]
    values = [root.get(name) for name in ("data-time", "data-timestamp", "datetime")]
    values += [text_of(item), root.get("title")]
    return [v for v in values if v and v.strip()]


def _post_text(post: Selector, preset: ForumPreset) -> str:
    """A post's own text: quotes, signatures and scripts (``remove``) taken out."""
    found = first_match(post, preset.text)
    if not found:
        return ""
    content = found[0]
    element = content.root
    if isinstance(element, str):
        return html_to_text(" ".join(text_of(item) for item in found))
    for selector in preset.remove:
        for item in select(content, selector):
            if item.root is not element and hasattr(item.root, "drop_tree"):
                item.root.drop_tree()
    return element_text(element)


def _permalink(post: Selector, preset: ForumPreset, page_url: str, index: int) -> str:
    """The post's own link, else this page with the post's id (or position) as anchor."""
    for selector in preset.permalink:
        for item in select(post, selector):
            href = text_of(item) if isinstance(item.root, str) else href_of(item)
            if href and href not in ("#", "#post") and not href.startswith("javascript:"):
                return forum_url(href, page_url, keep_fragment=True)
    anchor = post.root.get("id") if hasattr(post.root, "get") else None
    return forum_url(f"#{anchor or f'post-{index + 1}'}", page_url, keep_fragment=True)


def looks_truncated(body: bytes) -> bool:
    """An HTML page cut off in transfer: no closing body or html tag near its end."""
    tail = body[-16384:].lower()
    return b"</html" not in tail and b"</body" not in tail


def parse_topic_page(
    root: Selector, page_url: str, preset: ForumPreset, dates: DateContext, truncated: bool = False
) -> TopicPage:
    """Every post of one topic page, and the topic's next page.

    On a ``truncated`` page the last post found is left out: it may be cut off.
    """
    posts_found = first_match(root, preset.post)
    if truncated:
        posts_found = posts_found[:-1]
    raw_dates = [
        [v for item in first_match(p, preset.date) for v in _date_candidates(item)]
        for p in posts_found
    ]
    order = infer_date_order((d for values in raw_dates for d in values), dates.order)
    context = DateContext(tz=dates.tz, now=dates.now, order=order)
    posts = []
    for index, (post, candidates) in enumerate(zip(posts_found, raw_dates, strict=True)):
        author_item = first_match(post, preset.author)
        author = text_of(author_item[0]) if author_item else None
        when = next(
            (w for w in (parse_forum_date(c, context) for c in candidates) if w is not None), None
        )
        url = _permalink(post, preset, page_url, index)
        text = _post_text(post, preset)
        if text:
            posts.append(ForumPost(url, author or None, iso_utc(when), text))
    title_item = first_match(root, preset.title)
    return TopicPage(
        title=text_of(title_item[0]) if title_item else None,
        posts=posts,
        next_url=next_link(root, preset.topic_next_page, page_url),
        truncated=truncated,
    )


@dataclass
class TopicRead:
    """What :func:`read_topic_page` found on a topic page."""

    page: TopicPage
    preset: ForumPreset  # the variant the page matched
    zone: dt.tzinfo | None  # the time zone its footer names, when none was known yet


def read_topic_page(
    html: str,
    url: str,
    base: str,
    presets: tuple[ForumPreset, ...],
    zone: dt.tzinfo | None,
    now: dt.datetime,
    date_order: str | None,
    truncated: bool,
) -> TopicRead:
    """A fetched topic page's posts, in one call a worker process can make: the variant
    among ``presets``, the time zone (``zone``, else the footer's, else UTC), dates read
    against ``now`` in ``date_order`` (else the variant's)."""
    root = Selector(text=html, type="html", base_url=url)
    preset = choose_preset(root, presets)
    found = None if zone is not None else page_timezone(root, preset)
    dates = DateContext(tz=zone or found or dt.UTC, now=now, order=date_order or preset.date_order)
    return TopicRead(parse_topic_page(root, base, preset, dates, truncated), preset, found)


def page_timezone(root: Selector, preset: ForumPreset) -> dt.tzinfo | None:
    """The time zone a page's footer names, if its preset knows where to look."""
    for selector in preset.timezone_hint:
        for item in select(root, selector):
            zone = timezone_from_text(text_of(item))
            if zone is not None:
                return zone
    return None


def source_presets(source_type: str, options: dict[str, Any]) -> tuple[ForumPreset, ...]:
    """The preset variants for a source type, with the source's own ``selectors:`` applied."""
    raw = options.get("selectors") or {}
    overrides = {
        key: tuple(value) if isinstance(value, list) else (value,) for key, value in raw.items()
    }
    return tuple(preset.with_overrides(overrides) for preset in PRESETS[source_type])


def extract_topic_page(
    html: str,
    url: str,
    source_type: str,
    *,
    options: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> TopicPage:
    """Posts of one topic page given as text (for tests, benchmarks and one-off checks)."""
    options = options or {}
    root = Selector(text=html, base_url=url)
    preset = choose_preset(root, source_presets(source_type, options))
    zone = options.get("timezone")
    tz = ZoneInfo(zone) if zone else page_timezone(root, preset) or dt.UTC
    context = DateContext(
        tz=tz,
        now=now or dt.datetime.now(dt.UTC),
        order=options.get("date_order") or preset.date_order,
    )
    truncated = looks_truncated(html.encode("utf-8", "replace"))
    return parse_topic_page(root, url, preset, context, truncated)


# -- the spider -------------------------------------------------------------------------


def response_now(response: Response) -> dt.datetime:
    """When the server produced the page (its Date header), else now: relative dates
    such as "Today, 10:15" count from it."""
    header = response.headers.get("Date")
    if header:
        try:
            when = parsedate_to_datetime(header.decode("latin-1"))
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        except (TypeError, ValueError):
            pass
    return dt.datetime.now(dt.UTC)


def topic_key(source: Source, topic_url: str) -> str:
    """The crawl_state key under which a topic's marker and last page are remembered."""
    return f"forum:{source.name}:{topic_url}"


class ForumSpider(SourceSpider):
    """phpBB, vBulletin and XenForo boards through presets; ``forum`` through selectors."""

    name = "forum"
    source_types = ("phpbb", "vbulletin", "xenforo", "forum")
    uses_workers = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._presets: dict[str, tuple[ForumPreset, ...]] = {}
        self._zones: dict[str, dt.tzinfo] = {}
        self._topics_seen: set[tuple[str, str]] = set()
        self._pages_seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ForumSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        types = sorted({s.type for s in spider.sources})
        if len(types) == 1:
            # One crawler per source type (trendscout crawl): distinct names keep their
            # shared Redis queues apart when crawling distributed.
            spider.name = f"forum-{types[0]}"
        return spider  # type: ignore[return-value]

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources:
            yield self.list_request(source, source.url, list_page=1, start=True)

    # -- requests -------------------------------------------------------------------------

    def list_request(
        self, source: Source, url: str, list_page: int, start: bool = False
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.errback,
            meta={"source": source.name, "list_page": list_page, "start": start},
        )

    def topic_request(
        self, source: Source, url: str, topic: dict[str, Any], *, again: bool = False
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_topic,
            errback=self.errback,
            meta={"source": source.name, "topic": topic},
            dont_filter=again,
        )

    def presets(self, source: Source) -> tuple[ForumPreset, ...]:
        if source.name not in self._presets:
            self._presets[source.name] = source_presets(source.type, source.options)
        return self._presets[source.name]

    def since_for(self, source: Source) -> str | None:
        """The source's ``since:`` or the crawl's ``--since``, whichever is later."""
        return later_of(source.options.get("since"), self.since)

    def timezone(self, source: Source, root: Selector, preset: ForumPreset) -> dt.tzinfo:
        """The source's time zone: its ``timezone:``, else the first footer that names one."""
        zone = self.known_timezone(source) or page_timezone(root, preset)
        if zone is not None:
            self._zones[source.name] = zone
        return zone or dt.UTC

    def known_timezone(self, source: Source) -> dt.tzinfo | None:
        """The source's ``timezone:``, or the zone a page footer named; None if neither yet."""
        if source.name not in self._zones and source.options.get("timezone"):
            self._zones[source.name] = ZoneInfo(source.options["timezone"])
        return self._zones.get(source.name)

    @staticmethod
    def is_html(response: Response) -> bool:
        return isinstance(response, TextResponse) and b"<" in response.body[:4096]

    def page_of(
        self, source: Source, response: Response
    ) -> tuple[Selector, ForumPreset, DateContext, str] | None:
        """The page's selector, preset variant, date context and base URL (None if not HTML)."""
        if not self.is_html(response):
            return None
        root = response.selector
        preset = choose_preset(root, self.presets(source))
        dates = DateContext(
            tz=self.timezone(source, root, preset),
            now=response_now(response),
            order=source.options.get("date_order") or preset.date_order,
        )
        return root, preset, dates, get_base_url(response)

    # -- callbacks ------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        page = self.page_of(source, response)
        if page is None:
            yield self.error_item(source, response.url, "not_html", "not an HTML page")
            return
        root, preset, dates, base = page
        listing = parse_topic_list(root, base, preset, dates)
        if response.meta.get("start") and not listing.topics and not listing.forum_urls:
            yield self.error_item(
                source,
                response.url,
                "no_topics",
                f"no topic links found with the {preset.name} selectors "
                f"(topic_links: {', '.join(preset.topic_links) or '-'})",
            )
            return
        since = self.since_for(source)
        stats = self.crawler.stats
        dated = [row.last_post for row in listing.topics if row.last_post]
        for row in listing.topics:
            if (source.name, row.url) in self._topics_seen:
                continue
            self._topics_seen.add((source.name, row.url))
            if since and row.last_post and row.last_post < since:
                continue  # nothing posted there since `since`
            known = self.remembered(topic_key(source, row.url))
            known = known if isinstance(known, dict) else {}
            if row.marker and known.get("marker") == row.marker:
                stats.inc_value(f"trendscout/forum_topics_unchanged/{source.name}")
                continue
            resume = known.get("last_page")
            topic = {
                "url": row.url,
                "title": row.title,
                "marker": row.marker,
                "page": int(known.get("pages") or 1) if resume else 1,
                "resumed": bool(resume),
                "complete": True,
            }
            yield self.topic_request(source, resume or row.url, topic)
        limit = source.options.get("max_list_pages")
        list_page = int(response.meta.get("list_page") or 1)
        # Topic lists run newest activity first: a page with nothing since `since` ends it.
        all_older = bool(since and dated and all(d < since for d in dated))
        if listing.next_url and not all_older and (not limit or list_page < int(limit)):
            yield self.list_request(source, listing.next_url, list_page + 1)
        for url in listing.forum_urls:
            yield self.list_request(source, url, 1)

    async def parse_topic(self, response: Response) -> AsyncIterator[Any]:
        source = self.source_of(response)
        topic = dict(response.meta["topic"])
        page_url = forum_url(response.url, response.url)
        self._pages_seen.add((topic["url"], page_url))
        if not self.is_html(response):
            yield self.error_item(source, response.url, "not_html", "not an HTML page")
            return
        truncated = looks_truncated(response.body)
        # The page is read in a worker process; the crawl goes on downloading meanwhile.
        read, error = await self.in_worker(
            read_topic_page,
            response.text,
            response.url,
            get_base_url(response),
            self.presets(source),
            self.known_timezone(source),
            response_now(response),
            source.options.get("date_order"),
            truncated,
        )
        if error is not None:
            yield self.error_item(source, response.url, *error)
            return
        if read.zone is not None:
            self._zones.setdefault(source.name, read.zone)
        found, preset = read.page, read.preset
        if truncated:
            topic["complete"] = False  # read it again next run
            yield self.error_item(
                source,
                response.url,
                "truncated_html",
                f"the page ends before </html> ({len(response.body)} bytes); "
                f"kept {len(found.posts)} complete post(s)",
            )
        elif not found.posts:
            yield self.error_item(
                source,
                response.url,
                "no_posts",
                f"no posts found with the {preset.name} selectors "
                f"(post: {', '.join(preset.post) or '-'})",
            )
            return
        title = topic.get("title") or found.title
        since = self.since_for(source)
        opening = topic["page"] == 1  # page 1 starts with the opening post
        state = None
        next_url = found.next_url
        if next_url and (topic["url"], next_url) not in self._pages_seen:
            # Asked for before this page's posts: it downloads while they are stored.
            yield self.topic_request(source, next_url, {**topic, "page": topic["page"] + 1})
        elif topic["complete"]:
            value = {"marker": topic["marker"], "last_page": page_url, "pages": topic["page"]}
            state = CrawlStateItem(source.name, topic_key(source, topic["url"]), value)
        # One item for the page's posts and state (see ItemGroup): the state after the
        # posts, so it is stored with them or later, never before.
        group: list[Any] = []
        for index, post in enumerate(found.posts):
            if since and post.published_at and post.published_at < since:
                continue
            group.append(
                PostItem(
                    source=source.name,
                    url=post.url,
                    # Only the opening post carries the topic title (as for Discourse and Reddit):
                    # replies repeating it would count the title's words once per reply.
                    title=title if opening and index == 0 else None,
                    text=post.text,
                    author=post.author,
                    published_at=post.published_at,
                    guid=post.url,
                    thread_url=topic["url"],
                )
            )
        if state is not None:
            group.append(state)
        if group:
            yield ItemGroup(group)

    def errback(self, failure: Failure) -> Iterable[Any]:
        """A topic resumed at its remembered last page that failed is read from page 1."""
        request = failure.request  # type: ignore[attr-defined]
        topic = request.meta.get("topic")
        source = self._by_name.get(request.meta.get("source", ""))
        if topic and topic.get("resumed") and source is not None:
            self.logger.info(
                "%s: %s failed; reading the topic from page 1", source.name, request.url
            )
            restart = {**topic, "page": 1, "resumed": False}
            return [self.topic_request(source, topic["url"], restart, again=True)]
        return super().errback(failure)
