"""CPU-heavy crawl work in worker processes, beside Scrapy's event loop.

Scrapy downloads on one core. Reading pages (trafilatura on blog articles, selector
presets on forum topics) and deduplicating and storing posts (the writer of
``pipelines.store``) are CPU work that can run beside it: a :class:`WorkerPool` runs
such functions in worker processes and hands their results back to ``async``
callbacks and pipelines. Calls and answers are pickled through pipes that the asyncio
event loop reads and writes itself, so no helper thread competes with Scrapy for the GIL.

``TRENDSCOUT_EXTRACT_PROCESSES`` sets how many processes read pages (default
:func:`default_processes`); 0 reads them in the crawl process, which is simpler to
debug. ``TRENDSCOUT_EXTRACT_TIMEOUT`` bounds the seconds one page may take. Workers are
forked from multiprocessing's fork server, which imports the extraction code once
(:data:`PRELOAD`), so a worker starts in milliseconds and never inherits the crawler's
threads. They ignore Ctrl-C (the crawl decides when to stop), are shut down with their
spider, and end on their own when the crawl process dies.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import struct
import threading
import traceback
from collections.abc import Callable
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
# Dead workers are replaced this many times in a pool's life, then the pool gives up.
MAX_RESTARTS = 10
# Calls handed to one worker at a time: the next is waiting when it finishes one.
IN_FLIGHT = 2


class WorkerDied(RuntimeError):
    """A worker process ended while it had work (killed, out of memory or crashed)."""


class WorkerTimeout(WorkerDied):
    """A call took longer than the pool's timeout; its worker process was stopped."""


class _Broken(Exception):
    """A call's worker process ended before it answered (made once more by the pool)."""


class _RemoteTraceback(Exception):
    def __str__(self) -> str:
        return str(self.args[0])


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


# -- in the worker process --------------------------------------------------------------


def _serve(requests: Any, results: Any) -> None:
    """A worker: answer each call with (True, result) or (False, exception, traceback)
    until the crawl process closes its end of the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawl process decides when to stop
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    while True:
        try:
            request = requests.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            function, args = pickle.loads(request)
            reply: tuple[Any, ...] = (True, function(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
            reply = (False, exc, traceback.format_exc())
        try:
            answer = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be pickled
            error = RuntimeError(f"the answer could not be sent back ({exc})")
            answer = pickle.dumps((False, error, ""), pickle.HIGHEST_PROTOCOL)
        try:
            results.send_bytes(answer)
        except OSError:
            return  # the crawl process closed the pool


def _exit_with(sentinel: int) -> None:
    """End this worker when the crawl process is gone (even after ``kill -9``)."""
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


# -- in the crawl process ---------------------------------------------------------------


def _frame(payload: bytes) -> bytes:
    """``payload`` framed as ``multiprocessing.Connection.recv_bytes`` reads it."""
    if len(payload) > 0x7FFFFFFF:
        return struct.pack("!iQ", -1, len(payload)) + payload
    return struct.pack("!i", len(payload)) + payload


def _spawn(context: Any, name: str) -> tuple[Any, Any, Any]:
    """Start one worker process; its process and the crawl process's ends of its pipes.

    Blocks until the fork server has forked it (and, the first time, imported
    :data:`PRELOAD`), so the pool calls it off the event loop."""
    requests_r, requests_w = context.Pipe(duplex=False)
    results_r, results_w = context.Pipe(duplex=False)
    process = context.Process(
        target=_serve, args=(requests_r, results_w), name=f"trendscout-{name}", daemon=True
    )
    process.start()
    requests_r.close()  # the worker's ends: its exit must close the last copies
    results_w.close()
    return process, requests_w, results_r


class _Worker:
    """One worker process and its two pipes, read and written by the event loop."""

    def __init__(self, pool: WorkerPool, process: Any, requests: Any, results: Any) -> None:
        assert pool.loop is not None
        self.pool = pool
        self.loop = pool.loop
        self.process, self.requests, self.results = process, requests, results
        self.in_flight: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.alive = True
        os.set_blocking(self.requests.fileno(), False)
        os.set_blocking(self.results.fileno(), False)
        self.loop.add_reader(self.results.fileno(), self._readable)

    def send(self, payload: bytes, future: asyncio.Future[Any]) -> None:
        self.in_flight.append(future)
        self.outbox += _frame(payload)
        self._writable()

    def _writable(self) -> None:
        if not self.alive:
            return
        try:
            written = os.write(self.requests.fileno(), self.outbox)
        except BlockingIOError:
            written = 0
        except OSError:
            self.pool._died(self)
            return
        del self.outbox[:written]
        if self.outbox:
            self.loop.add_writer(self.requests.fileno(), self._writable)
        else:
            self.loop.remove_writer(self.requests.fileno())

    def _readable(self) -> None:
        try:
            chunk = os.read(self.results.fileno(), 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.pool._died(self)
            return
        self.inbox += chunk
        while True:
            payload = self._next_answer()
            if payload is None:
                break
            future = self.in_flight.popleft()
            if future.done():
                continue
            try:
                answer = pickle.loads(payload)
            except Exception as exc:  # noqa: BLE001 - e.g. an exception type that cannot be rebuilt
                future.set_exception(RuntimeError(f"the worker's answer could not be read ({exc})"))
                continue
            if answer[0]:
                future.set_result(answer[1])
            else:
                error, remote = answer[1], answer[2]
                if remote:
                    error.__cause__ = _RemoteTraceback(remote)
                future.set_exception(error)
        self.pool._dispatch()

    def _next_answer(self) -> bytes | None:
        if len(self.inbox) < 4:
            return None
        (size,) = struct.unpack_from("!i", self.inbox)
        start = 4
        if size == -1:
            if len(self.inbox) < 12:
                return None
            (size,) = struct.unpack_from("!Q", self.inbox, 4)
            start = 12
        if len(self.inbox) < start + size:
            return None
        payload = bytes(self.inbox[start : start + size])
        del self.inbox[: start + size]
        return payload

    def close(self, timeout: float = 5.0) -> None:
        """Close the pipes (the worker ends when it sees the end of its requests)."""
        if self.alive:
            self.alive = False
            self.loop.remove_reader(self.results.fileno())
            self.loop.remove_writer(self.requests.fileno())
        self.requests.close()
        self.results.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)


class WorkerPool:
    """Runs functions in ``processes`` worker processes (0: in the calling process).

    Calls are pickled to the workers and answered through pipes that the running asyncio
    event loop reads and writes, so no helper thread competes with Scrapy for the GIL.
    With one process, calls run one at a time in the order they were made. A dead
    worker is replaced, up to :data:`MAX_RESTARTS` times in the pool's life.
    """

    def __init__(self, processes: int, name: str = "worker", timeout: float | None = None) -> None:
        self.processes = max(0, processes)
        self.name = name
        self.timeout = timeout or None  # seconds a call may take in a worker process
        self.restarts = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[_Worker] = []
        self._waiting: collections.deque[tuple[bytes, asyncio.Future[Any]]] = collections.deque()
        self._retrying: asyncio.Lock | None = None
        self._starting = 0  # processes being started
        self._generation = 0  # closing the pool starts a new one

    @classmethod
    def for_extraction(cls, settings: BaseSettings) -> WorkerPool:
        """The page readers of one spider, sized by ``TRENDSCOUT_EXTRACT_PROCESSES``; a page
        may take ``TRENDSCOUT_EXTRACT_TIMEOUT`` seconds (0: no limit)."""
        processes = processes_setting(settings, "TRENDSCOUT_EXTRACT_PROCESSES", default_processes())
        timeout = settings.getfloat("TRENDSCOUT_EXTRACT_TIMEOUT", 0)
        return cls(processes, name="extraction", timeout=timeout)

    def start(self) -> None:
        """Start the worker processes now rather than on the first call (needs a running
        asyncio event loop; without one, calls run in the calling process). Returns at
        once: processes are started off the loop, and calls wait for them."""
        if not self.processes:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self.loop is not loop:
            self.close()
            self.loop, self._retrying = loop, asyncio.Lock()
        if self.restarts > MAX_RESTARTS:
            raise WorkerDied(
                f"{self.name} worker processes ended {self.restarts} times; not starting them again"
            )
        context = worker_context()
        while len(self._workers) + self._starting < self.processes:
            self._starting += 1
            started = loop.run_in_executor(None, _spawn, context, self.name)
            started.add_done_callback(functools.partial(self._started, self._generation))

    def _started(self, generation: int, started: asyncio.Future[tuple[Any, Any, Any]]) -> None:
        if generation != self._generation:  # the pool was closed meanwhile
            if not started.cancelled() and started.exception() is None:
                process, requests, results = started.result()
                _Worker(self, process, requests, results).close()
            return
        self._starting -= 1
        exc = None if started.cancelled() else started.exception()
        if exc is not None or started.cancelled():
            logger.error("could not start a %s worker process: %s", self.name, exc)
            if not self._workers and not self._starting:
                self._fail_waiting(
                    WorkerDied(f"could not start {self.name} worker processes: {exc}")
                )
            return
        self._workers.append(_Worker(self, *started.result()))
        self._dispatch()

    def _fail_waiting(self, exc: BaseException) -> None:
        while self._waiting:
            _, future = self._waiting.popleft()
            if not future.done():
                future.set_exception(exc)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker process; its exception if it raises one.

        A call whose worker process died is made once more, alone with the calls made
        for the first time (another call may have killed it); :class:`WorkerDied` if it
        dies again. A call that takes longer than ``timeout`` seconds (from the moment it
        was made) stops its worker and raises :class:`WorkerTimeout`. Runs in the calling
        process when the pool has no processes or no asyncio event loop is running
        (Scrapy's default reactor runs one).
        """
        if not self.processes:
            return function(*args)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args)
        payload = pickle.dumps((function, args), pickle.HIGHEST_PROTOCOL)
        try:
            return await self._call(payload)  # type: ignore[no-any-return]
        except _Broken:
            pass
        assert self._retrying is not None
        async with self._retrying:
            try:
                return await self._call(payload)  # type: ignore[no-any-return]
            except _Broken:
                pass
        raise WorkerDied(
            f"a {self.name} worker process ended before it finished, twice "
            "(killed, out of memory or crashed)"
        )

    async def _call(self, payload: bytes) -> Any:
        self.start()
        assert self.loop is not None
        future = self.loop.create_future()
        self._waiting.append((payload, future))
        self._dispatch()
        if self.timeout is None:
            return await future
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        except TimeoutError:
            future.cancel()
            for worker in self._workers:
                if future in worker.in_flight:
                    worker.process.kill()  # its pipe closes: the pool replaces it
            raise WorkerTimeout(
                f"a {self.name} worker took longer than {self.timeout:g} s and was stopped"
            ) from None

    def _dispatch(self) -> None:
        """Hand waiting calls to the workers with the fewest calls in hand."""
        while self._waiting:
            idle = [w for w in self._workers if w.alive and len(w.in_flight) < IN_FLIGHT]
            if not idle:
                return
            payload, future = self._waiting.popleft()
            if not future.done():
                min(idle, key=lambda w: len(w.in_flight)).send(payload, future)

    def _died(self, worker: _Worker) -> None:
        """A worker's pipe closed: fail its calls, replace it, go on with the rest."""
        worker.close(timeout=1.0)
        self._workers.remove(worker)
        for future in worker.in_flight:
            if not future.done():
                future.set_exception(_Broken())
        self.restarts += 1
        exit_code = worker.process.exitcode
        if self.restarts <= MAX_RESTARTS:
            logger.error("a %s worker process ended (exit code %s); starting another",
                         self.name, exit_code)  # fmt: skip
            self.start()
        else:
            logger.error("a %s worker process ended (exit code %s); giving up on them",
                         self.name, exit_code)  # fmt: skip
            if not self._workers and not self._starting:
                self._fail_waiting(_Broken())
        self._dispatch()

    def close(self) -> None:
        """Stop the workers: each ends once it has answered what it was working on."""
        self._generation += 1
        self._starting = 0
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.close()
        while self._waiting:
            _, future = self._waiting.popleft()
            future.cancel()
