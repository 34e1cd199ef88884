"""What spiders hand to the item pipelines (see ``pipelines.store``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PostItem:
    """One post, article or forum reply, already turned into clean text."""

    source: str  # sources.yml name
    url: str
    title: str | None
    text: str
    author: str | None = None
    published_at: str | None = None  # ISO 8601 UTC; None when the source gave no date
    guid: str | None = None  # the source's own stable id for the entry, if any
    thread_url: str | None = None  # forum posts: the thread they belong to


@dataclass
class FetchStateItem:
    """Conditional-GET validators of a fetched URL, stored with the posts it produced."""

    source: str
    url: str
    status: int
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class CrawlErrorItem:
    """Something that went wrong for one URL; recorded, and the crawl goes on."""

    source: str
    url: str
    error: str  # short kind: http_404, timeout, dns, unreadable_feed, robots_disallowed, ...
    message: str


@dataclass
class CrawlStateItem:
    """Something a spider remembers until the next run (JSON-serialisable ``value``).

    Stored in the same transaction as the posts yielded before it, so a killed crawl
    never remembers a thread as seen without having stored its posts.
    """

    source: str
    key: str
    value: object


@dataclass
class ItemGroup:
    """Items from one page handed to the pipelines as one Scrapy item, stored in order.

    Scrapy's own work per item (spider middlewares, the item_scraped signal, a log record)
    costs about as much as storing a post; a forum page of ten posts pays it once.
    """

    items: list[PostItem | FetchStateItem | CrawlErrorItem | CrawlStateItem]
