"""Dictionary forms by lookup in simplemma's tables, with the parsed table cached on disk.

simplemma's low-memory dictionary (a front-coded stream) is decompressed and indexed on
every load: 1.7 s for Polish here, paid by every ``trendscout analyze`` before the first
Polish post is tokenized. The indexed table is pickled once into the cache folder
(``nlp.tokens.cache_dir()``) under the simplemma version, and loads again in about 0.05 s.
A missing, stale or unreadable cache file is rebuilt; nothing else changes.
"""

from __future__ import annotations

import functools
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path

__all__ = ["lemma_lookup"]


class _CachedDictionaries:
    """A simplemma ``DictionaryFactory`` whose tables come from the disk cache when they can."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._tables: dict[str, Mapping[str, str]] = {}

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        if lang not in self._tables:
            self._tables[lang] = self._load(lang)
        return self._tables[lang]

    def _load(self, lang: str) -> Mapping[str, str]:
        from simplemma.strategies.dictionaries.stream_dictionary_factory import StreamMap

        if self.folder is None:
            return StreamMap(lang)
        path = self.folder / f"simplemma-{metadata.version('simplemma')}-{lang}.pickle"
        try:
            with path.open("rb") as handle:
                table = pickle.load(handle)
            if isinstance(table, StreamMap):
                return table
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass
        table = StreamMap(lang)
        written = None
        try:  # written whole or not at all: a concurrent reader never sees half a file
            with tempfile.NamedTemporaryFile(dir=self.folder, delete=False) as handle:
                written = handle.name
                pickle.dump(table, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(written, path)
        except OSError:  # a read-only or full cache folder only costs the time saved
            if written is not None:
                Path(written).unlink(missing_ok=True)
        return table


@functools.cache
def lemma_lookup(lang: str) -> Callable[[str], str | None]:
    """``lookup(word)``: the lower-cased dictionary form of ``word`` in ``lang``, or None when
    simplemma's table does not have it (e.g. ``lemma_lookup("pl")("gier") == "gra"``)."""
    from simplemma.strategies import DictionaryLookupStrategy

    from nlp.tokens import cache_dir

    try:
        folder: Path | None = cache_dir()
    except OSError:  # no writable cache folder: parse the table on every run instead
        folder = None
    strategy = DictionaryLookupStrategy(_CachedDictionaries(folder))

    @functools.lru_cache(maxsize=200_000)
    def lookup(word: str) -> str | None:
        found = strategy.get_lemma(word, lang)
        return found.lower() if found else None

    return lookup
