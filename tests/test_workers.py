"""Worker processes (crawler/workers.py): the same results as in the crawl process, errors
that come back as exceptions, and no worker left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from crawler.extract import extract_article
from crawler.spiders.forum import read_topic_page, source_presets
from crawler.workers import (
    MAX_RESTARTS,
    WorkerDied,
    WorkerPool,
    WorkerTimeout,
    default_processes,
)
from tests import worker_faults
from tests.conftest import FIXTURES, REPO
from tests.test_spiders_forum import make_boards


def run(pool: WorkerPool, function: Any, *args: Any) -> Any:
    async def call() -> Any:
        return await pool.run(function, *args)

    return asyncio.run(call())


def blog_pages() -> list[tuple[str, str]]:
    pages = sorted((FIXTURES / "sitemap").glob("**/index.html"))
    return [(p.read_text("utf-8"), f"http://127.0.0.1/{p.parent.name}/") for p in pages]


def test_articles_read_in_worker_processes_equal_those_read_in_process() -> None:
    pool = WorkerPool(2)
    try:

        async def read_all() -> list[Any]:
            return await asyncio.gather(*(pool.run(extract_article, h, u) for h, u in pages))

        pages = blog_pages()
        assert len(pages) >= 5
        assert asyncio.run(read_all()) == [extract_article(h, u) for h, u in pages]
    finally:
        pool.close()


def test_forum_pages_read_in_a_worker_process_equal_those_read_in_process() -> None:
    page = FIXTURES / "forums" / "phpbb" / "viewtopic.php__t=11.html"
    html = page.read_text("utf-8")
    args = (
        html,
        "http://127.0.0.1/phpbb/viewtopic.php?t=11",
        "http://127.0.0.1/phpbb/viewtopic.php?t=11",
        source_presets("phpbb", {}),
        None,
        make_boards.NOW,
        None,
        False,
    )
    pool = WorkerPool(1)
    try:
        in_worker = run(pool, read_topic_page, *args)
    finally:
        pool.close()
    in_process = read_topic_page(*args)
    assert in_worker == in_process
    assert in_worker.page.posts and in_worker.zone is not None  # the footer names a zone


def test_calls_run_in_worker_processes_and_zero_processes_means_in_process() -> None:
    pool = WorkerPool(1)
    try:
        assert run(pool, worker_faults.pid) != os.getpid()
    finally:
        pool.close()
    assert run(WorkerPool(0), worker_faults.pid) == os.getpid()


def test_an_exception_in_a_worker_comes_back_as_it_was_raised() -> None:
    pool = WorkerPool(1)
    try:
        with pytest.raises(ValueError, match="unreadable"):
            run(pool, worker_faults.fail, "unreadable")
        assert run(pool, worker_faults.pid) != os.getpid()  # the worker is still there
    finally:
        pool.close()


def test_an_answer_that_cannot_be_read_back_is_an_error_not_a_hang() -> None:
    pool = WorkerPool(1)
    try:
        with pytest.raises(RuntimeError, match="answer could not be read"):
            run(pool, worker_faults.raise_unreadable)
        assert run(pool, worker_faults.pid) != os.getpid()
    finally:
        pool.close()


def test_a_call_that_takes_too_long_stops_its_worker_and_raises_worker_timeout() -> None:
    pool = WorkerPool(1, timeout=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(WorkerTimeout, match="longer than 0.5 s"):
            run(pool, worker_faults.sleep, 60)
        assert time.monotonic() - started < 20
        assert run(pool, worker_faults.pid) != os.getpid()  # a new worker answers
    finally:
        pool.close()


def test_a_call_whose_worker_dies_twice_raises_worker_died_and_the_pool_starts_again() -> None:
    pool = WorkerPool(1, name="extraction")
    try:
        with pytest.raises(WorkerDied, match="extraction worker process ended"):
            run(pool, worker_faults.die)
        assert pool.restarts == 2  # tried once more in fresh processes
        assert run(pool, worker_faults.pid) != os.getpid()
        while pool.restarts <= MAX_RESTARTS:
            with pytest.raises(WorkerDied):
                run(pool, worker_faults.die)
        with pytest.raises(WorkerDied, match="not starting them again"):
            run(pool, worker_faults.pid)
    finally:
        pool.close()


def test_calls_cut_short_by_another_calls_dying_worker_are_made_again() -> None:
    pool = WorkerPool(1)

    async def calls() -> list[Any]:
        return await asyncio.gather(
            pool.run(worker_faults.pid),
            pool.run(worker_faults.die),
            pool.run(worker_faults.pid),
            return_exceptions=True,
        )

    try:
        first, died, last = asyncio.run(calls())
    finally:
        pool.close()
    assert isinstance(died, WorkerDied)
    assert isinstance(first, int) and isinstance(last, int)


def test_pool_size_comes_from_the_setting_and_zero_is_allowed() -> None:
    assert WorkerPool.for_extraction(Settings()).processes == default_processes()
    settings = Settings({"TRENDSCOUT_EXTRACT_PROCESSES": 0})
    assert WorkerPool.for_extraction(settings).processes == 0
    settings = Settings({"TRENDSCOUT_EXTRACT_PROCESSES": "3"})
    assert WorkerPool.for_extraction(settings).processes == 3
    assert 1 <= default_processes() <= 2
    assert WorkerPool.for_extraction(Settings()).timeout is None
    settings = Settings({"TRENDSCOUT_EXTRACT_TIMEOUT": 30})
    assert WorkerPool.for_extraction(settings).timeout == 30


ORPHAN_SCRIPT = """
import asyncio, os, sys
from crawler.workers import WorkerPool
from tests import worker_faults

pool = WorkerPool(2)
pool.start()

async def pids():
    return sorted(set(await asyncio.gather(*(pool.run(worker_faults.pid) for _ in range(20)))))

print(" ".join(map(str, asyncio.run(pids()))), flush=True)
sys.stdin.read()  # until the test kills this process
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_end_when_the_crawl_process_is_killed() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout is not None
    workers = [int(pid) for pid in child.stdout.readline().split()]
    assert workers and child.pid not in workers
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 20
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)
