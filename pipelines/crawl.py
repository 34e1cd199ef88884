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
from crawler.spiders.feed import FeedSpider
from pipelines.config import Config, Source
from pipelines.db import open_db
from pipelines.store import finish_run, start_run, sync_sources

# Which spider crawls which sources.yml `type:`.
SPIDERS = {"feed": FeedSpider}


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
    settings.set("USER_AGENT", user_agent(settings.get("TRENDSCOUT_VERSION"), config.contact),
                 priority="cmdline")  # fmt: skip
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
) -> CrawlSummary:
    """Crawl the configured sources (or those named in ``only``) into ``db_path``.

    Runs the Twisted reactor, so call it once per process (the weekly job runs it
    as a child process). ``since`` (ISO date) backfills: everything published since
    then is fetched again, ignoring conditional GET and remembered state.
    """
    sources = [s for s in config.sources if not only or s.name in only]
    db = open_db(db_path)
    sync_sources(db, list(config.sources))
    run_id = start_run(db, len(sources))
    db.close()

    settings = crawl_settings(config, db_path, run_id)
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("TRENDSCOUT_PROGRESS_INTERVAL", progress_interval, priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    for source_type, spider in SPIDERS.items():
        chosen = [s for s in sources if s.type == source_type]
        if chosen:
            process.crawl(spider, sources=chosen, db=str(db_path), since=since)
    interrupted = False
    try:
        process.start()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        logging.getLogger("scrapy").setLevel(logging.WARNING)

    db = open_db(db_path)
    finish_run(db, run_id, interrupted=interrupted)
    summary = crawl_summary(db, run_id)
    db.close()
    return summary


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
