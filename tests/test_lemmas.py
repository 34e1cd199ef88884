"""nlp.lemmas: simplemma's tables parsed once and cached on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from simplemma.strategies import DictionaryLookupStrategy
from simplemma.strategies.dictionaries import stream_dictionary_factory

from nlp.lemmas import _CachedDictionaries


def test_the_parsed_table_is_cached_and_the_next_load_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = DictionaryLookupStrategy(_CachedDictionaries(tmp_path))
    assert first.get_lemma("gier", "pl") == "gra"
    (cached,) = tmp_path.glob("simplemma-*-pl.pickle")
    assert cached.stat().st_size > 1_000_000

    def no_parsing(*_: object) -> None:
        raise AssertionError("the table was parsed again instead of read from the cache")

    monkeypatch.setattr(stream_dictionary_factory.StreamMap, "__init__", no_parsing)
    second = DictionaryLookupStrategy(_CachedDictionaries(tmp_path))
    assert [second.get_lemma(w, "pl") for w in ("gier", "grach", "konsoli")] == [
        first.get_lemma(w, "pl") for w in ("gier", "grach", "konsoli")
    ]


def test_a_damaged_cache_file_is_parsed_again_and_replaced(tmp_path: Path) -> None:
    DictionaryLookupStrategy(_CachedDictionaries(tmp_path)).get_lemma("gier", "pl")
    (cached,) = tmp_path.glob("simplemma-*-pl.pickle")
    cached.write_bytes(b"not a pickle")
    again = DictionaryLookupStrategy(_CachedDictionaries(tmp_path))
    assert again.get_lemma("gier", "pl") == "gra"
    assert cached.stat().st_size > 1_000_000


def test_without_a_cache_folder_the_table_is_parsed_every_time() -> None:
    assert DictionaryLookupStrategy(_CachedDictionaries(None)).get_lemma("grach", "pl") == "gra"
