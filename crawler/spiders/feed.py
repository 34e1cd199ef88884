"""RSS 2.0, RSS 1.0/RDF and Atom feeds, read with feedparser.

Run from the repo root as ``scrapy crawl feed -a config=sources.yml [-a source=NAME]
[-a db=trendscout.db]``, or through ``trendscout crawl``. A feed that cannot be read is
recorded in ``crawl_errors``; the other sources still run.

Autodiscovery: when ``url:`` is a web page (a site's home page) rather than a feed, the
feeds it announces with ``<link rel="alternate" type="application/rss+xml">`` (or
atom/rdf) are crawled instead, and remembered, so the page answering 304 next time
still leads to them.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import feedparser
from parsel import Selector
from scrapy.http import Response

from crawler.base import SourceSpider
from crawler.items import CrawlStateItem, PostItem
from crawler.text import canonical_url, html_to_text, struct_time_to_iso
from pipelines.config import Source


class FeedSpider(SourceSpider):
    name = "feed"
    source_types = ("feed",)

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources:
            yield self.conditional_request(source, source.url, callback=self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        source = self.source_of(response)
        if response.status == 304:
            self.crawler.stats.inc_value(f"trendscout/not_modified/{source.name}")
            discovered = self.remembered(_discovered_key(source.name, response.url))
            if isinstance(discovered, list) and not response.meta.get("discovered_from"):
                yield from self._discovered_requests(source, response.url, discovered)
            return
        headers = {
            "content-location": response.url,
            "content-type": response.headers.get("Content-Type", b"").decode("latin-1"),
        }
        parsed = feedparser.parse(io.BytesIO(response.body), response_headers=headers)
        if not parsed.entries and not parsed.get("version"):
            # feedparser recognised no RSS/Atom/RDF at all: an HTML page, a fragment, nothing.
            html = _looks_like_html(response.body)
            if html and not response.meta.get("discovered_from"):
                feeds = discover_feeds(response)
                if feeds:
                    yield from self._discovered_requests(source, response.url, feeds)
                    yield CrawlStateItem(
                        source.name, _discovered_key(source.name, response.url), feeds
                    )
                    yield self.fetch_state_item(source, response)
                    return
            reason = parsed.get("bozo_exception")
            what = "an HTML page without feed links" if html else "not a feed"
            yield self.error_item(
                source,
                response.url,
                "unreadable_feed",
                f"{what}: {reason}" if reason else f"{what} (no RSS/Atom entries found)",
            )
            return
        if parsed.get("bozo"):
            self.logger.warning(
                "%s: feed %s is malformed (%s); using what could be read",
                source.name,
                response.url,
                parsed.get("bozo_exception"),
            )
        for entry in parsed.entries:
            item = self.entry_to_item(source.name, entry, response.url)
            if item is not None:
                yield item
        yield self.fetch_state_item(source, response)

    def _discovered_requests(self, source: Source, page_url: str, feeds: list) -> Iterator[Any]:
        for feed in feeds:
            yield self.conditional_request(
                source, str(feed), callback=self.parse_feed, discovered_from=page_url
            )

    def entry_to_item(self, source_name: str, entry: Any, feed_url: str) -> PostItem | None:
        """One feed entry to a post: full content over summary, links absolute, dates UTC."""
        link = entry.get("link") or ""
        if not link:
            links = entry.get("links") or []
            link = next((lk.get("href") for lk in links if lk.get("href")), "")
        url = canonical_url(link, base=feed_url) if link else None
        content = _best_content(entry)
        text = html_to_text(content)
        title = html_to_text(entry.get("title")) or None
        if not text and not title:
            return None
        guid = entry.get("id") or entry.get("guid") or url
        if not guid:
            # No id and no link: identify the entry by what it says.
            guid = "sha1:" + hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()
        published = struct_time_to_iso(entry.get("published_parsed")) or struct_time_to_iso(
            entry.get("updated_parsed")
        )
        author = entry.get("author") or _first_author(entry)
        return PostItem(
            source=source_name,
            url=url or feed_url,
            title=title,
            text=text or (title or ""),
            author=html_to_text(author) or None if author else None,
            published_at=published,
            guid=str(guid),
        )


def _best_content(entry: Any) -> str:
    """Full content (content:encoded, atom:content) when present, else the summary."""
    best = ""
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if len(value) > len(best):
            best = value
    summary = entry.get("summary") or ""
    return best if len(best) >= len(summary) else summary


def _first_author(entry: Any) -> str | None:
    for author in entry.get("authors") or []:
        name = author.get("name") or author.get("email")
        if name:
            return str(name)
    return entry.get("dc_creator") or None


FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
MAX_DISCOVERED_FEEDS = 5


def discover_feeds(response: Response) -> list[str]:
    """Feed URLs a web page announces with ``<link rel="alternate" type="...rss+xml">``.

    At most ``MAX_DISCOVERED_FEEDS``, in page order (the site's main feed comes first on
    WordPress and most CMSs), absolute, without duplicates or the page itself.
    """
    text = response.text if hasattr(response, "text") else response.body.decode("utf-8", "replace")
    feeds: list[str] = []
    for link in Selector(text=text).xpath("//link[@href]"):
        rel = (link.attrib.get("rel") or "").lower().split()
        kind = (link.attrib.get("type") or "").lower().split(";")[0].strip()
        if "alternate" not in rel or kind not in FEED_TYPES:
            continue
        url = urljoin(response.url, link.attrib["href"].strip())
        if url != response.url and url not in feeds:
            feeds.append(url)
    return feeds[:MAX_DISCOVERED_FEEDS]


def _discovered_key(source_name: str, page_url: str) -> str:
    return f"feed:{source_name}:discovered:{page_url}"


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head
