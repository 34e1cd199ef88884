"""Per-post work of the analysis on every core, in forked worker processes.

Tokenizers and taggers take seconds to load (spaCy, jieba's dictionary, pyvi's model).
Workers forked *after* the parent has loaded them get a copy for free (copy-on-write),
where freshly started ones would each load everything again. So: load in the parent, then
:func:`fork_pool`, then map chunks of posts over it.

Only plain functions of picklable arguments run in the workers; they never touch the
database (the parent reads and writes), and a failing chunk raises in the parent.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["default_processes", "fork_pool", "split"]

_T = TypeVar("_T")
_K = TypeVar("_K")

# The function the workers run, set in the parent before it forks them.
_TASK: Callable[..., Any] | None = None


def default_processes() -> int:
    """Worker processes for per-post work: the cores this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _run(arguments: tuple[Any, ...]) -> Any:
    assert _TASK is not None
    return _TASK(*arguments)


class _Pool:
    """``map(arguments)`` over worker processes, or in this process when there are none."""

    def __init__(self, task: Callable[..., Any], pool: Any | None, processes: int = 1) -> None:
        self._task, self._pool, self.processes = task, pool, processes

    def map(self, arguments: Sequence[tuple[Any, ...]]) -> list[Any]:
        return self.submit(arguments)()

    def submit(self, arguments: Sequence[tuple[Any, ...]]) -> Callable[[], list[Any]]:
        """Start ``map(arguments)``; the returned function waits for its results. In
        process, the work happens when that function is called."""
        if self._pool is None or len(arguments) < 2:
            return lambda: [self._task(*args) for args in arguments]
        return self._pool.map_async(_run, arguments, chunksize=1).get

    def ahead(
        self, jobs: Iterable[tuple[_K, Sequence[tuple[Any, ...]]]]
    ) -> Iterator[tuple[_K, list[Any]]]:
        """``(key, map(arguments))`` for each job, one job ahead: the workers compute the
        next job while the caller writes this one's results (and reads the job after)."""
        waiting: tuple[_K, Callable[[], list[Any]]] | None = None
        for key, arguments in jobs:
            started = (key, self.submit(arguments))
            if waiting is not None:
                yield waiting[0], waiting[1]()
            waiting = started
        if waiting is not None:
            yield waiting[0], waiting[1]()


@contextmanager
def fork_pool(task: Callable[..., Any], processes: int) -> Iterator[_Pool]:
    """A pool of ``processes`` forked workers running ``task``; in-process when
    ``processes`` is 1 or the platform cannot fork (Windows, macOS's default)."""
    global _TASK
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield _Pool(task, None)
        return
    _TASK = task
    pool = multiprocessing.get_context("fork").Pool(processes)
    try:
        yield _Pool(task, pool, processes)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        _TASK = None


def split(items: Sequence[_T], parts: int) -> list[Sequence[_T]]:
    """``items`` in at most ``parts`` contiguous, nearly equal slices (none empty)."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for i in range(parts):
        stop = start + size + (1 if i < extra else 0)
        out.append(items[start:stop])
        start = stop
    return out
