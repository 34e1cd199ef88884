"""Blogs and news sites through their sitemaps: one post per page, main text only.

``url:`` is a sitemap (``.xml``, ``.xml.gz``, a sitemap index or a plain-text list),
a ``robots.txt``, or the site's home page (its robots.txt ``Sitemap:`` lines are read,
else ``/sitemap.xml`` is tried). Options: ``follow`` (regexes a page URL must match),
``since`` (skip pages whose ``lastmod`` is older) and ``max_pages`` (per run, newest
first).

Incremental: sitemaps are fetched with conditional GET, and each page's ``lastmod``
is remembered in ``crawl_state``; a page is fetched again only when its ``lastmod``
changes (pages without one are fetched once). A sitemap's validators are stored only
once every page under it was stored or given up for good (404, robots.txt), so a
killed or partly failed crawl lists the sitemap again next time and fetches what is
missing.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from crawler.base import SourceSpider, describe_failure
from crawler.extract import extract_article, later_of, utc_iso
from crawler.items import CrawlStateItem, ItemGroup, PostItem
from crawler.text import canonical_url
from pipelines.config import Source

# Page failures that will not go away by asking again: remembered, not retried.
FINAL_ERRORS = re.compile(
    r"^(robots_disallowed|http_4(?!08|29)\d\d|not_html|no_main_text|too_large|redirect_loop)$"
)


@dataclass
class SitemapNode:
    """A robots.txt or sitemap being read, and how many requests under it are open."""

    source: str
    url: str
    parent: str | None  # the node that listed this one
    lastmod: str | None = None  # as its parent listed it
    pending: int = 0
    parsed: bool = False
    failed: bool = False  # something under it must be fetched again next run
    state: list[Any] = field(default_factory=list)  # stored once everything under it is


@dataclass(frozen=True)
class SitemapOptions:
    follow: tuple[re.Pattern[str], ...] = ()
    since: str | None = None  # ISO UTC
    max_pages: int | None = None

    @classmethod
    def of(cls, source: Source, backfill_since: str | None = None) -> SitemapOptions:
        follow = source.options.get("follow") or ()
        if isinstance(follow, str):
            follow = (follow,)
        since = later_of(source.options.get("since"), backfill_since)
        max_pages = source.options.get("max_pages")
        return cls(
            follow=tuple(re.compile(str(p)) for p in follow),
            since=since,
            max_pages=int(max_pages) if max_pages else None,
        )

    def wants(self, url: str, lastmod: str | None) -> bool:
        if self.follow and not any(p.search(url) for p in self.follow):
            return False
        return not (self.since and lastmod and lastmod < self.since)


class SitemapSpider(SourceSpider):
    name = "sitemap"
    source_types = ("sitemap",)
    uses_workers = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._nodes: dict[tuple[str, str], SitemapNode] = {}
        self._pages: dict[str, set[str]] = {}  # source -> page URLs scheduled this run
        self._page_counts: Counter[str] = Counter()
        self._options: dict[str, SitemapOptions] = {}

    def options(self, source: Source) -> SitemapOptions:
        if source.name not in self._options:
            self._options[source.name] = SitemapOptions.of(source, self.since)
        return self._options[source.name]

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources:
            path = urlsplit(source.url).path
            if path in ("", "/") or path.endswith("/robots.txt"):
                robots = urljoin(source.url, "/robots.txt")
                node = self._node(source.name, robots, None)
                yield self._request(
                    source,
                    node,
                    self.parse_robots,
                    handle_httpstatus_list=[304, 401, 403, 404, 410],
                )
            else:
                yield self._request(
                    source, self._node(source.name, source.url, None), self.parse_sitemap
                )

    # -- robots.txt and sitemaps ----------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        node = self._nodes[(source.name, response.meta["node"])]
        urls = []
        if response.status == 200:
            urls = list(dict.fromkeys(sitemap_urls_from_robots(response.body, response.url)))
        if not urls:
            urls = [urljoin(response.url, "/sitemap.xml")]
        node.parsed = True
        for url in urls:
            yield from self._child_sitemap(source, node, url, None)
        yield from self._settle(node)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        node = self._nodes[(source.name, response.meta["node"])]
        node.parsed = True
        if response.status == 304:
            yield from self._not_modified(source, node, response)
            yield from self._settle(node)
            return
        try:
            kind, entries = read_sitemap(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
        except UnreadableSitemap as exc:
            node.failed = True
            yield self.error_item(source, response.url, "unreadable_sitemap", str(exc))
            yield from self._settle(node)
            return
        node.state = [self.fetch_state_item(source, response)]
        if node.lastmod:
            node.state.append(self._remember(source, "lastmod", node.url, node.lastmod))
        if kind == "sitemapindex":
            children = [
                (urljoin(response.url, e["loc"]), utc_iso(e.get("lastmod"))) for e in entries
            ]
            node.state.append(self._remember(source, "children", node.url, children))
            yield from self._children(source, node, children)
        else:
            yield from self._page_requests(source, node, entries, response.url)
        yield from self._settle(node)

    def _not_modified(self, source: Source, node: SitemapNode, response: Response) -> Iterator[Any]:
        """A 304: an index lists the children it listed last time; a urlset has nothing new."""
        children = self.remembered(self._key(source, "children", node.url))
        if isinstance(children, list):
            yield from self._children(source, node, [(str(u), m) for u, m in children])
        if node.lastmod:
            node.state = [self._remember(source, "lastmod", node.url, node.lastmod)]

    def _children(
        self, source: Source, node: SitemapNode, children: list[tuple[str, str | None]]
    ) -> Iterator[Any]:
        since = self.options(source).since
        for url, lastmod in children:
            if since and lastmod and lastmod < since:
                continue  # e.g. a monthly news sitemap from before `since`
            if lastmod and self.remembered(self._key(source, "lastmod", url)) == lastmod:
                continue  # listed as unchanged since we read all of it
            yield from self._child_sitemap(source, node, url, lastmod)

    def _child_sitemap(
        self, source: Source, parent: SitemapNode, url: str, lastmod: str | None
    ) -> Iterator[Any]:
        if (source.name, url) in self._nodes:
            return  # listed twice (robots.txt and an index): read once
        child = self._node(source.name, url, parent.url, lastmod)
        parent.pending += 1
        yield self._request(source, child, self.parse_sitemap)

    # -- pages ----------------------------------------------------------------------------

    def _page_requests(
        self, source: Source, node: SitemapNode, entries: list[dict[str, Any]], base: str
    ) -> Iterator[Any]:
        options = self.options(source)
        scheduled = self._pages.setdefault(source.name, set())
        listed = [(canonical_url(e["loc"], base=base), utc_iso(e.get("lastmod"))) for e in entries]
        listed.sort(key=lambda pair: pair[1] or "", reverse=True)  # newest first
        for url, lastmod in listed:
            if url in scheduled or not options.wants(url, lastmod):
                continue
            seen = self.remembered(self._key(source, "page", url))
            if seen is not None and (lastmod is None or seen == lastmod):
                continue
            if options.max_pages and self._page_counts[source.name] >= options.max_pages:
                node.failed = True  # the rest next run
                self.logger.info("%s: max_pages=%s reached", source.name, options.max_pages)
                return
            scheduled.add(url)
            self._page_counts[source.name] += 1
            node.pending += 1
            yield scrapy.Request(
                url,
                callback=self.parse_page,
                errback=self.page_failed,
                meta={"source": source.name, "node": node.url, "lastmod": lastmod or ""},
                dont_filter=True,
            )

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        source = self.source_of(response)
        node = self._nodes[(source.name, response.meta["node"])]
        page_url = canonical_url(response.request.url)
        lastmod = response.meta["lastmod"]
        error: tuple[str, str] | None = None
        if not isinstance(response, TextResponse) or b"html" not in (
            response.headers.get("Content-Type") or b"text/html"
        ):
            error = ("not_html", "not an HTML page")
        else:
            # trafilatura runs in a worker process; the crawl goes on downloading meanwhile.
            article, error = await self.in_worker(extract_article, response.text, response.url)
            if error is None and article is None:
                error = ("no_main_text", "no article text on the page")
        group: list[Any] = []  # one item for the page's post and state (see ItemGroup)
        if error is None:
            since = self.options(source).since
            if not (since and article.published_at and article.published_at < since):
                group.append(
                    PostItem(
                        source=source.name,
                        url=canonical_url(response.url),
                        title=article.title,
                        text=article.text,
                        author=article.author,
                        published_at=article.published_at,
                        guid=page_url,
                    )
                )
        group.extend(self._page_done(source, node, page_url, lastmod, error))
        if group:
            yield ItemGroup(group)

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        source = self._by_name[request.meta["source"]]
        node = self._nodes[(source.name, request.meta["node"])]
        yield from self._page_done(
            source,
            node,
            canonical_url(request.url),
            request.meta["lastmod"],
            describe_failure(failure),
        )

    def _page_done(
        self,
        source: Source,
        node: SitemapNode,
        url: str,
        lastmod: str,
        error: tuple[str, str] | None,
    ) -> Iterator[Any]:
        """Remember the page (unless it failed for now) and settle its sitemap."""
        if error is not None:
            yield self.error_item(source, url, *error)
        if error is None or FINAL_ERRORS.match(error[0]):
            yield self._remember(source, "page", url, lastmod)
        else:
            node.failed = True
        node.pending -= 1
        yield from self._settle(node)

    # -- bookkeeping ----------------------------------------------------------------------

    def _node(
        self, source: str, url: str, parent: str | None, lastmod: str | None = None
    ) -> SitemapNode:
        node = SitemapNode(source, url, parent, lastmod)
        self._nodes[(source, url)] = node
        return node

    def _request(
        self, source: Source, node: SitemapNode, callback: Any, **meta: Any
    ) -> scrapy.Request:
        """A conditional GET for a sitemap (robots.txt never has validators stored)."""
        request = self.conditional_request(source, node.url, callback, node=node.url, **meta)
        return request.replace(errback=self.sitemap_failed, priority=10)

    def sitemap_failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        source = self._by_name[request.meta["source"]]
        node = self._nodes[(source.name, request.meta["node"])]
        node.parsed = True
        node.failed = True
        yield self.error_item(source, request.url, *describe_failure(failure))
        yield from self._settle(node)

    def _settle(self, node: SitemapNode) -> Iterator[Any]:
        """When nothing under ``node`` is open any more, store its state and tell its parent."""
        while node.parsed and node.pending == 0:
            if not node.failed:
                yield from node.state
            node.state = []
            node.pending = -1  # settled
            if node.parent is None:
                return
            parent = self._nodes[(node.source, node.parent)]
            parent.pending -= 1
            parent.failed = parent.failed or node.failed
            node = parent

    def _key(self, source: Source, kind: str, url: str) -> str:
        return f"sitemap:{source.name}:{kind}:{url}"

    def _remember(self, source: Source, kind: str, url: str, value: object) -> CrawlStateItem:
        return CrawlStateItem(source=source.name, key=self._key(source, kind, url), value=value)


class UnreadableSitemap(ValueError):
    """A sitemap URL that answered with something else; the message says what."""


def read_sitemap(response: Response, max_size: int = 0) -> tuple[str, list[dict[str, Any]]]:
    """``("urlset" | "sitemapindex", entries)`` of a sitemap response (gzip, XML or text).

    ``max_size`` caps the unzipped size of a gzip sitemap (0: no cap).
    """
    body = response.body
    if body[:2] == b"\x1f\x8b":
        body = gunzip_strict(body, response.meta.get("download_maxsize", max_size))
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    if not start:
        raise UnreadableSitemap("the sitemap is empty")
    if not start.startswith(b"<"):
        return "urlset", list(_text_sitemap(body))
    if start.startswith((b"<!doctype html", b"<html")):
        raise UnreadableSitemap("an HTML page, not a sitemap")
    try:
        sitemap = Sitemap(body)
        entries = list(sitemap)
    except Exception as exc:  # noqa: BLE001 - lxml recovers from most damage, not all
        raise UnreadableSitemap(f"not readable XML ({exc})") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise UnreadableSitemap(f"XML with a <{sitemap.type}> root, not a sitemap")
    return sitemap.type, entries


def gunzip_strict(data: bytes, max_size: int = 0) -> bytes:
    """Unzip a gzip sitemap; UnreadableSitemap when it is cut short, damaged or too big.

    Unlike scrapy.utils.gz.gunzip, a truncated file is an error: half a sitemap would
    list half-written URLs.
    """
    unzip = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    chunks: list[bytes] = []
    size = 0
    pending = data
    try:
        while pending and not unzip.eof:
            chunk = unzip.decompress(pending, 1 << 20)
            size += len(chunk)
            if max_size and size > max_size:
                raise UnreadableSitemap(f"unzipped it is larger than the size cap ({max_size} B)")
            chunks.append(chunk)
            pending = unzip.unconsumed_tail
    except zlib.error as exc:
        raise UnreadableSitemap(f"damaged gzip data ({exc})") from None
    if not unzip.eof:
        raise UnreadableSitemap("the gzip file is cut short (truncated download?)")
    return b"".join(chunks)


def _text_sitemap(body: bytes) -> Iterable[dict[str, Any]]:
    """The sitemaps protocol's plain-text form: one URL per line."""
    for line in body.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith(("http://", "https://")):
            yield {"loc": line}
