"""Progress lines for long crawls, on standard error, every few seconds."""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class CrawlProgress:
    """Every ``TRENDSCOUT_PROGRESS_INTERVAL`` seconds: pages fetched, posts, errors, rate."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("TRENDSCOUT_PROGRESS_INTERVAL", 0)
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet import task

        self.started = time.monotonic()
        self.task = task.LoopingCall(self.report)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def report(self) -> None:
        stats = self.crawler.stats
        assert stats is not None
        spider = self.crawler.spider
        pages = stats.get_value("response_received_count", 0)
        posts = stats.get_value("trendscout/posts", 0)
        errors = stats.get_value("trendscout/errors", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        scheduler = getattr(getattr(self.crawler.engine, "_slot", None), "scheduler", None)
        scheduler = scheduler or getattr(self.crawler.engine, "scheduler", None)
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        sys.stderr.write(
            f"  {getattr(spider, 'name', 'crawl')}: {pages} pages, {posts} posts, {errors} errors, "
            f"{queued} queued ({pages / elapsed:.1f} pages/s)\n"
        )
        sys.stderr.flush()
