"""Running a crawl: every configured source through its spider, in one Scrapy process."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.base import user_agent
from crawler.spiders.discourse import DiscourseSpider
from crawler.spiders.feed import FeedSpider
from crawler.spiders.forum import ForumSpider
from crawler.spiders.mastodon import MastodonSpider
from crawler.spiders.reddit import RedditSpider
from crawler.spiders.sitemap import SitemapSpider
from crawler.workers import processes_setting, start_worker_server
from pipelines.config import Config, Source
from pipelines.db import open_db
from pipelines.store import finish_run, start_run, sync_sources

# Which spider crawls which sources.yml `type:`.
SPIDERS = {
    "feed": FeedSpider,
    "sitemap": SitemapSpider,
    "discourse": DiscourseSpider,
    "reddit": RedditSpider,
    "mastodon": MastodonSpider,
    # One spider class for the classic forums; each source has one type, so none is
    # crawled twice (each type's sources go to their own crawler).
    **{forum_type: ForumSpider for forum_type in ForumSpider.source_types},
}


@dataclass
class SourceSummary:
    name: str
    status: str
    requests: int
    not_modified: int
    posts_new: int
    posts_updated: int
    posts_unchanged: int
    errors: int


@dataclass
class CrawlSummary:
    run_id: int
    status: str
    sources: list[SourceSummary]

    @property
    def failed_sources(self) -> list[str]:
        return [s.name for s in self.sources if s.status == "failed"]


def crawl_settings(config: Config, db_path: str | Path, run_id: int | None = None) -> Settings:
    """Scrapy settings for a crawl: crawler/settings.py, then sources.yml overrides."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.update(config.settings, priority="cmdline")
    settings.set(
        "USER_AGENT",
        user_agent(settings.get("TRENDSCOUT_VERSION"), config.contact),
        priority="cmdline",
    )
    settings.set("TRENDSCOUT_DB", str(db_path), priority="cmdline")
    if run_id is not None:
        settings.set("TRENDSCOUT_RUN_ID", run_id, priority="cmdline")
    slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
    for source in config.sources:
        slot = source_slot(source)
        host = urlsplit(source.url).hostname
        if slot and host:
            slots[host] = {**slots.get(host, {}), **slot}
    if slots:
        settings.set("DOWNLOAD_SLOTS", slots, priority="cmdline")
    return settings


def source_slot(source: Source) -> dict[str, Any]:
    """Per-source politeness overrides as a Scrapy download-slot entry for its host."""
    slot: dict[str, Any] = {}
    if "DOWNLOAD_DELAY" in source.settings:
        slot["delay"] = float(source.settings["DOWNLOAD_DELAY"])
    if "CONCURRENT_REQUESTS_PER_DOMAIN" in source.settings:
        slot["concurrency"] = int(source.settings["CONCURRENT_REQUESTS_PER_DOMAIN"])
    return slot


def run_crawl(
    config: Config,
    db_path: str | Path,
    only: list[str] | None = None,
    log_level: str = "WARNING",
    since: str | None = None,
    progress_interval: float = 0,
    redis_url: str | None = None,
    crawl_id: str | None = None,
) -> CrawlSummary:
    """Crawl the configured sources (or those named in ``only``) into ``db_path``.

    Runs the Twisted reactor, so call it once per process (the weekly job runs it
    as a child process). ``since`` (ISO date) backfills: everything published since
    then is fetched again, ignoring conditional GET and remembered state.
    """
    sources = [s for s in config.sources if not only or s.name in only]
    if redis_url:
        check_redis(redis_url)
    db = open_db(db_path)
    sync_sources(db, list(config.sources))
    run_id = start_run(db, len(sources))
    db.close()

    settings = crawl_settings(config, db_path, run_id)
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("TRENDSCOUT_PROGRESS_INTERVAL", progress_interval, priority="cmdline")
    crawl_id = crawl_id or default_crawl_id(config)
    if redis_url:
        use_redis(settings, redis_url, crawl_id)
    if settings.getbool("TRENDSCOUT_STORE_PROCESS") or processes_setting(
        settings, "TRENDSCOUT_EXTRACT_PROCESSES", 1
    ):
        start_worker_server()  # its imports overlap Scrapy's start-up
    process = CrawlerProcess(settings)
    for source_type, spider in SPIDERS.items():
        chosen = [s for s in sources if s.type == source_type]
        if chosen:
            process.crawl(
                spider, sources=chosen, db=str(db_path), since=since, distributed=bool(redis_url)
            )
    interrupted = False
    try:
        process.start()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        logging.getLogger("scrapy").setLevel(logging.WARNING)
        if redis_url:
            expire_redis_keys(redis_url, crawl_id)

    db = open_db(db_path)
    finish_run(db, run_id, interrupted=interrupted)
    summary = crawl_summary(db, run_id)
    db.close()
    return summary


class RedisUnavailable(Exception):
    """The --workers Redis server cannot be reached."""


def default_crawl_id(config: Config) -> str:
    """Workers started on the same UTC day for the same sources share one crawl."""
    import datetime as dt
    import hashlib

    names = "\n".join(sorted(f"{s.name}\t{s.url}" for s in config.sources))
    digest = hashlib.sha1(names.encode()).hexdigest()[:10]
    return f"{digest}:{dt.datetime.now(dt.UTC):%Y-%m-%d}"


def check_redis(redis_url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        raise RedisUnavailable(
            f"cannot reach Redis at {redis_url} ({exc}); start redis-server or fix --workers"
        ) from None


def use_redis(settings: Settings, redis_url: str, crawl_id: str, idle_seconds: int = 5) -> None:
    """Share the request queue and the seen-set between workers through scrapy-redis.

    Keys are namespaced by ``crawl_id`` and kept after a worker ends (a worker that
    finishes first must not clear what the others still use); they expire after a week.
    """
    prefix = f"trendscout:{crawl_id}:%(spider)s"
    for name, value in {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": redis_url,
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:seen",
        # A worker waits this long on an empty queue before it ends, so requests that
        # another worker is about to add are not missed.
        "SCHEDULER_IDLE_BEFORE_CLOSE": idle_seconds,
    }.items():
        settings.set(name, value, priority="cmdline")


REDIS_KEY_TTL = 7 * 24 * 3600


def expire_redis_keys(redis_url: str, crawl_id: str) -> None:
    """Let a finished crawl's shared queue and seen-set expire after a week."""
    import redis

    server = redis.Redis.from_url(redis_url)
    for key in server.scan_iter(match=f"trendscout:{crawl_id}:*"):
        server.expire(key, REDIS_KEY_TTL)


def crawl_summary(db: Any, run_id: int) -> CrawlSummary:
    """What a crawl did, per source, read back from the database."""
    run = db["crawl_runs"].get(run_id)
    rows = db.query(
        "select s.name, c.* from crawl_source_stats c join sources s on s.id = c.source_id "
        "where c.run_id = ? order by s.name",
        [run_id],
    )
    return CrawlSummary(
        run_id=run_id,
        status=run["status"],
        sources=[
            SourceSummary(
                name=r["name"],
                status=r["status"],
                requests=r["requests"],
                not_modified=r["not_modified"],
                posts_new=r["posts_new"],
                posts_updated=r["posts_updated"],
                posts_unchanged=r["posts_unchanged"],
                errors=r["errors"],
            )
            for r in rows
        ],
    )
