"""Scrapy settings for trendscout crawls.

sources.yml ``settings:`` (all sources) and a source's own ``settings:`` override these.
Defaults are polite: robots.txt obeyed, AutoThrottle on, an honest User-Agent.
"""

import os

BOT_NAME = "trendscout"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

TRENDSCOUT_VERSION = "0.1.0"
# The User-Agent is built from this and sources.yml `contact:` (see crawler.useragent).
USER_AGENT = f"trendscout/{TRENDSCOUT_VERSION} (+https://github.com/trendscout/trendscout)"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 5

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Waits before retries: Retry-After when sent (429/503), else base · 2^attempt seconds.
RETRY_BACKOFF_BASE = 0.5
RETRY_BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 120.0  # a longer Retry-After is recorded as an error, not waited for

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SourceSettingsMiddleware": 50,  # before robots.txt (100)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
EXTENSIONS = {
    "crawler.extensions.CrawlProgress": 500,
}
# Seconds between progress lines on stderr (0: none). `trendscout crawl` sets it.
TRENDSCOUT_PROGRESS_INTERVAL = 0

# Scrapy's default, named because page readers and the store writer answer on its
# asyncio event loop (crawler/workers.py).
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Items of one response handled at once. Scrapy starts this many tasks for every
# response, however few items it has; storing an item rarely waits, so few are plenty.
CONCURRENT_ITEMS = 8

ITEM_PIPELINES = {
    "pipelines.store.StorePipeline": 300,
}

# Where posts go, and which sources.yml to read when run as `scrapy crawl feed`
# (spider arguments -a db=... -a config=... override these).
TRENDSCOUT_DB = "trendscout.db"
TRENDSCOUT_CONFIG = "sources.yml"
# Posts are written in batches of at least this many (one transaction each).
TRENDSCOUT_BATCH_SIZE = 200
# Worker processes that read pages (trafilatura, forum presets) beside Scrapy's event
# loop, per spider; 0 reads them in the crawl process. See crawler/workers.py.
TRENDSCOUT_EXTRACT_PROCESSES = min(2, os.cpu_count() or 1)
# Seconds one page may take there; a slower one is recorded as extraction_timeout and its
# worker replaced (0: no limit; the limit needs worker processes).
TRENDSCOUT_EXTRACT_TIMEOUT = 120
# Batches are deduplicated and written by a writer process (False: in the crawl process).
TRENDSCOUT_STORE_PROCESS = True
