"""Page readers that fail on purpose, for tests of the worker processes.

Worker processes import functions by module and name, so these live in a module of
their own (a test file would drag pytest into every worker).
"""

from __future__ import annotations

import os
import time
from typing import Any

from crawler.extract import Article, extract_article


def extract_or_fail(html: str, url: str | None = None) -> Article | None:
    """``extract_article``, except on pages whose URL says ``boom`` (raises) or ``die``
    (the worker process ends at once, as when it is killed or runs out of memory)."""
    if url and "boom" in url:
        raise ValueError("the page broke the extractor")
    if url and "die" in url:
        os._exit(3)
    return extract_article(html, url)


def pid(*_: Any) -> int:
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def die() -> None:
    os._exit(3)


class Unreadable(Exception):
    """An exception that pickles but cannot be rebuilt (its constructor needs two args)."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(first)
        self.second = second


def raise_unreadable() -> None:
    raise Unreadable("a", "b")
