"""Tokens per language, keyphrases, stop words, collocations, and FTS5 search text."""

from __future__ import annotations

import math
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nlp.tokens import (
    Tokenizer,
    count_matrix,
    find_phrases,
    find_phrases_encoded,
    merge_phrases,
    merge_phrases_encoded,
    phrase_merger,
    stop_words,
)

REPO = Path(__file__).resolve().parent.parent
WATCH = ["Starfall Arena", "星落竞技场", "The Last of Us", "Co-op Mode"]


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(WATCH)


# English --------------------------------------------------------------------------------------


def test_english_drops_stop_words_punctuation_numbers_urls_and_mentions(
    tokenizer: Tokenizer,
) -> None:
    text = (
        "Hey @bob, the NEW season is great!!! See https://example.com/patch?v=2 or mail "
        "me@example.org - 2024, 3.5/5, 100%"
    )
    assert tokenizer.tokens(text, "en") == ["hey", "new", "season", "great", "mail"]


def test_english_keeps_hyphenated_words_and_hashtag_words(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens("Free-to-play co-op shooters trend: #SummerSale on ps5", "en")
    assert tokens == ["free-to-play", "co-op", "shooters", "trend", "summersale", "ps5"]


# Keyphrases -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Anyone else think Starfall  ARENA is the best?"),
        ("pl", "Gram w Starfall Arena z kolegami od tygodnia"),
        ("vi", "Tôi vừa mua Starfall Arena, chơi rất vui"),
        ("zh", "我喜欢玩Starfall Arena真的好玩"),
    ],
)
def test_keyphrase_is_one_token_in_every_language(
    tokenizer: Tokenizer, lang: str, text: str
) -> None:
    tokens = tokenizer.tokens(text, lang)
    assert tokens.count("starfall arena") == 1
    assert "starfall" not in tokens and "arena" not in tokens


def test_chinese_alias_stays_whole_although_jieba_splits_it(tokenizer: Tokenizer) -> None:
    text = "我最近在玩星落竞技场，这个游戏的女生角色很多。"
    assert "星落竞技场" not in Tokenizer().tokens(text, "zh")  # jieba alone cuts it up
    tokens = tokenizer.tokens(text, "zh")
    assert "星落竞技场" in tokens
    assert "竞技场" not in tokens


def test_keyphrase_with_stop_words_survives_and_does_not_match_inside_words(
    tokenizer: Tokenizer,
) -> None:
    assert tokenizer.tokens("I replayed The Last of Us yesterday", "en") == [
        "replayed",
        "the last of us",
        "yesterday",
    ]
    assert tokenizer.tokens("co-op modes are fun", "en") == ["co-op", "modes", "fun"]
    assert tokenizer.tokens("Try the co-op mode now", "en") == ["try", "co-op mode"]


def test_keyphrases_are_normalised(tokenizer: Tokenizer) -> None:
    assert tokenizer.keyphrases == {"starfall arena", "星落竞技场", "the last of us", "co-op mode"}
    assert Tokenizer(["  ", ""]).keyphrases == frozenset()


# Polish ---------------------------------------------------------------------------------------


def test_polish_words_become_dictionary_forms(tokenizer: Tokenizer) -> None:
    text = "Nowe gry i premiery gier: o grach rozmawiają wszyscy gracze"
    assert tokenizer.tokens(text, "pl") == [
        "nowy",
        "gra",
        "premiera",
        "gra",
        "gra",
        "rozmawiać",
        "gracz",
    ]
    assert Tokenizer(lemmatize=False).tokens(text, "pl")[:2] == ["nowe", "gry"]


def test_polish_stop_words_are_dropped_before_and_after_lookup(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens(
        "To jest najlepsza gra, którą kiedykolwiek byłem w stanie kupić", "pl"
    )
    assert not {"to", "jest", "którą", "w", "być", "który"} & set(tokens)
    assert "gra" in tokens and "kupić" in tokens


# Vietnamese -----------------------------------------------------------------------------------


def test_vietnamese_compounds_are_one_token_and_function_words_go(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens("Con gái tôi rất thích chơi trò chơi này và của bạn", "vi")
    assert tokens == ["con gái", "thích", "chơi", "trò chơi"]


def test_vietnamese_stop_list_keeps_content_words() -> None:
    words = stop_words("vi")
    assert {"và", "của", "tôi", "bởi vì"} <= words
    assert not {"chơi", "thích", "khó", "điểm"} & words  # spaCy's list drops these


# Chinese --------------------------------------------------------------------------------------


def test_chinese_is_segmented_without_stop_words_or_punctuation(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens("这个游戏的女生角色很多，真的好玩！2024", "zh")
    assert tokens == ["游戏", "女生", "角色", "好玩"]


def test_language_none_guesses_chinese_from_the_script(tokenizer: Tokenizer) -> None:
    assert tokenizer.tokens("这个游戏的女生角色很多", None) == ["游戏", "女生", "角色"]
    assert tokenizer.tokens("Great new season", None) == ["great", "new", "season"]
    assert tokenizer.tokens("这个游戏的女生角色很多", "zh-CN") == ["游戏", "女生", "角色"]


# Other languages ------------------------------------------------------------------------------


def test_other_languages_use_their_blank_pipeline_or_the_multilingual_one(
    tokenizer: Tokenizer,
) -> None:
    assert tokenizer.tokens("Новая игра вышла сегодня, и это очень хорошо", "ru") == [
        "новая",
        "игра",
        "вышла",
        "сегодня",
    ]
    assert tokenizer.tokens("Mchezo huu ni mzuri sana", "sw") == [
        "mchezo",
        "huu",
        "ni",
        "mzuri",
        "sana",
    ]
    japanese = tokenizer.tokens("このゲームは面白い", "ja")
    assert "ゲー" in japanese and "面白" in japanese  # character pairs, not one long token


def test_tokens_many_matches_tokens_and_reports_progress(tokenizer: Tokenizer) -> None:
    texts = ["Great new season", "Nowe gry", "Con gái", "游戏好玩", "", "!!!"]
    langs = ["en", "pl", "vi", "zh", "en", None]
    seen: list[tuple[int, int]] = []
    many = tokenizer.tokens_many(texts, langs, progress=lambda d, t: seen.append((d, t)))
    assert many == [tokenizer.tokens(t, lang) for t, lang in zip(texts, langs, strict=True)]
    assert many[4] == [] and many[5] == []
    assert seen[-1] == (6, 6)
    assert tokenizer.tokens_many(["Great new season"] * 2, "en") == [["great", "new", "season"]] * 2
    with pytest.raises(ValueError, match="languages"):
        tokenizer.tokens_many(["a", "b"], ["en"])


# Collocations ---------------------------------------------------------------------------------


def _gaming_docs() -> list[list[str]]:
    filler = ["great", "fun", "price", "friends", "weekend", "update", "server", "team"]
    docs = []
    for i in range(60):
        a, b = filler[i % 8], filler[(i * 3 + 1) % 8]
        docs.append([a, "battle", "pass", b, "co-op", "mode", filler[(i + 5) % 8]])
        docs.append([b, "battle", filler[(i + 2) % 8], "mode", a])
    return docs


def test_find_phrases_detects_collocations_not_frequent_neighbours() -> None:
    phrases = find_phrases(_gaming_docs(), min_count=5)
    assert ("battle", "pass") in phrases
    assert ("co-op", "mode") in phrases
    assert all(("great", other) not in phrases for other in ["fun", "price", "friends"])
    assert find_phrases(_gaming_docs(), min_count=1000) == set()


def test_find_phrases_grows_to_three_words() -> None:
    filler = ["pizza", "taxi", "park", "night", "rent", "view", "food", "news"]
    docs = [[filler[i % 8], "new", "york", "city", filler[(i * 3) % 8]] for i in range(24)]
    docs += [["new", "phone"], ["city", "bike"], ["york", "minster"]] * 2
    assert ("new", "york", "city") in find_phrases(docs, min_count=5, threshold=0.3)
    assert ("new", "york", "city") not in find_phrases(docs, min_count=5, max_words=2)


def _reference_phrases(
    docs: list[list[str]], min_count: int, threshold: float, max_words: int
) -> set[tuple[str, ...]]:
    """find_phrases as its docstring says it, written plainly (the counting the fast one
    does with arrays): score adjacent pairs, join found ones left to right, repeat."""
    units = [[(token,) for token in doc] for doc in docs]
    found: set[tuple[str, ...]] = set()
    for _ in range(max(1, max_words - 1)):
        single = Counter(unit for doc in units for unit in doc)
        pairs = Counter(pair for doc in units for pair in zip(doc, doc[1:], strict=False))
        total = sum(single.values())
        new = set()
        for (a, b), count in pairs.items():
            p_ab = count / total
            if count < min_count or len(a) + len(b) > max_words or a == b or p_ab >= 1.0:
                continue
            pmi = math.log(p_ab / ((single[a] / total) * (single[b] / total)))
            if pmi / -math.log(p_ab) >= threshold:
                new.add(a + b)
        if not new - found:
            break
        found |= new
        joined = []
        for doc in units:
            out, i = [], 0
            while i < len(doc):
                step = 2 if i + 1 < len(doc) and doc[i] + doc[i + 1] in found else 1
                out.append(sum(doc[i : i + step], ()))
                i += step
            joined.append(out)
        units = joined
    return found


@pytest.mark.parametrize("seed", range(40))
def test_find_phrases_matches_the_plain_reference(seed: int) -> None:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(rng.randint(2, 10))]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(0, 12))] for _ in range(60)]
    for min_count, threshold, max_words in [(1, 0.0, 3), (2, 0.3, 3), (3, -0.5, 4), (2, 0.5, 2)]:
        assert find_phrases(
            docs, min_count=min_count, threshold=threshold, max_words=max_words
        ) == _reference_phrases(docs, min_count, threshold, max_words)
    gaming = _gaming_docs()
    assert find_phrases(gaming, min_count=5) == _reference_phrases(gaming, 5, 0.5, 3)


def test_find_phrases_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        find_phrases([], min_count=0)
    with pytest.raises(ValueError):
        find_phrases([], threshold=2.0)


def test_merge_phrases_joins_longest_match() -> None:
    phrases = {("battle", "pass"), ("new", "york", "city"), ("new", "york")}
    tokens = ["new", "battle", "pass", "in", "new", "york", "city", "new", "york"]
    assert merge_phrases(tokens, phrases) == [
        "new",
        "battle pass",
        "in",
        "new york city",
        "new york",
    ]
    assert merge_phrases(tokens, set()) == tokens


# Documents as token ids ----------------------------------------------------------------------


def _encode(
    docs: list[list[str]], vocabulary: list[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    index = {token: i for i, token in enumerate(vocabulary)}
    ids = np.array([index[token] for doc in docs for token in doc], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum([len(doc) for doc in docs]))).astype(np.int64)
    return ids, offsets, index


def _random_docs(
    seed: int,
) -> tuple[list[list[str]], set[tuple[str, ...]], list[str]]:
    """Short documents over a handful of words (so phrases overlap and repeat, "a a a",
    "a b a b"), a random phrase set, and a shuffled vocabulary in which a token with a space
    can equal a joined phrase ("w0 w1")."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(rng.randint(1, 6))] + ["w0 w1"]
    n_docs = rng.randint(0, 25)
    docs = [[rng.choice(words) for _ in range(rng.randint(0, 14))] for _ in range(n_docs)]
    phrases = {
        tuple(rng.choice(words[:-1]) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.randint(0, 8))
    }
    vocabulary = sorted(set(words) | {" ".join(phrase) for phrase in phrases})
    rng.shuffle(vocabulary)
    return docs, phrases, vocabulary


@pytest.mark.parametrize("seed", range(300))
def test_merging_phrases_on_ids_gives_what_phrase_merger_gives(seed: int) -> None:
    docs, phrases, vocabulary = _random_docs(seed)
    ids, offsets, index = _encode(docs, vocabulary)
    encoded = {tuple(index[w] for w in phrase): index[" ".join(phrase)] for phrase in phrases}
    merge = phrase_merger(phrases)
    for dtype in (np.int64, np.int32):
        merged, merged_offsets = merge_phrases_encoded(ids.astype(dtype), offsets, encoded)
        assert [
            [vocabulary[t] for t in merged[merged_offsets[d] : merged_offsets[d + 1]]]
            for d in range(len(docs))
        ] == [merge(list(doc)) for doc in docs]


def test_merging_phrases_on_ids_takes_the_longest_match_and_never_spans_two_documents() -> None:
    vocabulary = ["new", "york", "city", "new york", "new york city", "x"]
    docs = [["new", "york", "city", "new", "york"], ["new"], ["york", "city", "x", "new"]]
    ids, offsets, index = _encode(docs, vocabulary)
    phrases = {(0, 1): index["new york"], (0, 1, 2): index["new york city"]}
    merged, merged_offsets = merge_phrases_encoded(ids, offsets, phrases)
    assert merged.tolist() == [4, 3, 0, 1, 2, 5, 0]
    assert merged_offsets.tolist() == [0, 2, 3, 7]


@pytest.mark.parametrize("seed", range(300))
def test_count_matrix_is_countvectorizers_matrix_entry_for_entry(seed: int) -> None:
    """Same terms, and the same stored arrays (CountVectorizer keeps each row's entries in
    the order it first met the terms, not sorted), so nothing computed later can differ."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer

    docs, _, vocabulary = _random_docs(seed)
    ids, offsets, _ = _encode(docs, vocabulary)
    for min_df in (1, 2, 3, 0.2):
        vectorizer = CountVectorizer(analyzer=lambda doc: doc, min_df=min_df, dtype=np.float32)
        try:
            expected = sp.csr_matrix(vectorizer.fit_transform(docs))
        except ValueError:
            with pytest.raises(ValueError):
                count_matrix(ids, offsets, vocabulary, min_df=min_df)
            continue
        matrix, terms = count_matrix(ids.astype(np.int32), offsets, vocabulary, min_df=min_df)
        assert terms == vectorizer.get_feature_names_out().tolist()
        assert matrix.shape == expected.shape
        for part in ("indptr", "indices", "data"):
            got, want = getattr(matrix, part), getattr(expected, part)
            assert got.dtype == want.dtype and got.tolist() == want.tolist()


@pytest.mark.parametrize("seed", range(30))
def test_finding_phrases_on_ids_gives_what_find_phrases_gives(seed: int) -> None:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(rng.randint(2, 10))]
    docs = [[rng.choice(words) for _ in range(rng.randint(0, 12))] for _ in range(60)]
    vocabulary = [*words, "unused"]
    rng.shuffle(vocabulary)
    ids, offsets, _ = _encode(docs, vocabulary)
    for min_count, threshold, max_words in [(1, 0.0, 3), (2, 0.3, 3), (3, -0.5, 4), (2, 0.5, 2)]:
        assert find_phrases_encoded(
            ids, offsets, vocabulary, min_count, threshold, max_words=max_words
        ) == find_phrases(docs, min_count, threshold, max_words=max_words)


# Full-text search -----------------------------------------------------------------------------


def _fts(rows: list[tuple[int, str]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE posts_fts USING fts5(body, tokenize='unicode61')")
    db.executemany("INSERT INTO posts_fts(rowid, body) VALUES (?, ?)", rows)
    return db


def _find(db: sqlite3.Connection, query: str) -> list[int]:
    return [
        r[0] for r in db.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?", [query])
    ]


POSTS = [
    (1, "zh", "我最近在玩星落竞技场，这个游戏的女生角色很多。"),
    (2, "vi", "Con gái tôi rất thích chơi trò chơi này."),
    (3, "en", "The new season of Starfall Arena starts next week."),
    (4, "vi", "Tôi có con, nhưng gái thì không."),  # both syllables, not the compound
]


def test_search_text_makes_chinese_and_vietnamese_words_findable(tokenizer: Tokenizer) -> None:
    raw = _fts([(i, text) for i, _, text in POSTS])
    segmented = _fts([(i, tokenizer.search_text(text, lang)) for i, lang, text in POSTS])
    # The plain unicode61 index keeps a run of Chinese as one token: words are not found.
    assert _find(raw, "游戏") == []
    for word in ["游戏", "女生", "竞技场", "竞技", "星落竞技场"]:
        assert _find(segmented, word) == [1], word
    assert _find(segmented, '"con gái"') == [2]
    assert sorted(_find(segmented, "gái")) == [2, 4]
    assert _find(segmented, "starfall AND arena") == [3]


def test_search_text_keeps_other_text_as_written(tokenizer: Tokenizer) -> None:
    text = "Nowy sezon Starfall Arena — zapisy od jutra!"
    assert tokenizer.search_text(text, "pl") == text
    assert tokenizer.search_text("", None) == ""


# Setup ----------------------------------------------------------------------------------------


def test_jieba_cache_goes_to_the_trendscout_cache_dir_and_stays_quiet(tmp_path: Path) -> None:
    script = (
        "from nlp.tokens import Tokenizer\n"
        "print(Tokenizer(['星落竞技场']).tokens('我在玩星落竞技场', 'zh'))\n"
    )
    env = {**os.environ, "TRENDSCOUT_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "星落竞技场" in result.stdout
    assert (tmp_path / "jieba.cache").is_file()
    assert "Building prefix dict" not in result.stderr
