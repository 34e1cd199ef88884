"""The fast paths of nlp.tokens give exactly what the straightforward ones give.

The reference below is the tokenizer before its fast paths: every spaCy token read through
``Token`` attributes, Vietnamese through spaCy's own ``VietnameseTokenizer`` (pyvi's feature
dicts and CRF), search text through jieba's ``cut_for_search``. ``benchmarks/bench_tokens.py``
times it against the fast one.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import feedparser
import pytest
import yaml
from spacy.tokens import Token

from benchmarks.make_corpus import WATCH, CorpusSpec, generate
from nlp.tokens import (
    _HAN,
    _NOISE,
    _NON_HAN_WORD_CHAR,
    _UNSPACED,
    _VI_SYLLABLES,
    LEMMATIZED,
    Tokenizer,
    _denoise,
    _keyphrase_pattern,
    _phrase_key,
    _polish_lookup,
    _spacy_pipeline,
    _vietnamese_segmenter,
    _word_edge,
    stop_words,
)

REPO = Path(__file__).resolve().parent.parent
KEYPHRASES = [form for name, aliases in WATCH.values() for form in (name, *aliases)]
LANGS = ("en", "pl", "vi", "zh")


class ReferenceTokenizer(Tokenizer):
    """:class:`Tokenizer` without its fast paths."""

    def _segment(self, lang: str, pieces: list[str]) -> list[list[str]]:
        if lang == "zh":
            return [self._chinese(piece) for piece in pieces]
        stops = stop_words(lang)
        lemma = _polish_lookup() if self.lemmatize and lang in LEMMATIZED else None
        docs = _spacy_pipeline(lang).tokenizer.pipe(pieces)
        kept = [_reference_keep(doc, stops, lemma) for doc in docs]
        return [
            self._resegment(words, lang) if _UNSPACED.search(piece) else words
            for piece, words in zip(pieces, kept, strict=True)
        ]

    def search_text(self, text: str, lang: str | None) -> str:
        clean = unicodedata.normalize("NFC", text or "")
        if not _HAN.search(clean):
            return clean
        words = (w.strip() for w in self._jieba.cut_for_search(clean))
        return " ".join(w for w in words if w)

    def tokens_and_search_many(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | str | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[tuple[list[str], str | None]]:
        tokens = self.tokens_many(texts, langs)
        langs = [langs] * len(texts) if langs is None or isinstance(langs, str) else langs
        return [
            (words, self.search_text(text, lang) if _has_han(text) else None)
            for words, text, lang in zip(tokens, texts, langs, strict=True)
        ]


def _reference_keyphrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """Every keyphrase its own alternative, longest first, each with its word boundaries."""
    alternatives = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = r"\s+".join(re.escape(part) for part in phrase.split())
        if _word_edge(phrase[0]):
            body = f"(?<!{_NON_HAN_WORD_CHAR})" + body
        if _word_edge(phrase[-1]):
            body += f"(?!{_NON_HAN_WORD_CHAR})"
        alternatives.append(body)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _reference_keep(
    doc: Iterable[Token], stops: frozenset[str], lemma: Callable[[str], str | None] | None
) -> list[str]:
    kept = []
    for token in doc:
        if token.is_space or token.is_punct or token.like_num or token.like_url:
            continue
        if token.like_email:
            continue
        word = token.lower_
        if word in stops or not _is_word_reference(word):
            continue
        if lemma is not None:
            base = lemma(word)
            if base is not None:
                if base in stops:
                    continue
                word = base
        kept.append(word)
    return kept


def _is_word_reference(word: str) -> bool:
    letters = sum(1 for c in word if c.isalpha())
    digits = sum(1 for c in word if c.isdigit())
    return letters > 0 and digits <= letters and (len(word) >= 2 or bool(_HAN.match(word)))


def _has_han(text: str) -> bool:
    return bool(_HAN.search(unicodedata.normalize("NFC", text)))


# Texts ----------------------------------------------------------------------------------------

EDGE_CASES = [
    "",
    " ",
    "\n\t ",
    "Starfall Arena",
    "星落竞技场",
    "我最近在玩星落竞技场，这个游戏的女生角色很多。",
    "我喜欢玩Starfall Arena真的好玩 https://example.com/星落 #星落竞技场 @玩家",
    "看 www.example.cn 和 me@example.org 的消息 &amp; 更新",
    "Tôi vừa mua Starfall Arena, chơi rất vui với con gái tôi ở Tp. Hồ Chí Minh",
    "Con gái tôi chơi game\n\ncả ngày...  ThS. Nguyễn ==> Dr. Trần -> 1.234,5 >> abc@mail.vn",
    "TÔI CHƠI GAME 2024 NĂM nay http://vi.example/abc?x=1 Nova Phone",
    "Hà Nội, Đà Nẵng và Sài Gòn: game thủ chơi Nebula Racer (星云赛车) 100%",
    "Bóng đá\u00a0Việt Nam\u2003thắng\u3000lớn",
    "Ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ １２３ and ﬁ ligatures, café vs cafe\u0301",
    "ゲームが好きです。スターフォール・アリーナ最高！",
    "ฉันชอบเล่นเกมนี้มาก Starfall Arena สนุก",
    "ខ្ញុំចូលចិត្តលេងហ្គេម និង မြန်မာ ဂိမ်း",
    "Free-to-play co-op e-sport shooters -- pre-order now~ 3-2 win",
    "Gram w Starfall Arena z kolegami od tygodnia; gier, gry, grach!!!",
    "Mixed 中文English混合 text 123abc 4567 a1 1a 中",
    "ΣΊΣΥΦΟΣ ΟΔΟΣ game ΑΣ Β",
    "İstanbul DİYARBAKIR ǅemal ﬀ ß ẞ",
    "Emoji 🎮🔥 gamers 👍🏽 #GameOn &#39;quoted&#39;",
    "\u4dc0\u4dc1 hexagrams, 𠀀𠀁 ext-B 丽 compat \U0002f800",
    "Co-op Mode and The Last of Us, the last of us, THE LAST OF US",
]


def _demo_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted((REPO / "pipelines" / "demo_data").rglob("*")):
        if path.suffix not in (".xml", ".rdf"):
            continue
        lang = path.relative_to(REPO / "pipelines" / "demo_data").parts[0]
        for entry in feedparser.parse(path.read_bytes()).entries:
            texts.append((lang, f"{entry.get('title', '')}\n{entry.get('summary', '')}"))
    return texts


def _fixture_texts() -> list[tuple[str | None, str]]:
    texts: list[tuple[str | None, str]] = []
    with (REPO / "tests" / "fixtures" / "language" / "detect.tsv").open(encoding="utf-8") as f:
        for row in csv.reader((line for line in f if not line.startswith("#")), delimiter="\t"):
            if len(row) >= 4:
                texts.append((None if row[0] == "-" else row[0], row[3]))
    sentences = yaml.safe_load(
        (REPO / "tests" / "fixtures" / "segments" / "sentences.yml").read_text(encoding="utf-8")
    )
    for lang, entries in sentences.items():
        for entry in entries:
            texts.append((lang, entry["text"].replace("{product}", "Starfall Arena")))
    return texts


@pytest.fixture(scope="module")
def samples() -> list[tuple[str | None, str]]:
    corpus = generate(CorpusSpec(posts=600, spam_posts=5, seed=3))
    generated = [(p.lang, f"{p.title}\n{p.text}") for p in corpus.posts]
    edge = [(lang, text) for text in EDGE_CASES for lang in (*LANGS, None, "ja", "zh-TW")]
    return edge + _demo_texts() + _fixture_texts() + generated


@pytest.fixture(scope="module", params=[True, False], ids=["keyphrases", "no-keyphrases"])
def pair(request: pytest.FixtureRequest) -> tuple[Tokenizer, Tokenizer]:
    keys = KEYPHRASES + ["Co-op Mode", "The Last of Us"] if request.param else []
    return Tokenizer(keys), ReferenceTokenizer(keys)


# Tests ----------------------------------------------------------------------------------------


def test_samples_cover_every_language_and_path(samples: list[tuple[str | None, str]]) -> None:
    assert len(samples) > 800
    assert {lang for lang, _ in samples} >= {*LANGS, None}
    assert sum(1 for _, text in samples if _has_han(text)) > 100


@pytest.mark.parametrize("given_lang", [True, False], ids=["lang", "guessed"])
def test_tokens_and_search_text_are_those_of_the_reference(
    pair: tuple[Tokenizer, Tokenizer], samples: list[tuple[str | None, str]], given_lang: bool
) -> None:
    fast, reference = pair
    texts = [text for _, text in samples]
    langs = [lang for lang, _ in samples] if given_lang else None
    expected = reference.tokens_and_search_many(texts, langs)
    assert fast.tokens_and_search_many(texts, langs) == expected
    assert fast.tokens_many(texts, langs) == [tokens for tokens, _ in expected]
    for text, (_, search) in zip(texts, expected, strict=True):
        if search is not None:
            assert fast.search_text(text, None) == search


def test_search_text_is_jiebas_search_mode(samples: list[tuple[str | None, str]]) -> None:
    fast, reference = Tokenizer(), ReferenceTokenizer()
    for _, text in samples:
        assert fast.search_text(text, None) == reference.search_text(text, None)


def test_chinese_cut_is_jiebas_with_or_without_shared_runs(
    samples: list[tuple[str | None, str]],
) -> None:
    fast = Tokenizer(KEYPHRASES)
    shared: dict[str, list[str]] = {}
    for _, text in samples:
        expected = list(fast._jieba.cut(text))
        assert fast._cut(text, {}) == expected
        assert fast._cut(text, shared) == expected


def test_vietnamese_words_are_those_of_spacys_pyvi_tokenizer(
    samples: list[tuple[str | None, str]],
) -> None:
    spacy_tokenizer = _spacy_pipeline("vi").tokenizer
    segmenter = _vietnamese_segmenter()
    for _, text in samples:
        for piece in (text, unicodedata.normalize("NFC", text)):
            assert segmenter.words(piece) == spacy_tokenizer.pyvi_tokenize(piece)


def test_vietnamese_features_are_the_true_ones_of_pyvis_feature_dicts(
    samples: list[tuple[str | None, str]],
) -> None:
    from pyvi import ViTokenizer

    segmenter = _vietnamese_segmenter()
    for _, text in samples:
        syllables = [s for s in _VI_SYLLABLES.findall(text) if not s.isspace()]
        expected = [
            [
                f"{key}:{value}" if isinstance(value, str) else key
                for key, value in f.items()
                if value
            ]
            for f in ViTokenizer.ViTokenizer.sent2features(syllables, False)
        ]
        info = [segmenter._syllable(syllable) for syllable in syllables]
        assert segmenter._features(syllables, info) == expected


def test_noise_is_removed_as_by_the_full_pattern(samples: list[tuple[str | None, str]]) -> None:
    for _, text in samples:
        assert _denoise(text) == _NOISE.sub(" ", text)


def test_every_language_at_once_matches_one_language_at_a_time(
    samples: list[tuple[str | None, str]],
) -> None:
    fast = Tokenizer(KEYPHRASES)
    texts = [text for _, text in samples]
    langs = [lang for lang, _ in samples]
    together = fast.tokens_and_search_many(texts, langs)
    assert together == [fast.tokens_and_search_many([t], [lang])[0] for lang, t in samples]


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["Co-op Mode", "The Last of Us", "#GameOn", "ſtarfall", "İstanbul", "ıphone", "K9",
         "_under", "µs", "2077", "Starfall", "星落", "-- pre", "&amp;"],
        ["¿Qué tal", "Starfall Arena 2", "ΣΊΣΥΦΟΣ"],  # a phrase may start with ¿: one list
    ],
    ids=["watch-list", "odd-phrases", "non-ascii-punctuation"],
)  # fmt: skip
def test_keyphrases_are_found_where_one_alternative_per_phrase_finds_them(
    samples: list[tuple[str | None, str]], extra: list[str]
) -> None:
    keys = {_phrase_key(k) for k in [*KEYPHRASES, *extra]}
    fast, reference = _keyphrase_pattern(keys), _reference_keyphrase_pattern(keys)
    assert fast is not None
    texts = [text for _, text in samples] + [
        f"{a} {b}{c}" for a in extra + KEYPHRASES for b in ("x", "", "Ｘ") for c in (".", "a", "星")
    ]
    found = 0
    for text in texts:
        for variant in (text, text.upper(), text.lower(), text.swapcase()):
            spans = [m.span() for m in fast.finditer(variant)]
            assert spans == [m.span() for m in reference.finditer(variant)], variant
            found += len(spans)
    assert found > 1000
