"""What every trendscout spider shares: its sources, conditional GET, error items."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.items import CrawlErrorItem, FetchStateItem
from crawler.workers import WorkerDied, WorkerPool, WorkerTimeout
from pipelines.config import Source, load_config


def user_agent(version: str, contact: str | None) -> str:
    """An honest User-Agent: who we are and how a site owner reaches us."""
    contact = contact or "https://github.com/trendscout/trendscout"
    return f"trendscout/{version} (+{contact})"


class SourceSpider(scrapy.Spider):
    """A spider over the sources.yml entries of its ``source_types``.

    Sources come either from the ``sources`` argument (``trendscout crawl`` passes
    them) or from ``-a config=sources.yml`` with an optional ``-a source=NAME``.
    """

    source_types: tuple[str, ...] = ()
    # Spiders that read pages through ``self.workers`` start the processes as they open.
    uses_workers = False

    def __init__(
        self,
        *args: Any,
        sources: Iterable[Source] | None = None,
        config: str | None = None,
        source: str | None = None,
        db: str | None = None,
        since: str | None = None,
        distributed: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Backfill: fetch everything published since this ISO date, ignoring what earlier
        # runs remembered (validators, seen threads); older posts are not stored.
        self.since: str | None = normalise_since(since)
        # Several workers share one Redis queue and seen-set (scrapy-redis): start requests
        # then go through the shared duplicate filter, so each is fetched by one worker only.
        self.distributed = distributed
        self._config_path = config
        self._only = source
        self._given_sources = list(sources) if sources is not None else None
        self.db_path = db
        self.sources: list[Source] = []
        self._by_name: dict[str, Source] = {}
        self._validators: dict[str, tuple[str | None, str | None]] | None = None
        self._state: dict[str, object] | None = None
        self.contact_user_agent: str | None = None
        self.workers = WorkerPool(0)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.db_path = spider.db_path or settings.get("TRENDSCOUT_DB")
        if spider._given_sources is not None:
            sources = spider._given_sources
        else:
            config = load_config(spider._config_path or settings.get("TRENDSCOUT_CONFIG"))
            sources = list(config.sources)
            # sources.yml `contact:` goes into the User-Agent (SourceSettingsMiddleware).
            spider.contact_user_agent = user_agent(
                settings.get("TRENDSCOUT_VERSION"), config.contact
            )
        sources = [s for s in sources if s.type in cls.source_types]
        if spider._only:
            sources = [s for s in sources if s.name == spider._only]
        spider.sources = sources
        spider._by_name = {s.name: s for s in sources}
        spider.workers = WorkerPool.for_extraction(settings)
        if cls.uses_workers and sources:
            crawler.signals.connect(spider._start_workers, signal=signals.spider_opened)
        return spider

    def _start_workers(self) -> None:
        self.workers.start()

    def closed(self, reason: str) -> None:
        self.workers.close()

    async def in_worker(
        self, function: Callable[..., Any], *args: Any
    ) -> tuple[Any, tuple[str, str] | None]:
        """``function(*args)`` through the spider's worker processes, and no error; or
        None and an error (kind, message) when it raised (``extraction_failed``), took
        too long (``extraction_timeout``) or its worker process died (``worker_died``).
        Either way the crawl goes on."""
        try:
            return await self.workers.run(function, *args), None
        except WorkerTimeout as exc:
            return None, ("extraction_timeout", str(exc))
        except WorkerDied as exc:
            return None, ("worker_died", str(exc))
        except Exception as exc:  # noqa: BLE001 - one unreadable page must not stop a crawl
            return None, ("extraction_failed", f"{type(exc).__name__}: {exc}")

    # -- requests -------------------------------------------------------------------------

    def source_of(self, response: Response) -> Source:
        return self._by_name[response.meta["source"]]

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified stored for ``url`` by an earlier crawl (none when backfilling)."""
        if self.since:
            return (None, None)
        if self._validators is None:
            self._validators = {}
            if self.db_path and Path(self.db_path).exists():
                try:
                    with sqlite3.connect(self.db_path) as conn:
                        rows = conn.execute(
                            "select url, etag, last_modified from fetch_state"
                        ).fetchall()
                    self._validators = {row[0]: (row[1], row[2]) for row in rows}
                except sqlite3.OperationalError:
                    pass  # a database from before fetch_state: no validators yet
        return self._validators.get(url, (None, None))

    def remembered(self, key: str) -> object | None:
        """A value stored by :class:`CrawlStateItem` in an earlier run, or None.

        Always None during a ``since`` backfill, so spiders refetch what they skipped.
        """
        if self.since:
            return None
        if self._state is None:
            self._state = {}
            if self.db_path and Path(self.db_path).exists():
                try:
                    with sqlite3.connect(self.db_path) as conn:
                        rows = conn.execute("select key, value from crawl_state").fetchall()
                    self._state = {row[0]: json.loads(row[1]) for row in rows}
                except sqlite3.OperationalError:
                    pass
        return self._state.get(key)

    def conditional_request(
        self, source: Source, url: str, callback: Callable[..., Any], **meta: Any
    ) -> scrapy.Request:
        """A GET that sends the stored validators, so an unchanged resource costs a 304."""
        etag, last_modified = self.validators(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.errback,
            headers=headers,
            meta={"source": source.name, "handle_httpstatus_list": [304], **meta},
            dont_filter=not self.distributed,
        )

    def fetch_state_item(self, source: Source, response: Response) -> FetchStateItem:
        header = response.headers.get
        return FetchStateItem(
            source=source.name,
            url=response.request.url,
            status=response.status,
            etag=(header("ETag") or b"").decode("latin-1") or None,
            last_modified=(header("Last-Modified") or b"").decode("latin-1") or None,
        )

    # -- errors ---------------------------------------------------------------------------

    def error_item(self, source: Source, url: str, error: str, message: str) -> CrawlErrorItem:
        self.logger.warning("%s: %s %s: %s", source.name, error, url, message)
        return CrawlErrorItem(source=source.name, url=url, error=error, message=message)

    def errback(self, failure: Failure) -> Iterable[Any]:
        request = failure.request  # type: ignore[attr-defined]
        source = self._by_name.get(request.meta.get("source", ""))
        if source is None:
            return []
        error, message = describe_failure(failure)
        return [self.error_item(source, request.url, error, message)]


def normalise_since(value: str | None) -> str | None:
    """``YYYY-MM-DD`` (or a full ISO time) to ISO 8601 UTC ``...Z``; ValueError if unreadable."""
    if not value:
        return None
    when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_failure(failure: Failure) -> tuple[str, str]:
    """A short error kind and a readable message for a failed request."""
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        return f"http_{status}", f"the server answered HTTP {status}"
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "dns", "the host name could not be resolved"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout", "no answer before the download timeout"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection_refused", "the server refused the connection"
    if failure.check(DownloadCancelledError) and "size" in str(exc).lower():
        return "too_large", f"the response is larger than the size cap ({exc})"
    if failure.check(ResponseDataLossError):
        return "truncated", "the connection closed before the whole response arrived"
    text = str(exc)
    if failure.check(IgnoreRequest):
        if "robots" in text.lower():
            return "robots_disallowed", "robots.txt forbids this URL"
        if "redirect" in text.lower():
            return "redirect_loop", text
        return "ignored", text or "the request was dropped"
    name = type(exc).__name__
    return name.lower(), text or name
