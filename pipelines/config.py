"""sources.yml: loading and validation.

A project is one YAML file: the sources to crawl, the products to watch, Scrapy
setting overrides and a contact address for the User-Agent. Every mistake is
reported as one :class:`ConfigError` line that names the file, the place
(``sources[2].url``) and how to fix it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

# Classic HTML forums (crawler/spiders/forum.py): the extra keys they accept, and the
# selectors a source may set (for type forum: topic_links, post and text at least).
FORUM_TYPES = ("phpbb", "vbulletin", "xenforo", "forum")
FORUM_KEYS = {"selectors", "timezone", "date_order", "max_list_pages", "since"}
FORUM_SELECTORS = {
    "topic_links",
    "post",
    "text",
    "next_page",
    "author",
    "date",
    "topic_next_page",
    "title",
    "permalink",
    "topic_row",
    "topic_marker",
    "topic_date",
    "forum_links",
    "remove",
}
FORUM_REQUIRED_SELECTORS = ("topic_links", "post", "text")
# A selector is XPath when it starts with / or ( (also ./, ../, @ or a function such as
# concat(); otherwise CSS.
XPATH_START = re.compile(r"^\s*(/|\(|\.\.?/|@|[a-z][a-z-]*\()")

# Sites through sitemaps, and forum/social JSON APIs (crawler/spiders/sitemap.py,
# discourse.py, reddit.py, mastodon.py): the extra keys each accepts.
LISTING_KEYS = {"since", "max_pages"}
SITE_API_TYPES: dict[str, set[str]] = {
    "sitemap": {"follow", *LISTING_KEYS},
    "discourse": {"category", *LISTING_KEYS},
    "reddit": {"subreddit", "comments", *LISTING_KEYS},
    "mastodon": {"hashtag", "account", *LISTING_KEYS},
}

# Source types and the extra keys each accepts (beyond name/type/url/language/settings).
SOURCE_TYPES: dict[str, set[str]] = {
    "feed": set(),
    **{forum_type: FORUM_KEYS for forum_type in FORUM_TYPES},
    **SITE_API_TYPES,
}
COMMON_SOURCE_KEYS = {"name", "type", "url", "language", "settings"}
TOP_LEVEL_KEYS = {"sources", "watch", "settings", "contact"}
# Top-level blocks that later features read and validate themselves (digest mail, SMTP,
# audience-segment lexicon additions); kept in Config.extra.
EXTRA_TOP_LEVEL_KEYS = {"digest", "smtp", "segments"}
WATCH_KEYS = {"name", "aliases"}
LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


class ConfigError(Exception):
    """A sources.yml mistake, as one line a user can act on."""


@dataclass(frozen=True)
class Source:
    name: str
    type: str
    url: str
    language: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Watch:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[Source, ...]
    watch: tuple[Watch, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    contact: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # blocks later features read

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        names = ", ".join(s.name for s in self.sources)
        raise ConfigError(f"{self.path}: no source named {name!r}; configured: {names}")


def _suggest(word: str, choices: set[str] | list[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parsed = urlparse(value.strip())
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


class _Checker:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str) -> ConfigError:
        place = f"{where}: " if where else ""
        return ConfigError(f"{self.path}: {place}{message}")

    def mapping(self, value: Any, where: str, what: str) -> dict:
        if not isinstance(value, dict):
            return_type = type(value).__name__ if value is not None else "nothing"
            raise self.fail(where, f"expected {what} (key: value lines), found {return_type}")
        return value

    def unknown_keys(self, block: dict, allowed: set[str], where: str) -> None:
        for key in block:
            if key not in allowed:
                hint = _suggest(str(key), allowed)
                raise self.fail(
                    f"{where}.{key}" if where else str(key),
                    f"unknown key{hint}; allowed keys here: {', '.join(sorted(allowed))}",
                )

    def text(self, block: dict, key: str, where: str, *, required: bool) -> str | None:
        value = block.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(f"{where}.{key}", f"missing; add a '{key}:' line to this entry")
            return None
        if not isinstance(value, str | int | float):
            raise self.fail(f"{where}.{key}", f"expected text, found {type(value).__name__}")
        return str(value).strip()

    def settings(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        block = self.mapping(value, where, "Scrapy settings such as DOWNLOAD_DELAY: 1.0")
        for key in block:
            if not isinstance(key, str) or not SETTING_NAME.match(key):
                raise self.fail(
                    f"{where}.{key}",
                    "Scrapy setting names are UPPER_CASE, e.g. DOWNLOAD_DELAY or "
                    "CONCURRENT_REQUESTS_PER_DOMAIN",
                )
        return dict(block)


def parse_config(data: Any, path: Path) -> Config:
    """Validate already-parsed YAML ``data`` read from ``path`` into a :class:`Config`."""
    check = _Checker(path)
    if data is None:
        raise check.fail("", "the file is empty; run 'trendscout init DIR' for a commented example")
    top = check.mapping(data, "", "a mapping with a 'sources:' list")
    extra = {k: v for k, v in top.items() if k in EXTRA_TOP_LEVEL_KEYS}
    check.unknown_keys(top, TOP_LEVEL_KEYS | EXTRA_TOP_LEVEL_KEYS, "")

    raw_sources = top.get("sources")
    if raw_sources is None:
        raise check.fail("sources", "missing; list at least one source under 'sources:'")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise check.fail("sources", "expected a non-empty list of sources ('- name: ...' items)")

    sources: list[Source] = []
    seen_names: dict[str, int] = {}
    for index, raw in enumerate(raw_sources):
        where = f"sources[{index}]"
        block = check.mapping(raw, where, "a source with name, type and url")
        name = check.text(block, "name", where, required=True)
        assert name is not None
        where_named = f"{where} ({name})"
        source_type = check.text(block, "type", where_named, required=True)
        assert source_type is not None
        if source_type not in SOURCE_TYPES:
            hint = _suggest(source_type, set(SOURCE_TYPES))
            raise check.fail(
                f"{where_named}.type",
                f"unknown type {source_type!r}{hint}; use one of: "
                f"{', '.join(sorted(SOURCE_TYPES))}",
            )
        check.unknown_keys(block, COMMON_SOURCE_KEYS | SOURCE_TYPES[source_type], where_named)
        if source_type in FORUM_TYPES:
            _check_forum_options(check, block, source_type, where_named)
        if source_type in SITE_API_TYPES:
            _check_site_api_options(check, block, source_type, where_named)
        url = check.text(block, "url", where_named, required=True)
        if not _is_http_url(url):
            raise check.fail(
                f"{where_named}.url",
                f"{url!r} is not an http(s) URL; write the full address, "
                "e.g. https://example.com/feed/",
            )
        language = check.text(block, "language", where_named, required=False)
        if language is not None:
            language = language.lower()
            if not LANGUAGE_CODE.match(language):
                raise check.fail(
                    f"{where_named}.language",
                    f"{language!r} is not a two-letter ISO 639-1 code; use e.g. pl, vi, zh, en",
                )
        if name in seen_names:
            raise check.fail(
                f"{where}.name",
                f"duplicate name {name!r} (also sources[{seen_names[name]}]); "
                "give every source a unique name",
            )
        seen_names[name] = index
        options = {k: v for k, v in block.items() if k not in COMMON_SOURCE_KEYS}
        sources.append(
            Source(
                name=name,
                type=source_type,
                url=str(url),
                language=language,
                settings=check.settings(block.get("settings"), f"{where_named}.settings"),
                options=options,
            )
        )

    watch: list[Watch] = []
    raw_watch = top.get("watch") or []
    if not isinstance(raw_watch, list):
        raise check.fail("watch", "expected a list of '- name: ...' entries")
    seen_watch: set[str] = set()
    for index, raw in enumerate(raw_watch):
        where = f"watch[{index}]"
        if isinstance(raw, str):
            raw = {"name": raw}
        block = check.mapping(raw, where, "an entry with a name and optional aliases")
        check.unknown_keys(block, WATCH_KEYS, where)
        name = check.text(block, "name", where, required=True)
        assert name is not None
        if name.casefold() in seen_watch:
            raise check.fail(f"{where}.name", f"{name!r} is listed twice; keep one entry")
        seen_watch.add(name.casefold())
        aliases = block.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        if not isinstance(aliases, list) or not all(
            isinstance(a, str | int) and str(a).strip() for a in aliases
        ):
            raise check.fail(
                f"{where}.aliases", 'expected a list of names, e.g. aliases: ["星落竞技场"]'
            )
        watch.append(Watch(name=name, aliases=tuple(str(a).strip() for a in aliases)))

    contact = top.get("contact")
    if contact is not None:
        contact = str(contact).strip()
        if not (
            _is_http_url(contact) or re.match(r"^(mailto:)?[^@\s]+@[^@\s]+\.[^@\s]+$", contact)
        ):
            raise check.fail(
                "contact",
                f"{contact!r} is neither an http(s) URL nor an e-mail address; "
                "site owners use it to reach you, e.g. https://example.org/about-our-crawler",
            )

    return Config(
        path=path,
        sources=tuple(sources),
        watch=tuple(watch),
        settings=check.settings(top.get("settings"), "settings"),
        contact=contact,
        extra=extra,
    )


def is_xpath(selector: str) -> bool:
    """Whether a forum selector is XPath (else it is CSS); see ``XPATH_START``."""
    return bool(XPATH_START.match(selector))


def selector_problem(selector: str) -> str | None:
    """Why ``selector`` is not a usable CSS or XPath selector, or None when it parses."""
    from cssselect import SelectorError  # both come with Scrapy
    from parsel import Selector

    probe = Selector(text="<html><body></body></html>")
    kind = "XPath" if is_xpath(selector) else "CSS"
    try:
        probe.xpath(selector) if kind == "XPath" else probe.css(selector)
    except (ValueError, SyntaxError, SelectorError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        hint = "" if kind == "XPath" else "; XPath must start with / or ("
        return f"{selector!r} is not a valid {kind} selector ({reason}){hint}"
    return None


def _check_forum_options(check: _Checker, block: dict, source_type: str, where: str) -> None:
    raw = block.get("selectors")
    if raw is None and source_type == "forum":
        raise check.fail(
            f"{where}.selectors",
            "missing; a 'forum' source needs CSS or XPath selectors for topic_links, post "
            "and text (phpbb, vbulletin and xenforo sources need none)",
        )
    if raw is not None:
        place = f"{where}.selectors"
        selectors = check.mapping(raw, place, "selectors such as 'post: div.post'")
        check.unknown_keys(selectors, FORUM_SELECTORS, place)
        for key in FORUM_REQUIRED_SELECTORS if source_type == "forum" else ():
            if not selectors.get(key):
                raise check.fail(f"{place}.{key}", f"missing; add a CSS or XPath '{key}:' selector")
        for key, value in selectors.items():
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str) and v.strip() for v in values):
                raise check.fail(
                    f"{place}.{key}", "expected a CSS or XPath selector, or a list of them"
                )
            for selector in values:
                problem = selector_problem(selector)
                if problem:
                    raise check.fail(f"{place}.{key}", problem)
    zone = block.get("timezone")
    if zone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise check.fail(
                f"{where}.timezone",
                f"unknown time zone {zone!r}; use an IANA name such as Europe/Warsaw, "
                "Asia/Ho_Chi_Minh or UTC",
            ) from None
    order = block.get("date_order")
    if order is not None and order not in ("dmy", "mdy", "ymd"):
        raise check.fail(
            f"{where}.date_order",
            f"{order!r} is not dmy, mdy or ymd (how the board writes dates like 03/04/2024)",
        )
    pages = block.get("max_list_pages")
    if pages is not None and (isinstance(pages, bool) or not isinstance(pages, int) or pages < 1):
        raise check.fail(
            f"{where}.max_list_pages", f"expected a whole number from 1, found {pages!r}"
        )
    since = block.get("since")
    if since is not None and not _is_date(since):
        raise check.fail(
            f"{where}.since", f"{since!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31"
        )


def _check_site_api_options(check: _Checker, block: dict, source_type: str, where: str) -> None:
    since = block.get("since")
    if since is not None and not _is_date(since):
        raise check.fail(
            f"{where}.since", f"{since!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31"
        )
    pages = block.get("max_pages")
    if pages is not None and (isinstance(pages, bool) or not isinstance(pages, int) or pages < 1):
        raise check.fail(f"{where}.max_pages", f"expected a whole number from 1, found {pages!r}")
    follow = block.get("follow")
    if follow is not None:
        patterns = follow if isinstance(follow, list) else [follow]
        if not patterns or not all(isinstance(p, str) and p.strip() for p in patterns):
            raise check.fail(
                f"{where}.follow", "expected a URL pattern (regular expression) or a list of them"
            )
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise check.fail(
                    f"{where}.follow", f"{pattern!r} is not a valid regular expression ({exc})"
                ) from None
    if source_type == "reddit":
        name = str(block.get("subreddit") or "").strip().removeprefix("/").removeprefix("r/")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}", name):
            raise check.fail(
                f"{where}.subreddit",
                "missing or not a subreddit name; write e.g. 'subreddit: boardgames'"
                if not name
                else f"{name!r} is not a subreddit name (2-21 letters, digits or _)",
            )
        comments = block.get("comments")
        if comments is not None and not isinstance(comments, bool):
            raise check.fail(f"{where}.comments", f"expected true or false, found {comments!r}")
    if source_type == "mastodon":
        tag, account = block.get("hashtag"), block.get("account")
        if (tag is None) == (account is None):
            raise check.fail(
                where,
                "a mastodon source needs exactly one of 'hashtag: NAME' or 'account: USER' "
                "(USER or USER@instance)",
            )
        if tag is not None and not re.fullmatch(r"#?\w+", str(tag).strip()):
            raise check.fail(f"{where}.hashtag", f"{tag!r} is not a hashtag (letters, digits, _)")
        if account is not None and not re.fullmatch(
            r"@?[A-Za-z0-9_]+(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?", str(account).strip()
        ):
            raise check.fail(
                f"{where}.account", f"{account!r} is not an account; write USER or USER@instance"
            )
    category = block.get("category")
    if category is not None and not re.fullmatch(r"[\w-]+(/\d+)?|\d+", str(category).strip()):
        raise check.fail(
            f"{where}.category",
            f"{category!r} is not a category; write its slug and id as in the forum's "
            "address, e.g. 'category: feedback/2'",
        )


def _is_date(value: Any) -> bool:
    import datetime as dt

    if isinstance(value, dt.date):
        return True
    try:
        dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def load_config(path: str | Path) -> Config:
    """Read and validate sources.yml at ``path``; raises :class:`ConfigError`."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; create one with 'trendscout init DIR' or pass -c PATH"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"{path}: {where}YAML syntax error: {problem}; check indentation and quoting there"
        ) from None
    return parse_config(data, path)


EXAMPLE_CONFIG = """\
# trendscout project file: what to listen to and what to watch.
# Check it with:  trendscout sources -c sources.yml
# Crawl it with:  trendscout crawl -c sources.yml --db trendscout.db

sources:                          # every place to listen to; one entry each
  - name: Polish gaming blog      # unique name, shown in Datasette and the digest
    type: feed                    # feed = RSS 2.0, RSS 1.0/RDF or Atom
    url: https://example.pl/feed/
    language: pl                  # optional hint (ISO 639-1); detection decides per post
  - name: Vietnamese game news
    type: feed
    url: https://example.vn/rss
    language: vi
    settings:                     # optional per-source overrides of Scrapy settings
      DOWNLOAD_DELAY: 2.0

watch:                            # products, brands or games to track by name
  - name: Starfall Arena
    aliases: ["星落竞技场"]          # other names or spellings, any language

settings:                         # optional Scrapy settings for every source (politeness)
  DOWNLOAD_DELAY: 0.5

contact: https://example.org/about-our-crawler   # in the User-Agent, so site owners can reach you
"""
