"""Downloader middlewares: per-source politeness overrides and retries that back off."""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.asyncio import sleep

logger = logging.getLogger(__name__)

# sources.yml per-source `settings:` that apply request by request, as Scrapy meta keys.
PER_REQUEST_SETTINGS = {
    "DOWNLOAD_TIMEOUT": ("download_timeout", float),
    "DOWNLOAD_MAXSIZE": ("download_maxsize", int),
    "DOWNLOAD_WARNSIZE": ("download_warnsize", int),
    "RETRY_TIMES": ("max_retry_times", int),
}


class SourceSettingsMiddleware:
    """Apply a source's own ``settings:`` to each of its requests.

    DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN become a download slot for the
    source's host (see ``pipelines.crawl.crawl_settings``); the rest are set here.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceSettingsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        name = request.meta.get("source")
        spider = self.crawler.spider
        agent = getattr(spider, "contact_user_agent", None)
        if agent:  # set when run as `scrapy crawl ... -a config=`; runs before UserAgentMiddleware
            request.headers.setdefault("User-Agent", agent)
        sources = getattr(spider, "_by_name", {})
        if not name or name not in sources:
            return None
        overrides = sources[name].settings
        for setting, (meta_key, kind) in PER_REQUEST_SETTINGS.items():
            if setting in overrides and meta_key not in request.meta:
                request.meta[meta_key] = kind(overrides[setting])
        if overrides.get("ROBOTSTXT_OBEY") is False:
            request.meta.setdefault("dont_obey_robotstxt", True)
        return None


def retry_after_seconds(value: bytes | str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, waiting before each retry: Retry-After when the server sends one
    (429/503), else exponential backoff ``RETRY_BACKOFF_BASE · 2^attempt`` seconds.

    A Retry-After longer than ``RETRY_AFTER_MAX`` is not waited for: the response goes
    on as an error and is recorded, so one throttled site cannot stall the crawl.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 120.0)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        attempt = request.meta.get("retry_times", 0)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            wait = min(self.backoff_max, self.backoff_base * 2**attempt)
        elif wait > self.retry_after_max:
            logger.warning(
                "%s asks to retry after %.0f s (more than RETRY_AFTER_MAX=%.0f); giving up",
                request.url,
                wait,
                self.retry_after_max,
            )
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        if wait > 0:
            await sleep(wait)
        return retry
