"""Per-language tokens for topic models and trends, and segmented text for full-text search.

Every language goes through a spaCy blank pipeline (offline, no trained model): its tokenizer
and its stop words. On top of that:

- **Chinese** is segmented with jieba (its own dictionary copy per keyphrase set; the parsed
  dictionary is cached under ``~/.cache/trendscout``, never inside site-packages).
- **Vietnamese** compounds are joined by spaCy's pyvi tokenizer (``con gái`` is one token).
- **Polish** words are reduced to their dictionary form by lookup in simplemma's Polish table
  (``gier``, ``gry`` → ``gra``); spaCy's own Polish lemmatizer needs POS tags that blank
  pipelines do not have. Unknown words stay as they are (lower-cased).
- **Keyphrases** (watch-list names and aliases) are found in the raw text first and kept whole
  as one lower-cased token (``Starfall Arena`` → ``starfall arena``), in every language.

Tokens are lower-cased; punctuation, numbers, URLs, e-mail addresses and stop words are
dropped. A token can contain a space (keyphrases, Vietnamese compounds), so feed token lists
to vectorizers as lists (``analyzer=lambda tokens: tokens``), never re-split joined strings.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import string
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import jieba
    import scipy.sparse as sp
    from spacy.language import Language
    from spacy.lexeme import Lexeme
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

__all__ = [
    "Tokenizer",
    "cache_dir",
    "count_matrix",
    "find_phrases",
    "find_phrases_encoded",
    "merge_phrases",
    "merge_phrases_encoded",
    "phrase_merger",
    "stop_words",
]

# Languages whose stop list in nlp/data/stopwords/ replaces spaCy's instead of adding to it.
# spaCy's Vietnamese list also removes content words (chơi "play", thích "like", ...).
OWN_STOP_LISTS = frozenset({"vi"})
# Languages reduced to dictionary forms with simplemma's lookup table.
LEMMATIZED = frozenset({"pl"})
# spaCy languages whose blank pipeline needs a package we do not ship (MeCab, Sudachi, ...).
_NEEDS_EXTERNAL = frozenset({"ja", "ko", "th"})
_BATCH = 1000

_NOISE = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|(?<!\w)@\w+"  # @mentions (user names are not topics)
    r"|(?<!\w)#(?=\w)"  # the sign of a #hashtag (the word stays)
    r"|&(?:[a-z]+|#\d+);",  # stray HTML entities
    re.IGNORECASE,
)
# Every match of _NOISE contains one of these; most posts contain none, and this is much
# cheaper to rule out than the e-mail alternative of _NOISE.
_NOISE_HINT = re.compile(r"://|www\.|[@#&]", re.IGNORECASE)
_HAN_RANGES = r"\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0002FA1F"
_HAN = re.compile(f"[{_HAN_RANGES}]")
_HAN_RUN = re.compile(f"[{_HAN_RANGES}]+")
# Scripts written without spaces between words: Han, kana, Thai, Lao, Khmer, Myanmar.
_UNSPACED_RANGES = _HAN_RANGES + r"\u3040-\u30FF\u0E00-\u0EFF\u1780-\u17FF\u1000-\u109F"
_UNSPACED = re.compile(f"[{_UNSPACED_RANGES}]")
_SCRIPT_RUNS = re.compile(f"[{_UNSPACED_RANGES}]+|[^{_UNSPACED_RANGES}]+")
# A letter or digit that is not Han: keyphrases must not touch one (Han needs no spaces).
_NON_HAN_WORD_CHAR = rf"[^\W{_HAN_RANGES}]"
_HYPHENS_IN_WORDS = "(?:-|–|—|--|---|——|~)"  # spaCy's infix pattern for hyphens between letters


def cache_dir() -> Path:
    """Writable cache folder: ``$TRENDSCOUT_CACHE_DIR`` or ``~/.cache/trendscout``."""
    configured = os.environ.get("TRENDSCOUT_CACHE_DIR")
    base = (
        Path(configured)
        if configured
        else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "trendscout"
    )
    base.mkdir(parents=True, exist_ok=True)
    return base


def normalize(text: str) -> str:
    """NFC form with URLs, e-mail addresses, @mentions and hashtag signs removed."""
    return _denoise(unicodedata.normalize("NFC", text or ""))


def _denoise(text: str) -> str:
    return _NOISE.sub(" ", text) if _NOISE_HINT.search(text) else text


# --------------------------------------------------------------------------------------------
# Shared, lazily built resources (one per process).

_LOCK = threading.RLock()


@functools.cache
def stop_words(lang: str) -> frozenset[str]:
    """Lower-cased stop words for a language: spaCy's list plus (or, for vi, replaced by) ours."""
    ours = _data_stop_words(lang)
    if lang in OWN_STOP_LISTS:
        return ours
    try:
        from spacy.util import get_lang_class

        spacy_words = get_lang_class(lang).Defaults.stop_words
    except ImportError:
        spacy_words = set()
    return frozenset(w.lower().replace("_", " ") for w in spacy_words) | ours


def _data_stop_words(lang: str) -> frozenset[str]:
    path = resources.files("nlp") / "data" / "stopwords" / f"{lang}.txt"
    if not path.is_file():
        return frozenset()
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(
        unicodedata.normalize("NFC", line).lower()
        for line in lines
        if line and not line.startswith("#")
    )


@functools.cache
def _spacy_pipeline(lang: str) -> Language:
    """A blank spaCy pipeline for ``lang`` (``xx`` when spaCy has none we can run)."""
    import spacy

    with _LOCK:
        try:
            spacy_pipeline = spacy.blank("xx" if lang in _NEEDS_EXTERNAL else lang)
        except (ImportError, OSError, KeyError, ValueError):
            spacy_pipeline = spacy.blank("xx")
        _keep_hyphenated_words(spacy_pipeline)
        return spacy_pipeline


def _keep_hyphenated_words(spacy_pipeline: Language) -> None:
    """Keep ``co-op``, ``e-sport``, ``free-to-play`` whole (spaCy splits them by default)."""
    tokenizer = spacy_pipeline.tokenizer
    infixes = getattr(spacy_pipeline.Defaults, "infixes", None)
    if not infixes or not hasattr(tokenizer, "infix_finditer"):
        return  # custom tokenizers (vi, zh) have no infix rules
    from spacy.util import compile_infix_regex

    kept = [p for p in infixes if _HYPHENS_IN_WORDS not in p]
    if len(kept) != len(infixes):
        tokenizer.infix_finditer = compile_infix_regex(kept).finditer


@functools.cache
def _base_jieba() -> jieba.Tokenizer:
    import jieba

    with _LOCK:
        jieba.setLogLevel(logging.WARNING)
        segmenter = jieba.Tokenizer()
        segmenter.tmp_dir = str(cache_dir())
        segmenter.initialize()
        return segmenter


def _jieba_with(words: frozenset[str]) -> jieba.Tokenizer:
    """jieba with extra dictionary words, without touching the shared default dictionary."""
    base = _base_jieba()
    if not words:
        return base
    import jieba

    with _LOCK:
        segmenter = jieba.Tokenizer()
        segmenter.tmp_dir = base.tmp_dir
        # Copy the parsed dictionary instead of parsing it again (about 1 s each time).
        segmenter.FREQ, segmenter.total = dict(base.FREQ), base.total
        segmenter.initialized = True
        for word in sorted(words):
            segmenter.add_word(word)
        return segmenter


def _polish_lookup() -> Callable[[str], str | None]:
    from nlp.lemmas import lemma_lookup

    return lemma_lookup("pl")


# --------------------------------------------------------------------------------------------
# Keyphrases.


def _phrase_key(phrase: str) -> str:
    return " ".join(unicodedata.normalize("NFC", phrase).lower().split())


def _keyphrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for all keyphrases, longest first, matching whole words (any whitespace)."""
    edge = f"(?<!{_NON_HAN_WORD_CHAR})"
    bodies = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = r"\s+".join(re.escape(part) for part in phrase.split())
        if _word_edge(phrase[-1]):
            body += f"(?!{_NON_HAN_WORD_CHAR})"
        bodies.append((phrase, body))
    if not bodies:
        return None
    words = [(phrase, body) for phrase, body in bodies if _word_edge(phrase[0])]
    others = [body for phrase, body in bodies if not _word_edge(phrase[0])]
    if any(not (_HAN.match(phrase[0]) or phrase[0].isascii()) for phrase, _ in bodies
           if not _word_edge(phrase[0])):  # fmt: skip
        # A text character might match the first character of phrases of both kinds (by
        # case folding): one alternation, longest first.
        return re.compile(
            "|".join((edge if _word_edge(p[0]) else "") + body for p, body in bodies),
            re.IGNORECASE,
        )
    # A position can start phrases of one kind only (a letter or digit; Han or ASCII
    # punctuation), so the kinds can be tried one after the other. Checking the first
    # letter, then the word boundary once for all phrases, rules out most positions far
    # faster than trying each phrase's boundary in turn; the matches are the same.
    parts = []
    if words:
        firsts = "".join(sorted({re.escape(phrase[0]) for phrase, _ in words}))
        parts.append(f"(?=[{firsts}]){edge}(?:{'|'.join(body for _, body in words)})")
    return re.compile("|".join([*parts, *others]), re.IGNORECASE)


def _word_edge(char: str) -> bool:
    """True if a keyphrase edge needs a word boundary (letters and digits, but not Han)."""
    return (char.isalnum() or char == "_") and not _HAN.match(char)


# --------------------------------------------------------------------------------------------


class Tokenizer:
    """Turn posts into tokens (topic models, trends) and into searchable text (FTS5).

    ``keyphrases`` are watch-list names and aliases in any language; each occurrence becomes
    one lower-cased token, whitespace normalised (``"Starfall  Arena"`` → ``"starfall arena"``).
    ``lemmatize=False`` keeps Polish words as written (lower-cased) instead of looking up
    their dictionary forms.
    """

    def __init__(self, keyphrases: Iterable[str] = (), *, lemmatize: bool = True) -> None:
        self.lemmatize = lemmatize
        keys = {_phrase_key(k) for k in keyphrases if k and k.strip()}
        self.keyphrases: frozenset[str] = frozenset(keys)
        self._pattern = _keyphrase_pattern(keys)
        self._han_keyphrases = frozenset(k for k in keys if _HAN.search(k))

    @functools.cached_property
    def _jieba(self) -> jieba.Tokenizer:
        return _jieba_with(self._han_keyphrases)

    def tokens(self, text: str, lang: str | None) -> list[str]:
        """Tokens of one text in language ``lang`` (ISO 639-1; None: guess from the script)."""
        return self.tokens_many([text], [lang])[0]

    def tokens_many(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | str | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[list[str]]:
        """Tokens of many texts, batched per language (much faster than one call per text).

        ``langs`` is one code per text, or a single code (or None) for all of them.
        """
        return self._prepare(texts, langs, progress, with_search=False)[0]

    def tokens_and_search_many(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | str | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[tuple[list[str], str | None]]:
        """``(tokens_many(...)[i], search_text(texts[i], ...))`` for every text, with the
        search text None where the text has no Chinese character.

        Cheaper than calling both: the search text of a Chinese text reuses the jieba cuts
        of its tokens (all of them when the text has no keyphrase, URL or other noise).
        """
        tokens, search = self._prepare(texts, langs, progress, with_search=True)
        return list(zip(tokens, search, strict=True))

    def search_text(self, text: str, lang: str | None) -> str:
        """Text for an SQLite FTS5 ``unicode61`` index in which Chinese words are findable.

        Runs of Chinese are segmented in jieba's search mode and the words separated by
        spaces, so both ``竞技场`` and ``竞技`` match; other text is kept as written (NFC).
        Vietnamese is written with spaces between syllables, so every syllable is a token
        and a phrase query (``"con gái"``) finds the compound; Vietnamese needs no change.
        ``lang`` is accepted for symmetry with :meth:`tokens`: Chinese inside a post in any
        language is segmented.
        """
        clean = unicodedata.normalize("NFC", text or "")
        if not _HAN.search(clean):
            return clean
        return self._search_from_cut(list(self._jieba.cut(clean)))

    # ----------------------------------------------------------------------------------------

    def _prepare(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | str | None,
        progress: Callable[[int, int], None] | None,
        *,
        with_search: bool,
    ) -> tuple[list[list[str]], list[str | None]]:
        """Tokens of every text and, ``with_search``, search texts (None without Han)."""
        if langs is None or isinstance(langs, str):
            langs = [langs] * len(texts)
        if len(langs) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(langs)} languages")
        # Split every text at its keyphrases; the pieces in between go to the language's
        # segmenter in one batch per language, then the pieces are put back in order.
        pieces: list[list[str | list[str]]] = []
        search: list[str | None] = [None] * len(texts)
        # Chinese texts whose search text is cut with their pieces: jieba cuts every run of
        # Chinese on its own, so the runs a text shares with its pieces are cut once.
        chinese: dict[int, tuple[str, dict[str, list[str]]]] = {}
        by_lang: dict[str, list[tuple[int, int, str]]] = {}
        for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
            nfc = unicodedata.normalize("NFC", text or "")
            clean = _denoise(nfc)
            code = self._route(clean, lang)
            if with_search and _HAN.search(nfc):
                if code == "zh":
                    chinese[i] = (nfc, {})
                else:
                    search[i] = self.search_text(nfc, lang)
            parts: list[str | list[str]] = []
            for is_keyphrase, piece in self._split(clean):
                if is_keyphrase:
                    parts.append(piece)
                elif piece.strip():
                    by_lang.setdefault(code, []).append((i, len(parts), piece))
                    parts.append([])
            pieces.append(parts)
        done, total_pieces = 0, sum(len(jobs) for jobs in by_lang.values())
        for code, jobs in by_lang.items():
            for start in range(0, len(jobs), _BATCH):
                batch = jobs[start : start + _BATCH]
                if code == "zh":
                    segmented = [
                        self._chinese_words(self._cut(piece, chinese[i][1] if i in chinese else {}))
                        for i, _, piece in batch
                    ]
                else:
                    segmented = self._segment(code, [piece for _, _, piece in batch])
                for (i, slot, _), words in zip(batch, segmented, strict=True):
                    pieces[i][slot] = words
                done += len(batch)
                if progress is not None:  # in texts, though the work is counted in pieces
                    progress(len(texts) * done // total_pieces, len(texts))
        for i, (nfc, blocks) in chinese.items():
            search[i] = self._search_from_cut(self._cut(nfc, blocks))
        out: list[list[str]] = []
        for parts in pieces:
            tokens: list[str] = []
            for part in parts:
                if isinstance(part, str):
                    tokens.append(part)
                else:
                    tokens.extend(part)
            out.append(tokens)
        if progress is not None:
            progress(len(texts), len(texts))
        return out, search

    def _route(self, text: str, lang: str | None) -> str:
        code = re.split(r"[-_]", (lang or "").strip().lower())[0]  # "zh-CN" -> "zh"
        if code:
            return code
        han = len(_HAN.findall(text))
        return "zh" if han and han * 2 >= len(text.split()) else "xx"

    def _split(self, text: str) -> Iterator[tuple[bool, str]]:
        if self._pattern is None:
            yield False, text
            return
        position = 0
        for match in self._pattern.finditer(text):
            yield False, text[position : match.start()]
            yield True, _phrase_key(match.group())
            position = match.end()
        yield False, text[position:]

    def _segment(self, lang: str, pieces: list[str]) -> list[list[str]]:
        if lang == "zh":
            return [self._chinese(piece) for piece in pieces]
        spacy_pipeline = _spacy_pipeline(lang)
        keeper = _keeper(lang, self.lemmatize and lang in LEMMATIZED)
        if _is_pyvi(spacy_pipeline):
            segmenter = _vietnamese_segmenter()
            kept = [keeper.words(segmenter.words(piece)) for piece in pieces]
        else:
            docs = spacy_pipeline.tokenizer.pipe(pieces, batch_size=_BATCH)
            kept = [keeper.doc(doc) for doc in docs]
        return [
            self._resegment(words, lang) if _UNSPACED.search(piece) else words
            for piece, words in zip(pieces, kept, strict=True)
        ]

    def _resegment(self, words: list[str], lang: str) -> list[str]:
        """Split runs of scripts written without spaces that spaCy left whole: Chinese with
        jieba, others (Japanese kana, Thai, Khmer, ...) into overlapping character pairs."""
        out: list[str] = []
        for word in words:
            if len(word) < 3 or not _UNSPACED.search(word):
                out.append(word)
                continue
            for run in _SCRIPT_RUNS.findall(word):
                if not _UNSPACED.match(run):
                    out.extend([run] if _is_word(run) else [])
                elif lang != "ja" and _HAN_RUN.fullmatch(run):
                    out.extend(self._chinese(run))
                else:
                    pairs = (run[i : i + 2] for i in range(max(1, len(run) - 1)))
                    out.extend(pair for pair in pairs if _is_word(pair))
        return out

    def _chinese(self, piece: str) -> list[str]:
        return self._chinese_words(self._jieba.cut(piece))

    def _chinese_words(self, cut: Iterable[str]) -> list[str]:
        stops = stop_words("zh")
        return [
            word
            for word in (w.strip().lower() for w in cut)
            if word and word not in stops and _is_word(word)
        ]

    def _cut(self, text: str, blocks: dict[str, list[str]]) -> list[str]:
        """``jieba.cut(text)`` (HMM on), its runs of Chinese looked up in ``blocks`` first.

        The loop is jieba's ``Tokenizer.cut``: runs of Chinese (and letters and digits) are
        cut one by one, whitespace is kept whole and other characters one by one.
        """
        import jieba

        han, skip = jieba.re_han_default, jieba.re_skip_default
        cut_block = self._jieba._Tokenizer__cut_DAG  # what cut() does with one run
        words: list[str] = []
        for block in han.split(text):
            if not block:
                continue
            if han.match(block):
                try:
                    words += blocks[block]
                except KeyError:
                    words += blocks.setdefault(block, list(cut_block(block)))
            else:
                for part in skip.split(block):
                    if skip.match(part):
                        words.append(part)
                    else:
                        words.extend(part)
        return words

    def _search_from_cut(self, cut: list[str]) -> str:
        """jieba's ``cut_for_search`` of a text from the text's ``cut``, words joined by
        spaces: before each word longer than two characters come its two-character parts
        in the dictionary, before each longer than three its three-character parts."""
        freq = self._jieba.FREQ
        words: list[str] = []
        for word in cut:
            size = len(word)
            if size > 2:
                words.extend(
                    gram for gram in (word[i : i + 2] for i in range(size - 1)) if freq.get(gram)
                )
            if size > 3:
                words.extend(
                    gram for gram in (word[i : i + 3] for i in range(size - 2)) if freq.get(gram)
                )
            words.append(word)
        return " ".join(w for w in (w.strip() for w in words) if w)


# --------------------------------------------------------------------------------------------
# What is kept of spaCy's tokens, decided once per distinct word.


class _Keeper:
    """The content words of spaCy tokens: lower-cased, lemmatised if asked, no stop words.

    The decision depends only on the token's lexeme (its flags and lower-case form), so it
    is made once per lexeme and remembered; ``None`` means the token is dropped.
    """

    def __init__(
        self, vocab: Vocab, stops: frozenset[str], lemma: Callable[[str], str | None] | None
    ) -> None:
        self._vocab = vocab
        self._stops = stops
        self._lemma = lemma
        self._by_orth: dict[int, str | None] = {}
        self._by_text: dict[str, str | None] = {}

    def doc(self, doc: Doc) -> list[str]:
        from spacy.attrs import ORTH

        return self._kept(doc.to_array(ORTH).tolist(), self._by_orth)

    def words(self, texts: Iterable[str]) -> list[str]:
        """The kept words of the tokens a Doc built from ``texts`` (and the whitespace
        between them) would hold."""
        return self._kept(texts, self._by_text)

    def _kept(self, keys: Iterable[int] | Iterable[str], known: dict[Any, str | None]) -> list[str]:
        """The kept words of lexemes looked up by ``keys`` (orth ids or texts: the vocab
        takes either), remembering each decision in ``known``."""
        kept = []
        for key in keys:
            try:
                word = known[key]
            except KeyError:
                word = known[key] = self._decide(self._vocab[key])
            if word is not None:
                kept.append(word)
        return kept

    def _decide(self, lexeme: Lexeme) -> str | None:
        if lexeme.is_space or lexeme.is_punct or lexeme.like_num or lexeme.like_url:
            return None
        if lexeme.like_email:
            return None
        word = lexeme.lower_
        if word in self._stops or not _is_word(word):
            return None
        if self._lemma is not None:
            base = self._lemma(word)
            if base is not None:
                if base in self._stops:
                    return None
                word = base
        return word


@functools.cache
def _keeper(lang: str, lemmatize: bool) -> _Keeper:
    lemma = _polish_lookup() if lemmatize else None
    return _Keeper(_spacy_pipeline(lang).vocab, stop_words(lang), lemma)


# --------------------------------------------------------------------------------------------
# Vietnamese words: spaCy's VietnameseTokenizer (pyvi's CRF model), without its costs.

# pyvi's syllables as spaCy's copy of it finds them (whitespace kept); no capturing groups,
# so findall returns whole matches.
_VI_SYLLABLES = re.compile(
    r"\s+|[A-ZĐ]+\.|Tp\.|Mr\.|Mrs\.|Ms\.|Dr\.|ThS\.|==>|->|\.\.\.|>>|\w+://[^\s]+"
    r"|[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+|\d+(?:[\.,_]\d+)+|[^\w\s]|\w+"
)


def _is_pyvi(spacy_pipeline: Language) -> bool:
    from spacy.lang.vi import VietnameseTokenizer

    tokenizer = spacy_pipeline.tokenizer
    return type(tokenizer) is VietnameseTokenizer and bool(tokenizer.use_pyvi)


class _VietnameseSegmenter:
    """The words of spaCy's ``VietnameseTokenizer.pyvi_tokenize``, computed faster.

    pyvi builds a dict of CRF features for every syllable (``ViTokenizer.word2features``);
    here the parts that depend on one syllable are computed once per distinct syllable and
    passed to the same CRF model as lists of attribute names. Features whose value is False
    (0.0) are left out: crfsuite multiplies each weight by the feature's value, so they add
    exactly zero to every label's score and the labels are the same.
    """

    def __init__(self) -> None:
        from pyvi import ViTokenizer

        model = ViTokenizer.ViTokenizer
        self._tagger = model.model.tagger_
        self._bigrams: set[str] = model.bi_grams
        self._trigrams: set[str] = model.tri_grams
        self._syllables: dict[str, _Syllable] = {}

    def words(self, text: str) -> list[str]:
        if not text:
            return []
        if text.isspace():
            return [text]
        syllables: list[str] = []
        spaces_before: list[str] = []
        space = ""
        for token in _VI_SYLLABLES.findall(text):
            if token.isspace():
                space = token
            else:
                syllables.append(token)
                spaces_before.append(space)
                space = ""
        info = [self._syllable(syllable) for syllable in syllables]
        labels = self._tagger.tag(self._features(syllables, info))
        words = []
        word = syllables[0]
        for i in range(1, len(labels)):
            this, last = info[i], info[i - 1]
            if (
                labels[i] == "I_W"
                and this.joins
                and last.joins
                and not (this.title_start and not last.title_start)
            ):
                word = word + spaces_before[i] + syllables[i]
            else:
                words.append(word)
                word = syllables[i]
        words.append(word)
        return words

    def _features(self, syllables: list[str], info: list[_Syllable]) -> list[list[str]]:
        """pyvi's ``sent2features`` (in its key order) as lists of true attributes."""
        last = len(syllables) - 1
        bigrams = self._bigrams
        trigrams = self._trigrams
        bigram = [
            f"{a} {b}".lower() in bigrams for a, b in zip(syllables, syllables[1:], strict=False)
        ]
        trigram = [
            f"{a} {b} {c}".lower() in trigrams
            for a, b, c in zip(syllables, syllables[1:], syllables[2:], strict=False)
        ]
        features = []
        for i, syllable in enumerate(info):
            item = list(syllable.own)
            if i > 0:
                item += info[i - 1].before
                if bigram[i - 1]:
                    item.append("-1:word.bi_gram()")
                if i > 1 and trigram[i - 2]:
                    item.append("-2:word.tri_gram()")
            if i < last:
                item += info[i + 1].after
                if bigram[i]:
                    item.append("+1:word.bi_gram()")
                if i < last - 1 and trigram[i]:
                    item.append("+2:word.tri_gram()")
            features.append(item)
        return features

    def _syllable(self, syllable: str) -> _Syllable:
        try:
            return self._syllables[syllable]
        except KeyError:
            found = self._syllables[syllable] = _Syllable(syllable)
            return found


class _Syllable:
    """What pyvi's features and spaCy's joining rules need to know about one syllable."""

    __slots__ = ("after", "before", "joins", "own", "title_start")

    def __init__(self, syllable: str) -> None:
        lower, upper, title = syllable.lower(), syllable.isupper(), syllable.istitle()
        self.own = ("bias", f"word.lower():{lower}") + _true(
            ("word.isupper()", upper),
            ("word.istitle()", title),
            ("word.isdigit()", syllable.isdigit()),
        )
        # As seen from the next syllable (-1:) and from the previous one (+1:).
        self.before = (f"-1:word.lower():{lower}",) + _true(
            ("-1:word.istitle()", title), ("-1:word.isupper()", upper)
        )
        self.after = (f"+1:word.lower():{lower}",) + _true(
            ("+1:word.istitle()", title), ("+1:word.isupper()", upper)
        )
        # spaCy's pyvi_tokenize never joins punctuation or syllables starting with a digit.
        self.joins = syllable not in string.punctuation and not syllable[0].isdigit()
        self.title_start = syllable[0].istitle()


def _true(*features: tuple[str, bool]) -> tuple[str, ...]:
    return tuple(name for name, value in features if value)


@functools.cache
def _vietnamese_segmenter() -> _VietnameseSegmenter:
    with _LOCK:
        return _VietnameseSegmenter()


@functools.lru_cache(maxsize=200_000)
def _is_word(word: str) -> bool:
    """A token worth keeping: has letters, more letters than digits, two or more characters
    (one is enough for a Chinese character)."""
    letters = sum(1 for c in word if c.isalpha())
    if letters == 0:
        return False
    digits = sum(1 for c in word if c.isdigit())
    if digits > letters:
        return False
    return len(word) >= 2 or bool(_HAN.match(word))


# --------------------------------------------------------------------------------------------
# Collocations.


def find_phrases(
    docs_tokens: Iterable[list[str]],
    min_count: int = 5,
    threshold: float = 0.5,
    *,
    max_words: int = 3,
) -> set[tuple[str, ...]]:
    """Frequent collocations in tokenised documents, e.g. ``("battle", "pass")``.

    A pair of adjacent units ``a b`` becomes a phrase when it occurs at least ``min_count``
    times and its normalised pointwise mutual information
    ``npmi = ln(p(ab) / (p(a) p(b))) / -ln p(ab)`` is at least ``threshold`` (npmi is 1 when
    ``a`` and ``b`` only ever occur together, 0 when they are independent). Found pairs are
    merged and the search repeats, so phrases grow up to ``max_words`` tokens.
    """
    _check_phrase_arguments(min_count, threshold)
    # Units (a token, or tokens merged into a phrase) are numbered; the documents become one
    # array of unit numbers in which -1 ends a document, so no pair spans two.
    units: list[tuple[str, ...]] = []
    number: dict[tuple[str, ...], int] = {}
    flat = np.fromiter(
        (
            unit
            for doc in docs_tokens
            for unit in (*(_unit_id((token,), units, number) for token in doc), -1)
        ),
        dtype=np.int64,
    )
    return _phrases_in(flat, units, number, min_count, threshold, max_words)


def find_phrases_encoded(
    ids: np.ndarray,
    offsets: np.ndarray,
    vocabulary: Sequence[str],
    min_count: int = 5,
    threshold: float = 0.5,
    *,
    max_words: int = 3,
) -> set[tuple[str, ...]]:
    """:func:`find_phrases` on documents given as token ids: document ``d`` is
    ``ids[offsets[d]:offsets[d + 1]]``, and id ``t`` stands for ``vocabulary[t]``.

    The same phrases as ``find_phrases`` on the token lists (the search depends on which
    tokens are equal, never on how they are numbered).
    """
    _check_phrase_arguments(min_count, threshold)
    ids = np.asarray(ids, dtype=np.int64)
    present, compact = np.unique(ids, return_inverse=True)
    units = [(vocabulary[t],) for t in present.tolist()]
    number = {unit: i for i, unit in enumerate(units)}
    lengths = np.diff(offsets)
    flat = np.full(len(ids) + len(lengths), -1, dtype=np.int64)
    flat[np.arange(len(ids)) + np.repeat(np.arange(len(lengths)), lengths)] = compact
    return _phrases_in(flat, units, number, min_count, threshold, max_words)


def _check_phrase_arguments(min_count: int, threshold: float) -> None:
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    if not -1.0 <= threshold <= 1.0:
        raise ValueError("threshold is an npmi value between -1 and 1")


def _phrases_in(
    flat: np.ndarray,
    units: list[tuple[str, ...]],
    number: dict[tuple[str, ...], int],
    min_count: int,
    threshold: float,
    max_words: int,
) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for _ in range(max(1, max_words - 1)):
        new = _score_pairs(flat, units, min_count, threshold, max_words) - found
        if not new:
            break
        found |= new
        flat = _merge_units(flat, units, number, found)
    return found


def _unit_id(
    unit: tuple[str, ...], units: list[tuple[str, ...]], number: dict[tuple[str, ...], int]
) -> int:
    found = number.get(unit)
    if found is None:
        found = number[unit] = len(units)
        units.append(unit)
    return found


def _pair_codes(flat: np.ndarray, size: int) -> np.ndarray:
    """``a * size + b`` for each unit and the next one in its document; -1 at a document's end."""
    left, right = flat[:-1], flat[1:]
    return np.where((left >= 0) & (right >= 0), left * size + right, -1)


def _score_pairs(
    flat: np.ndarray,
    units: list[tuple[str, ...]],
    min_count: int,
    threshold: float,
    max_words: int,
) -> set[tuple[str, ...]]:
    """Adjacent unit pairs counted with numpy; npmi of the frequent ones in plain floats."""
    size = len(units)
    if not size:
        return set()
    unit_counts = np.bincount(flat[flat >= 0], minlength=size)
    total = int(unit_counts.sum())
    codes = _pair_codes(flat, size)
    codes, counts = np.unique(codes[codes >= 0], return_counts=True)
    frequent = counts >= min_count
    phrases = set()
    for code, count in zip(codes[frequent].tolist(), counts[frequent].tolist(), strict=True):
        a, b = divmod(code, size)
        if a == b or len(units[a]) + len(units[b]) > max_words:
            continue
        p_ab = count / total
        if p_ab >= 1.0:
            continue
        p_a, p_b = int(unit_counts[a]) / total, int(unit_counts[b]) / total
        pmi = math.log(p_ab / (p_a * p_b))
        if pmi / -math.log(p_ab) >= threshold:
            phrases.add(units[a] + units[b])
    return phrases


def _merge_units(
    flat: np.ndarray,
    units: list[tuple[str, ...]],
    number: dict[tuple[str, ...], int],
    phrases: set[tuple[str, ...]],
) -> np.ndarray:
    """Join adjacent units that form a phrase, left to right: in a run of joinable pairs
    ``a b c d`` the first, third, ... pair is joined (``ab cd``), as a scan would."""
    size = len(units)
    joinable: dict[int, int] = {}  # pair code -> number of the phrase
    for phrase in phrases:
        for cut in range(1, len(phrase)):
            a, b = number.get(phrase[:cut], size), number.get(phrase[cut:], size)
            if a < size and b < size:  # both in the documents (not phrases numbered here)
                joinable[a * size + b] = _unit_id(phrase, units, number)
    if not joinable:
        return flat
    keys = np.fromiter(joinable, dtype=np.int64)
    values = np.fromiter(joinable.values(), dtype=np.int64)
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    codes = _pair_codes(flat, size)
    at = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
    can = keys[at] == codes
    position = np.arange(len(can))
    starts = can & ~np.concatenate(([False], can[:-1]))
    run_start = np.maximum.accumulate(np.where(starts, position, 0))
    take = can & ((position - run_start) % 2 == 0)
    merged = flat.copy()
    merged[:-1][take] = values[at[take]]
    keep = np.ones(len(flat), dtype=bool)
    keep[1:][take] = False
    return merged[keep]


def merge_phrases(tokens: Sequence[str], phrases: set[tuple[str, ...]]) -> list[str]:
    """Join runs of tokens that form a phrase into one token (longest match, left to right):
    ``["new", "battle", "pass"]`` with ``{("battle", "pass")}`` → ``["new", "battle pass"]``."""
    return phrase_merger(phrases)(list(tokens))


def phrase_merger(phrases: set[tuple[str, ...]]) -> Callable[[list[str]], list[str]]:
    """:func:`merge_phrases` for one phrase set, to call once per post: the phrase lengths
    and first words are worked out once instead of on every call."""
    lengths = sorted({len(p) for p in phrases if len(p) > 1}, reverse=True)
    starts = {p[0] for p in phrases}

    def merge(tokens: list[str]) -> list[str]:
        if not lengths:
            return tokens
        out: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            if tokens[i] in starts:
                for size in lengths:
                    if i + size <= n and tuple(tokens[i : i + size]) in phrases:
                        out.append(" ".join(tokens[i : i + size]))
                        i += size
                        break
                else:
                    out.append(tokens[i])
                    i += 1
            else:
                out.append(tokens[i])
                i += 1
        return out

    return merge


# --------------------------------------------------------------------------------------------
# Documents as token ids: phrase merging and term counts with numpy.


def merge_phrases_encoded(
    ids: np.ndarray, offsets: np.ndarray, phrases: dict[tuple[int, ...], int]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`phrase_merger` on documents given as token ids (document ``d`` is
    ``ids[offsets[d]:offsets[d + 1]]``): ``phrases`` maps each phrase, as a tuple of ids, to
    the id of its joined token. Returns the merged ids and their offsets.

    Like the merger, each document is scanned left to right and the longest phrase starting
    at a position is taken; its words are then skipped. Found with numpy: every position's
    longest phrase by walking a trie of the phrases, then the scan's choice among
    overlapping candidates (only those need a Python loop).
    """
    ids = _id_array(ids)
    offsets = np.asarray(offsets, dtype=np.int64)
    phrases = {phrase: t for phrase, t in phrases.items() if len(phrase) > 1}
    if not phrases or not len(ids):
        return ids, offsets
    # The trie: node 0 is the root; an edge is keyed node * size + token id.
    size = int(max(ids.max(), max(max(p) for p in phrases))) + 1
    children: dict[int, int] = {}
    merged_as = [-1]  # per node: id of the phrase ending there, or -1
    for phrase, token in phrases.items():
        node = 0
        for word in phrase:
            key = node * size + word
            if key not in children:
                children[key] = len(merged_as)
                merged_as.append(-1)
            node = children[key]
        merged_as[node] = token
    edge_keys = np.fromiter(children, dtype=np.int64, count=len(children))
    edge_nodes = np.fromiter(children.values(), dtype=np.int64, count=len(children))
    order = np.argsort(edge_keys)
    edge_keys, edge_nodes = edge_keys[order], edge_nodes[order]
    phrase_at = np.asarray(merged_as, dtype=np.int64)
    longest = max(len(p) for p in phrases)

    def step(nodes: np.ndarray, words: np.ndarray) -> np.ndarray:
        keys = nodes * size + words
        at = np.minimum(np.searchsorted(edge_keys, keys), len(edge_keys) - 1)
        return np.where((nodes >= 0) & (edge_keys[at] == keys), edge_nodes[at], -1)

    first_word = np.zeros(size, dtype=bool)
    first_word[[phrase[0] for phrase in phrases]] = True
    starts = np.flatnonzero(first_word[ids])
    doc_end = offsets[np.searchsorted(offsets, starts, side="right")]
    nodes = step(np.zeros(len(starts), dtype=np.int64), ids[starts])
    span = np.zeros(len(starts), dtype=np.int64)
    token = np.full(len(starts), -1, dtype=np.int64)
    for k in range(1, longest):
        inside = starts + k < doc_end
        nodes = step(np.where(inside, nodes, -1), ids[np.minimum(starts + k, len(ids) - 1)])
        ends = (nodes >= 0) & (phrase_at[np.maximum(nodes, 0)] >= 0)
        span[ends] = k + 1
        token[ends] = phrase_at[nodes[ends]]
    found = span > 0
    starts, span, token = starts[found], span[found], token[found]
    if not len(starts):
        return ids, offsets
    # The scan takes a candidate unless an earlier taken one covers it. A candidate that no
    # earlier candidate could cover is taken; the others are decided in order.
    reach = starts + span
    before = np.concatenate(([0], np.maximum.accumulate(reach)[:-1]))
    taken = before <= starts
    if not taken.all():
        group = np.cumsum(taken) - 1
        unsure = np.isin(group, np.unique(group[~taken]))
        end = 0
        for i, start, free in zip(
            np.flatnonzero(unsure).tolist(),
            starts[unsure].tolist(),
            taken[unsure].tolist(),
            strict=True,
        ):
            if free or start >= end:
                taken[i] = True
                end = start + int(span[i])
    starts, span, token = starts[taken], span[taken], token[taken]
    merged = ids.copy()
    merged[starts] = token
    skipped = np.sort(np.concatenate([(starts + k)[span > k] for k in range(1, longest)]))
    keep = np.ones(len(ids), dtype=bool)
    keep[skipped] = False
    return merged[keep], offsets - np.searchsorted(skipped, offsets)


def count_matrix(
    ids: np.ndarray,
    offsets: np.ndarray,
    vocabulary: Sequence[str],
    min_df: int | float = 1,
    max_df: int | float = 1.0,
) -> tuple[sp.csr_matrix, list[str]]:
    """Documents × terms counts of documents given as token ids, and the terms of the
    columns: what ``CountVectorizer(analyzer=..., min_df=..., max_df=..., dtype=float32)``
    gives for the token lists, down to the order of the stored entries.

    CountVectorizer numbers terms as it first meets them, keeps each row's entries in that
    order, then renumbers the columns alphabetically without re-sorting the rows; this does
    the same, so what is computed from the matrix later is the same to the last bit. Raises
    ValueError where CountVectorizer does (no term at all, or none left by ``min_df``).
    """
    from numbers import Integral

    import scipy.sparse as sp

    ids = _id_array(ids)
    offsets = np.asarray(offsets, dtype=np.int64)
    n_docs = len(offsets) - 1
    if not len(ids):
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    n_ids = int(ids.max()) + 1
    first = np.full(n_ids, len(ids), dtype=np.int64)
    np.minimum.at(first, ids, np.arange(len(ids), dtype=np.int64))
    by_first = np.flatnonzero(first < len(ids))
    by_first = by_first[np.argsort(first[by_first], kind="stable")]  # CountVectorizer's order
    rank = np.zeros(n_ids, dtype=ids.dtype)  # ranks are below n_ids, so they fit
    rank[by_first] = np.arange(len(by_first))
    n_terms = len(by_first)
    # One entry per (document, term): scipy sorts each row and adds up repeats.
    grouped = sp.csr_matrix((np.ones(len(ids)), rank[ids], offsets), shape=(n_docs, n_terms))
    grouped.sum_duplicates()
    entry_term, counts = grouped.indices, grouped.data
    entry_doc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(grouped.indptr))
    high = max_df if isinstance(max_df, Integral) else max_df * n_docs
    low = min_df if isinstance(min_df, Integral) else min_df * n_docs
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    df = np.bincount(entry_term, minlength=n_terms)
    kept = (df <= high) & (df >= low)
    if not kept.any():
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    words = [vocabulary[t] for t in by_first[kept].tolist()]
    alphabetical = sorted(range(len(words)), key=words.__getitem__)
    column = np.full(n_terms, -1, dtype=np.int64)
    column[np.flatnonzero(kept)[alphabetical]] = np.arange(len(words))
    stored = kept[entry_term]
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(entry_doc[stored], minlength=n_docs), out=indptr[1:])
    index_type = np.int32 if len(entry_term) <= np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_matrix(
        (
            counts[stored].astype(np.float32),
            column[entry_term[stored]].astype(index_type),
            indptr.astype(index_type),
        ),
        shape=(n_docs, len(words)),
    )
    return matrix, [words[i] for i in alphabetical]


def _id_array(ids: np.ndarray | Sequence[int]) -> np.ndarray:
    """Token ids as an integer array, int32 kept as it is (half the memory of int64)."""
    array = np.asarray(ids)
    return array if array.dtype in (np.int32, np.int64) else array.astype(np.int64)
