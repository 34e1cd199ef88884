"""CPU-heavy crawl work in worker processes, beside Scrapy's event loop.

Scrapy downloads on one core. Reading pages (trafilatura on blog articles, selector
presets on forum topics) and deduplicating and storing posts are CPU work that can run
beside it: a :class:`WorkerPool` runs such functions in worker processes and hands
their results back to ``async`` callbacks and pipelines.

``TRENDSCOUT_EXTRACT_PROCESSES`` sets how many processes read pages (default
:func:`default_processes`); 0 reads them in the crawl process, which is simpler to
debug. Workers are forked from multiprocessing's fork server, which imports the
extraction code once (:data:`PRELOAD`), so a worker starts in milliseconds and never
inherits the crawler's threads. They ignore Ctrl-C (the crawl decides when to stop),
are shut down with their spider, and end on their own when the crawl process dies.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)
T = TypeVar("T")

# What the fork server imports once for all workers (their code and its heavy imports).
PRELOAD = (
    "crawler.extract",
    "crawler.spiders.forum",
    "pipelines.store",
    "trafilatura",
    "htmldate",
)
# A pool whose workers died is started again this many times in one crawl, then given up.
MAX_RESTARTS = 10


class WorkerDied(RuntimeError):
    """A worker process ended while it had work (killed, out of memory or crashed)."""


def default_processes() -> int:
    """Two page readers (one on a single-core machine): with the crawl process itself,
    that keeps a two-core machine busy without queueing pages behind each other."""
    return min(2, os.cpu_count() or 1)


def processes_setting(settings: BaseSettings, name: str, default: int) -> int:
    """A process-count setting: unset or empty means ``default``; negative means 0."""
    value = settings.get(name)
    if value is None or value == "":
        return default
    return max(0, int(value))


def worker_context() -> Any:
    """The multiprocessing context for workers: the fork server where there is one
    (Linux, macOS), else a fresh interpreter per worker."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def start_worker_server() -> None:
    """Start the fork server now, so its imports overlap the crawl's own start-up."""
    if worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    """End this worker when the crawl process is gone (even after ``kill -9``)."""
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _ready() -> bool:
    return True


class WorkerPool:
    """Runs functions in ``processes`` worker processes (0: in the calling process).

    With one process, calls run one at a time in the order they were made. A pool whose
    worker died starts afresh, up to :data:`MAX_RESTARTS` times in its life.
    """

    def __init__(self, processes: int, name: str = "worker") -> None:
        self.processes = max(0, processes)
        self.name = name
        self.restarts = 0
        self._executor: ProcessPoolExecutor | None = None
        self._retrying = asyncio.Lock()

    @classmethod
    def for_extraction(cls, settings: BaseSettings) -> WorkerPool:
        """The page readers of one spider, sized by ``TRENDSCOUT_EXTRACT_PROCESSES``."""
        processes = processes_setting(settings, "TRENDSCOUT_EXTRACT_PROCESSES", default_processes())
        return cls(processes, name="extraction")

    def start(self) -> None:
        """Start the worker processes now rather than on the first call."""
        if not self.processes or self._executor is not None:
            return
        if self.restarts > MAX_RESTARTS:
            raise WorkerDied(
                f"{self.name} worker processes ended {self.restarts} times in this crawl; "
                "not starting them again"
            )
        self._executor = ProcessPoolExecutor(
            self.processes, mp_context=worker_context(), initializer=_init_worker
        )
        for _ in range(self.processes):
            self._executor.submit(_ready)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker process; its exception if it raises one.

        A call whose worker process died is made once more in fresh processes (another
        call may have killed it); :class:`WorkerDied` if it dies again. Runs in the
        calling process when the pool has no processes or no asyncio event loop is
        running (Scrapy's default reactor runs one).
        """
        if not self.processes:
            return function(*args)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args)
        try:
            return await self._submit(function, *args)
        except BrokenProcessPool:
            pass
        # Again, one call at a time: a call that kills its worker then takes no other along.
        async with self._retrying:
            try:
                return await self._submit(function, *args)
            except BrokenProcessPool:
                pass
        raise WorkerDied(
            f"a {self.name} worker process ended before it finished, twice "
            "(killed, out of memory or crashed)"
        )

    async def _submit(self, function: Callable[..., T], *args: Any) -> T:
        self.start()
        executor = self._executor
        assert executor is not None
        try:
            return await asyncio.wrap_future(executor.submit(function, *args))
        except BrokenProcessPool:
            self._discard(executor)
            raise

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        if self._executor is not executor:
            return  # another call already noticed
        self._executor = None
        self.restarts += 1
        logger.error(
            "a %s worker process died; %s", self.name,
            "starting new ones" if self.restarts <= MAX_RESTARTS else "giving up on them",
        )  # fmt: skip
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers (waits for what they are running; drops what is queued)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
