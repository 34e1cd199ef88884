"""The Scrapy item pipeline that cleans, dedupes and stores posts in SQLite.

Items are buffered and written in batches, one transaction each: posts, the
conditional-GET validators of the page they came from, and errors go in together,
so a crawl killed at any moment leaves a consistent database and the next run
re-fetches whatever was not committed.

Batches are written by a writer process (``TRENDSCOUT_STORE_PROCESS``, on by default),
one at a time and in order, while the crawl goes on: hashing, near-duplicate search
and SQLite then use another core than Scrapy's event loop. A batch is at least
``TRENDSCOUT_BATCH_SIZE`` items, and whatever came in while the one before it was
written. At the end of a crawl every buffered item is written before the crawl's
statistics are.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spiders import Spider

from crawler.items import CrawlErrorItem, CrawlStateItem, FetchStateItem, ItemGroup, PostItem
from crawler.workers import WorkerPool
from pipelines.config import Source
from pipelines.db import open_db, utcnow, write_transaction
from pipelines.dedupe import link_duplicates

logger = logging.getLogger(__name__)


def post_id(source_name: str, guid: str) -> str:
    """A post's stable id: the same entry of the same source always gets the same id."""
    return hashlib.sha1(f"{source_name}\n{guid}".encode()).hexdigest()[:20]


def content_hash(title: str | None, text: str) -> str:
    """Hash of the normalised title and text; equal for the same content anywhere."""
    normal = unicodedata.normalize("NFKC", f"{title or ''}\n{text}").casefold()
    return hashlib.sha256(" ".join(normal.split()).encode()).hexdigest()


def sync_sources(db: sqlite_utils.Database, sources: list[Source]) -> dict[str, int]:
    """Upsert the configured sources by name (safe with concurrent workers); name → id."""
    now = utcnow()
    with db.atomic():
        for source in sources:
            db.execute(
                "insert into sources (name, type, url, language, options, added_at) "
                "values (?, ?, ?, ?, ?, ?) on conflict(name) do update set type = excluded.type, "
                "url = excluded.url, language = excluded.language, options = excluded.options",
                [
                    source.name,
                    source.type,
                    source.url,
                    source.language,
                    json.dumps(source.options, ensure_ascii=False, default=str),
                    now,
                ],
            )
    return {row["name"]: row["id"] for row in db["sources"].rows}


# While a batch is written, items wait in the buffer; past this many batches' worth the
# pipeline waits for the writer (Scrapy then slows the crawl down).
BACKLOG_BATCHES = 10


class StoreFailed(RuntimeError):
    """Items that could not be written to the database at the end of a crawl."""


StoredItem = PostItem | FetchStateItem | CrawlErrorItem | CrawlStateItem


class StorePipeline:
    """Stores posts, fetch validators, crawl state and errors (see ``crawler.items``)."""

    def __init__(
        self,
        crawler: Crawler,
        db_path: str,
        batch_size: int,
        run_id: int | None,
        writer_process: bool = True,
    ) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = batch_size
        self.run_id = run_id
        self.owns_run = run_id is None
        self.buffer: list[Any] = []
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.db: sqlite_utils.Database | None = None
        self.source_ids: dict[str, int] = {}
        self.distributed = False
        self.writer = WorkerPool(1 if writer_process else 0, name="store")
        self.writing: asyncio.Future[None] | None = None  # the batch being written
        self.write_error: BaseException | None = None  # why the last write failed
        self.batches_written = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        run_id = settings.getint("TRENDSCOUT_RUN_ID") or None
        pipeline = cls(
            crawler,
            db_path=settings.get("TRENDSCOUT_DB"),
            batch_size=settings.getint("TRENDSCOUT_BATCH_SIZE", 200),
            run_id=run_id,
            writer_process=settings.getbool("TRENDSCOUT_STORE_PROCESS", True),
        )
        crawler.signals.connect(pipeline.response_received, signal=signals.response_received)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    # -- lifecycle ------------------------------------------------------------------------

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.db_path = getattr(spider, "db_path", None) or self.db_path
        self.db = open_db(self.db_path)
        sources: list[Source] = list(getattr(spider, "sources", []))
        self.distributed = bool(getattr(spider, "distributed", False))
        self.source_ids = sync_sources(self.db, sources)
        if self.owns_run:
            self.run_id = start_run(self.db, len(sources))
        for source in sources:
            self.counts[source.name]  # every source gets a stats row, even with no items
        self.writer.start()

    async def close_spider(self) -> None:
        assert self.db is not None
        try:
            await self._idle()
            if self.buffer:
                self._start_write()
                await self._idle()
            if self.buffer:
                raise StoreFailed(
                    f"{len(self.buffer)} crawled items could not be stored: {self.write_error}"
                )
            if self.batches_written:
                with contextlib.suppress(Exception):  # all is committed; this only tidies up
                    await self.writer.run(close_writer_db, str(self.db_path))
        finally:
            self.writer.close()
        self.write_source_stats()
        self.db.close()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the crawl_runs row when this pipeline opened it (``scrapy crawl`` runs)."""
        if self.owns_run:
            db = open_db(self.db_path)
            finish_run(db, self.run_id, interrupted=reason != "finished")
            db.close()

    def response_received(self, response: Response, request: Any, spider: Spider) -> None:
        source = request.meta.get("source")
        if source:
            self.counts[source]["requests"] += 1
            if response.status == 304:
                self.counts[source]["not_modified"] += 1

    # -- items ----------------------------------------------------------------------------

    async def process_item(self, item: Any) -> Any:
        members = item.items if isinstance(item, ItemGroup) else (item,)
        stored = [member for member in members if isinstance(member, StoredItem)]
        if stored:
            self.buffer.extend(stored)
            stats = self.crawler.stats
            for member in stored:
                if isinstance(member, CrawlErrorItem):
                    self.counts[member.source]["errors"] += 1
                    if stats is not None:
                        stats.inc_value("trendscout/errors")
                elif isinstance(member, PostItem) and stats is not None:
                    stats.inc_value("trendscout/posts")
            if len(self.buffer) >= self.batch_size:
                if self.writing is None:
                    self._start_write()
                elif len(self.buffer) >= self.batch_size * BACKLOG_BATCHES:
                    await self._idle()  # the writer is far behind: wait for it
                    if self.writing is None and len(self.buffer) >= self.batch_size:
                        self._start_write()
        return item

    async def _idle(self) -> None:
        """Wait until no batch is being written."""
        while self.writing is not None:
            await asyncio.shield(self.writing)

    def _start_write(self) -> None:
        """Hand the whole buffer to the writer as one batch; the crawl goes on meanwhile.
        One batch is written at a time, so batches commit in the order items came."""
        items, self.buffer = self.buffer, []
        self.writing = asyncio.ensure_future(self._write(items))

    async def _write(self, items: list[Any]) -> None:
        batch = Batch(
            db_path=str(self.db_path),
            run_id=self.run_id,
            source_ids=self.source_ids,
            since=getattr(self.crawler.spider, "since", None),
            items=items,
        )
        try:
            tally = await self.writer.run(write_batch, batch)
        except Exception as exc:  # noqa: BLE001 - kept and written with the next batch
            # Not stored: keep the items for the next batch (the feed's validators were not
            # stored either, so an aborted crawl refetches them next time).
            self.buffer[:0] = items
            self.write_error = exc
            logger.error("could not store %d crawled items (kept for the next batch): %s",
                         len(items), exc)  # fmt: skip
        else:
            self.write_error = None
            self.batches_written += 1
            for source, counts in tally.items():
                self.counts[source].update(counts)
        finally:
            self.writing = None
        if self.write_error is None and len(self.buffer) >= self.batch_size:
            self._start_write()  # what came in meanwhile: a larger batch when the writer lags

    def write_source_stats(self) -> None:
        assert self.db is not None
        rows = []
        for name, counts in self.counts.items():
            if name not in self.source_ids:
                continue
            stats = {k: counts.get(k, 0) for k in STAT_KEYS}
            if self.distributed and not any(stats.values()):
                continue  # another worker crawled this source
            rows.append(
                {
                    "run_id": self.run_id,
                    "source_id": self.source_ids[name],
                    **stats,
                    "status": source_status(stats),
                }
            )
        with write_transaction(self.db):
            self.db["crawl_source_stats"].upsert_all(rows, pk=("run_id", "source_id"))
            self.db.execute(
                "update sources set last_crawled_at = ? where id in "
                "(select value from json_each(?))",
                [utcnow(), json.dumps([r["source_id"] for r in rows if r["status"] != "failed"])],
            )


# -- writing a batch (in the writer process, or in the crawl process) --------------------


@dataclass
class Batch:
    """Items to write in one transaction, and what writing them needs to know."""

    db_path: str
    run_id: int | None
    source_ids: dict[str, int]  # source name -> sources.id
    since: str | None  # posts published before this are not stored (a backfill's --since)
    items: list[Any]


# The writer's connection, per database; opened by its first batch.
_writer_dbs: dict[str, sqlite_utils.Database] = {}

# The writer's connection writes many index pages per batch (the MinHash bands land all
# over their B-tree). In WAL mode, synchronous=NORMAL commits without waiting for the
# disk and stays consistent through any crash (a power cut may lose the last batches,
# and their pages are fetched again next time); a larger page cache and rarer automatic
# checkpoints (each one syncs) spare rewriting the same pages batch after batch.
WRITER_PRAGMAS = (
    "PRAGMA synchronous = NORMAL",
    "PRAGMA cache_size = -65536",  # KiB: 64 MiB
    "PRAGMA wal_autocheckpoint = 10000",  # pages: about 40 MB of WAL
)


def open_writer_db(db_path: str) -> sqlite_utils.Database:
    """The connection that writes batches: :func:`open_db` tuned for batch writes."""
    db = open_db(db_path)
    for pragma in WRITER_PRAGMAS:
        db.execute(pragma)
    return db


def write_batch(batch: Batch) -> dict[str, Counter[str]]:
    """Write one batch in one transaction; posts new, updated and unchanged per source."""
    db = _writer_dbs.get(batch.db_path)
    if db is None:
        db = _writer_dbs[batch.db_path] = open_writer_db(batch.db_path)
    return store_items(db, batch.items, batch.run_id, batch.source_ids, batch.since)


def close_writer_db(db_path: str) -> None:
    db = _writer_dbs.pop(db_path, None)
    if db is not None:
        db.close()


def store_items(
    db: sqlite_utils.Database,
    items: list[Any],
    run_id: int | None,
    source_ids: dict[str, int],
    since: str | None = None,
) -> dict[str, Counter[str]]:
    """Posts, fetch validators, crawl state and errors in one transaction."""
    now = utcnow()
    posts = [
        i
        for i in items
        if isinstance(i, PostItem) and not (since and i.published_at and i.published_at < since)
    ]
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    with write_transaction(db):
        _store_posts(db, posts, now, source_ids, tally)
        states = [i for i in items if isinstance(i, FetchStateItem)]
        if states:
            db["fetch_state"].upsert_all(
                [
                    {
                        "url": s.url,
                        "source_id": source_ids.get(s.source),
                        "etag": s.etag,
                        "last_modified": s.last_modified,
                        "last_status": s.status,
                        "last_fetched_at": now,
                    }
                    for s in states
                ],
                pk="url",
            )
        remembered = [i for i in items if isinstance(i, CrawlStateItem)]
        if remembered:
            db["crawl_state"].upsert_all(
                [
                    {
                        "key": r.key,
                        "source_id": source_ids.get(r.source),
                        "value": json.dumps(r.value, ensure_ascii=False, default=str),
                        "updated_at": now,
                    }
                    for r in remembered
                ],
                pk="key",
            )
        errors = [i for i in items if isinstance(i, CrawlErrorItem)]
        if errors:
            db["crawl_errors"].insert_all(
                {
                    "run_id": run_id,
                    "source_id": source_ids.get(e.source),
                    "url": e.url,
                    "error": e.error,
                    "message": e.message[:2000],
                    "occurred_at": now,
                }
                for e in errors
            )
    return tally


def _store_posts(
    db: sqlite_utils.Database,
    posts: list[PostItem],
    now: str,
    source_ids: dict[str, int],
    tally: dict[str, Counter[str]],
) -> None:
    if not posts:
        return
    rows: dict[str, dict[str, Any]] = {}
    for post in posts:
        pid = post_id(post.source, post.guid or post.url)
        rows[pid] = {
            "id": pid,
            "source_id": source_ids[post.source],
            "url": post.url,
            "thread_url": post.thread_url,
            "title": post.title,
            "text": post.text,
            "author": post.author,
            "published_at": post.published_at,
            "guid": post.guid,
            "content_hash": content_hash(post.title, post.text),
            "fetched_at": now,
            "_source": post.source,
        }
    existing = {
        row["id"]: row
        for row in db.query(
            "select id, content_hash, published_at, date_estimated, first_seen_at, "
            "duplicate_of "
            "from posts where id in (select value from json_each(?))",
            [json.dumps(list(rows))],
        )
    }
    write: list[dict[str, Any]] = []
    for pid, row in rows.items():
        source = row.pop("_source")
        old = existing.get(pid)
        if old is None:
            row["first_seen_at"] = now
            row["updated_at"] = now
            row["date_estimated"] = int(row["published_at"] is None)
            if row["published_at"] is None:
                row["published_at"] = now  # first seen: recorded by date_estimated
            tally[source]["posts_new"] += 1
            write.append(row)
        elif old["content_hash"] != row["content_hash"]:
            row["first_seen_at"] = old["first_seen_at"]
            row["duplicate_of"] = old["duplicate_of"]
            if row["published_at"] is None:
                row["published_at"] = old["published_at"]
                row["date_estimated"] = old["date_estimated"]
            else:
                row["date_estimated"] = 0
            row["updated_at"] = now
            tally[source]["posts_updated"] += 1
            write.append(row)
        else:
            tally[source]["posts_unchanged"] += 1
    if not write:
        return
    db["posts"].upsert_all(write, pk="id", alter=True)
    link_duplicates(db, write)


STAT_KEYS = ("requests", "not_modified", "posts_new", "posts_updated", "posts_unchanged", "errors")


def source_status(stats: dict[str, int]) -> str:
    """ok, not_modified (nothing new, as the server said), partial (some errors) or failed."""
    stored = stats["posts_new"] + stats["posts_updated"] + stats["posts_unchanged"]
    if stats["errors"] and not stored and not stats["not_modified"]:
        return "failed"
    if stats["errors"]:
        return "partial"
    if stats["not_modified"] and not stored:
        return "not_modified"
    if not stats["requests"]:
        return "failed"
    return "ok"


def start_run(db: sqlite_utils.Database, sources: int) -> int:
    """Record a crawl as running. Runs left "running" by a process that is gone on this
    host were killed: they are marked interrupted (other live workers are left alone)."""
    host = socket.gethostname()
    table = db["crawl_runs"]
    with write_transaction(db):
        for row in db.query("select id, host, pid from crawl_runs where status = 'running'"):
            if row["host"] == host and not _alive(row["pid"]):
                table.update(row["id"], {"status": "interrupted"})
        table.insert(
            {
                "started_at": utcnow(),
                "status": "running",
                "sources": sources,
                "host": host,
                "pid": os.getpid(),
            }
        )
        return int(table.last_pk)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def finish_run(db: sqlite_utils.Database, run_id: int | None, *, interrupted: bool = False) -> dict:
    """Total the per-source stats into the run row and set its outcome."""
    totals = next(
        db.query(
            "select count(*) as sources, "
            + ", ".join(f"coalesce(sum({k}), 0) as {k}" for k in STAT_KEYS)
            + ", coalesce(sum(status = 'failed'), 0) as failed"
            + " from crawl_source_stats where run_id = ?",
            [run_id],
        )
    )
    failed = totals.pop("failed")
    totals.pop("not_modified")
    if interrupted:
        status = "interrupted"
    elif failed and failed == totals["sources"]:
        status = "failed"
    elif failed or totals["errors"]:
        status = "partial"
    else:
        status = "ok"
    db["crawl_runs"].update(run_id, {**totals, "finished_at": utcnow(), "status": status})
    return {**totals, "status": status}
