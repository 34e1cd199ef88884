"""Crawls whose pages are read in worker processes and whose batches a writer process
stores: the same database as a crawl that does everything in one process, every item
stored by the end, and a page that breaks its reader recorded while the crawl goes on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from pipelines.localserver import LocalServer, Route
from tests.conftest import REPO
from tests.test_spiders_forum import EXPECTED, start_boards
from tests.test_spiders_sitemap import (
    BLOG_POSTS,
    SITE,
    URLSET,
    crawl,
    errors,
    make_site,
    posts_by_path,
    served,
    write_sources,
)

IN_ONE_PROCESS = {"TRENDSCOUT_EXTRACT_PROCESSES": 0, "TRENDSCOUT_STORE_PROCESS": False}
POST_COLUMNS = (
    "id, url, thread_url, title, text, author, published_at, date_estimated, guid, "
    "content_hash, duplicate_of, duplicate_kind"
)


def database(tmp_path: Path) -> dict[str, Any]:
    """What a crawl left in ``t.db``, without the times it ran at."""
    db = sqlite_utils.Database(tmp_path / "t.db")
    stats = "requests, not_modified, posts_new, posts_updated, posts_unchanged, errors, status"
    return {
        "posts": sorted(db.execute(f"select {POST_COLUMNS} from posts").fetchall()),
        "errors": sorted(db.execute("select url, error from crawl_errors").fetchall()),
        "state": sorted(db.execute("select key, value from crawl_state").fetchall()),
        "fetch_state": sorted(db.execute("select url, etag from fetch_state").fetchall()),
        "stats": sorted(db.execute(f"select source_id, {stats} from crawl_source_stats")),
        "runs": db.execute("select status, posts_new, errors from crawl_runs").fetchall(),
    }


def test_worker_and_single_process_crawls_store_the_same_database(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    blog = make_site(tmp_path, serve_dir)
    board = start_boards(tmp_path / "boards", serve_dir)
    sources = [
        {"name": "blog", "type": "sitemap", "url": blog.url("/"), "follow": ["/blog/", "/news/"]},
        {"name": "phpbb", "type": "phpbb", "url": board.url(EXPECTED["phpbb"]["start"])},
    ]
    found = {}
    for name, settings in {
        # Batches of 4: many of them written by the writer process while the crawl goes on.
        "workers": {"TRENDSCOUT_BATCH_SIZE": 4},
        # One batch larger than the crawl: everything is written as the crawl closes.
        "workers, written at close": {"TRENDSCOUT_BATCH_SIZE": 100_000},
        "one process": IN_ONE_PROCESS,
    }.items():
        run = tmp_path / re.sub(r"\W+", "-", name)
        run.mkdir()
        config = write_sources(run / "sources.yml", *sources, settings=settings)
        result = crawl(run, config)
        assert result.returncode == 0, result.stderr
        found[name] = database(run)

    reference = found.pop("one process")
    phpbb_posts = len(EXPECTED["phpbb"]["posts"])
    assert len(reference["posts"]) == len(BLOG_POSTS) + phpbb_posts
    assert reference["runs"] == [("ok", len(BLOG_POSTS) + phpbb_posts, 0)]
    for name, database_found in found.items():
        assert database_found == reference, name


FAULTY_CRAWL = """
import sys

import crawler.spiders.sitemap
from pipelines.cli import main
from tests import worker_faults

# The sitemap spider hands this to its worker processes instead of extract_article.
crawler.spiders.sitemap.extract_article = worker_faults.extract_or_fail
sys.argv = ["trendscout", "crawl", *sys.argv[1:]]
main()
"""


def test_a_page_that_breaks_its_reader_or_kills_its_worker_is_recorded_and_the_crawl_goes_on(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    site = serve_dir(root)
    page = (SITE / "blog/2024/06/board-game-night/index.html").read_bytes()
    site.routes["/boom/"] = Route(body=page, headers={"Content-Type": "text/html"})
    site.routes["/die/"] = Route(body=page, headers={"Content-Type": "text/html"})
    urls = [*BLOG_POSTS, "/boom/", "/die/"]
    (root / "sitemap.xml").write_text(
        URLSET.format("".join(f"<url><loc>{site.url(u)}</loc></url>" for u in urls)), "utf-8"
    )
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "blog", "type": "sitemap", "url": site.url("/sitemap.xml")},
        settings={"TRENDSCOUT_EXTRACT_PROCESSES": 2},
    )
    site.clear_log()
    result = subprocess.run(
        [sys.executable, "-c", FAULTY_CRAWL, "-c", str(config), "--db", str(tmp_path / "t.db")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr  # partly failed, not failed entirely
    assert errors(tmp_path) == [("/boom/", "extraction_failed"), ("/die/", "worker_died")]
    # Pages read beside the one that killed its worker were read again: all stored.
    assert set(posts_by_path(tmp_path)) == set(BLOG_POSTS)
    db = sqlite_utils.Database(tmp_path / "t.db")
    message = db.execute("select message from crawl_errors where error = 'worker_died'")
    assert "worker process ended" in message.fetchone()[0]
    assert "blog    partial" in result.stdout

    # Neither failure is final: the next crawl lists the sitemap again and reads both.
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr
    pages = sorted(path for path, _ in served(site) if not path.endswith((".txt", ".xml")))
    assert pages == ["/boom/", "/die/"]
    assert set(posts_by_path(tmp_path)) == {*BLOG_POSTS, "/boom/", "/die/"}


BOARD = "http://127.0.0.1:8000/board/"


def stored_by_the_pipeline(folder: Path, items: list[Any]) -> dict[str, Any]:
    """Hand ``items`` to a StorePipeline (writing in this process) as a crawl would."""
    import asyncio
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from pipelines.config import Source
    from pipelines.store import StorePipeline

    folder.mkdir()
    crawler = get_crawler(Spider, {"TRENDSCOUT_STORE_PROCESS": False})
    crawler.spider = SimpleNamespace(  # type: ignore[assignment]
        db_path=str(folder / "t.db"), sources=[Source("board", "phpbb", BOARD)], since=None
    )
    pipeline = StorePipeline.from_crawler(crawler)
    pipeline.open_spider()

    async def crawl() -> None:
        for item in items:
            await pipeline.process_item(item)
        await pipeline.close_spider()

    asyncio.run(crawl())
    pipeline.spider_closed(crawler.spider, "finished")  # type: ignore[arg-type]
    assert crawler.stats is not None
    return {
        **database(folder),
        "posts_counted": crawler.stats.get_value("trendscout/posts"),
        "errors_counted": crawler.stats.get_value("trendscout/errors"),
    }


def test_a_group_of_items_is_stored_and_counted_like_the_same_items_one_by_one(
    tmp_path: Path,
) -> None:
    from crawler.items import CrawlErrorItem, CrawlStateItem, ItemGroup, PostItem

    items = [
        PostItem("board", f"{BOARD}t/1#p1", "Handhelds", "Battery life of the new handheld.",
                 "ola", "2026-11-20T10:00:00Z", f"{BOARD}t/1#p1", f"{BOARD}t/1"),
        PostItem("board", f"{BOARD}t/1#p2", None, "Mine lasts a whole train ride now.",
                 "ben", "2026-11-20T11:00:00Z", f"{BOARD}t/1#p2", f"{BOARD}t/1"),
        CrawlErrorItem("board", f"{BOARD}t/2", "truncated_html", "kept 0 complete post(s)"),
        CrawlStateItem("board", "topic:t/1", {"pages": 1}),
    ]  # fmt: skip
    grouped = stored_by_the_pipeline(tmp_path / "grouped", [ItemGroup(items)])
    one_by_one = stored_by_the_pipeline(tmp_path / "one-by-one", items)
    assert grouped == one_by_one
    assert len(grouped["posts"]) == 2 and grouped["posts_counted"] == 2
    assert grouped["errors"] == [(f"{BOARD}t/2", "truncated_html")]
    assert grouped["errors_counted"] == 1
    assert grouped["state"] == [("topic:t/1", '{"pages": 1}')]
