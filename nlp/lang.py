"""Offline language detection for posts (ISO 639-1 codes), built on lingua.

The detector answers in three steps, cheapest first:

1. **Script shortcuts.** Han characters without kana are Chinese (``zh``), kana is Japanese,
   Hangul Korean, and scripts that belong to one language (Greek, Hebrew, Thai, ...) decide at
   once. Latin text in which a fair share of words carry letters that only Vietnamese uses
   (``ơ ư`` and the stacked tone marks such as ``ế ợ``) is Vietnamese.
2. **Fast path.** lingua restricted to a few languages (default ``en pl vi zh`` plus the post's
   source hint): thousands of posts/s and ~200 MB. Short quotations and mid-sentence runs of
   capitalised ASCII words (game titles, names) are left out first, so a Polish post quoting
   an English title is judged on its Polish words.
3. **Fallback.** When the fast answer is unsure, lingua with all 75 languages in its
   trigram-only mode: ~2 s to load and ~70 MB, where the full models of all languages take
   15-50 s and ~1 GB here. Checking short unsure texts again with full models changed 2 of
   4,016 three-word SIB-200 answers and cost 10 s of model loading per run, so it is not
   done. The model loads lazily, once per process, and all detectors share it.

"Unsure" means any of: the best restricted confidence is below ``min_confidence`` (texts of
three words or more); a tenth of the words carry letters the winner's alphabet lacks
(``ã ç ß`` in "English"); or the text has six words or more and almost none of the winner's
stop words (German called English).

A source's ``language`` hint never overrides a confident detection: it only decides between
plausible candidates when detection is unsure (see :meth:`LanguageDetector.detect`).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
from lingua import LanguageDetector as _LinguaDetector

from nlp.tokens import stop_words

__all__ = [
    "DEFAULT_LANGUAGES",
    "LanguageDetector",
    "UnsupportedLanguageError",
    "supported_languages",
]

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "pl", "vi", "zh")

# A hint is taken when detection is unsure and the hint's own confidence is at least this.
HINT_FLOOR = 0.05
# Out-of-set signals: share of words with letters foreign to the restricted languages ...
FOREIGN_WORD_SHARE = 0.1
# ... and, for texts of at least STOPWORD_MIN_WORDS words, share of the winner's stop words.
STOPWORD_MIN_WORDS = 6
STOPWORD_MIN_SHARE = 0.1
STOPWORD_MIN_SHARE_WITH_FOREIGN = 0.2
# Latin texts shorter than this many words never fall back for low confidence alone: the
# all-language model is no better on one or two words.
SHORT_TEXT_WORDS = 3
# When the all-language answer is unsure too, the restricted answer stays if the all-language
# model gives it at least this fraction of its own best confidence.
RESTRICTED_KEEP_RATIO = 0.5
# detect_many reports progress and calls lingua in chunks of this many texts.
CHUNK = 2000


class UnsupportedLanguageError(ValueError):
    """A language code that the detector does not know (not one of lingua's 75 languages)."""


Result = tuple[str | None, float]
_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------
# lingua detectors, built lazily and shared by all LanguageDetector instances in a process.
# lingua keeps its language models in process-wide storage, so several detectors share them.

_BUILD_LOCK = threading.Lock()
# The process that started lingua's thread pool (its parallel calls), if any.
_POOL_PID: int | None = None


@functools.cache
def _code_to_language() -> dict[str, Language]:
    return {lang.iso_code_639_1.name.lower(): lang for lang in Language.all()}


@functools.cache
def supported_languages() -> frozenset[str]:
    """ISO 639-1 codes of every language the detector can answer."""
    return frozenset(_code_to_language())


def _language_code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


@functools.lru_cache(maxsize=128)
def _restricted_detector(codes: frozenset[str]) -> _LinguaDetector:
    with _BUILD_LOCK:
        isos = [getattr(IsoCode639_1, code.upper()) for code in sorted(codes)]
        if len(isos) == 1:  # lingua needs at least two languages
            other = "en" if codes != {"en"} else "pl"
            isos.append(getattr(IsoCode639_1, other.upper()))
        return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()


@functools.cache
def _all_detector() -> _LinguaDetector:
    """All 75 languages in lingua's low-accuracy mode (trigram models only): ~2 s to load and
    ~70 MB, where the full models of all languages take 15-50 s here and ~1 GB."""
    with _BUILD_LOCK:
        return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


# --------------------------------------------------------------------------------------------
# Text features: cleaning, scripts, alphabets.

_NOISE = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|\S+@\S+\.\w+"  # e-mail addresses
    r"|[@#](?=\w)"  # the sigil of @mentions and #hashtags (the word stays)
    r"|&[a-z]+;|&#\d+;"  # stray HTML entities
    r"|[\d_]+",  # digits
    re.IGNORECASE,
)
# Every match of _NOISE but its digits contains one of these; most posts contain none, and
# then only the digits alternative can match: far cheaper than trying every alternative
# (the e-mail one above all) at every position.
_NOISE_HINT = re.compile(r"://|www\.|[@#&]", re.IGNORECASE)
_DIGITS = re.compile(r"[\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_LINE_BREAKS = re.compile(r"(?<![.!?:;])[ \t]*[\r\n]+\s*")
# Quoted passages: a quoted title or phrase says little about the language of the post.
# Short ones only: a long quotation is the content of the post (forum quotes).
_QUOTED = re.compile(r'"[^"]{1,60}"|„[^”“"]{1,60}[”“"]|“[^”]{1,60}”|«[^»]{1,60}»|‘[^’]{1,60}’')
_SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", "»", "…")
# Small words that may sit inside a capitalised name ("The Legend of Zelda").
_NAME_GLUE = frozenset({"of", "the", "and", "&", "de", "la", "le", "di", "da", "von", "van", "-"})
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00C0-\u024F\u1E00-\u1EFF]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF]+(?:['’][A-Za-z]+)?")
_HAN = re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0002FA1F]")
_KANA = re.compile(r"[\u3040-\u30FF\u31F0-\u31FF\uFF66-\uFF9F]")
_HANGUL = re.compile(r"[\uAC00-\uD7AF\u1100-\u11FF\u3130-\u318F]")
# Letters of Vietnamese that no other language written in Latin script uses.
_VI_ONLY = re.compile(r"[\u01A0\u01A1\u01AF\u01B0\u1EA0-\u1EF9]")
_VI_WORD = re.compile(r"\w*[\u01A0\u01A1\u01AF\u01B0\u1EA0-\u1EF9]\w*")

# Scripts that belong to one language among lingua's: the script decides.
_SINGLE_SCRIPT_LANGUAGE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\u0370-\u03FF\u1F00-\u1FFF]"), "el"),
    (re.compile(r"[\u0590-\u05FF]"), "he"),
    (re.compile(r"[\u0E00-\u0E7F]"), "th"),
    (re.compile(r"[\u0530-\u058F]"), "hy"),
    (re.compile(r"[\u10A0-\u10FF]"), "ka"),
    (re.compile(r"[\u0980-\u09FF]"), "bn"),
    (re.compile(r"[\u0A80-\u0AFF]"), "gu"),
    (re.compile(r"[\u0A00-\u0A7F]"), "pa"),
    (re.compile(r"[\u0B80-\u0BFF]"), "ta"),
    (re.compile(r"[\u0C00-\u0C7F]"), "te"),
)

# Letters beyond a-z in each Latin-script language lingua knows (lower case). A language that
# is missing here disables the foreign-letter check when it is in the restricted set.
_VIETNAMESE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}


def _vietnamese_letters() -> str:
    letters = {"đ"}
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        char = chr(code).lower()
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], set(decomposed[1:])
        if base in "aeiouy" and marks and marks <= _VIETNAMESE_MARKS:
            letters.add(char)
    return "".join(sorted(letters))


_LATIN_EXTRAS: dict[str, str] = {
    "en": "",
    "pl": "ąćęłńóśźż",
    "vi": _vietnamese_letters(),
    "af": "êëéèîïôöûüáíóú",
    "az": "çəğıöşü",
    "bs": "čćđšž",
    "ca": "àçèéíïòóúü",
    "cs": "áčďéěíňóřšťúůýž",
    "cy": "âêîôûŵŷäëïöüáéíóúàèìòù",
    "da": "æøåé",
    "de": "äöüß",
    "eo": "ĉĝĥĵŝŭ",
    "es": "áéíñóúü",
    "et": "äõöüšž",
    "eu": "ñç",
    "fi": "äöåšž",
    "fr": "àâæçéèêëîïôœùûüÿ",
    "ga": "áéíóú",
    "hr": "čćđšž",
    "hu": "áéíóöőúüű",
    "id": "",
    "is": "áðéíóúýþæö",
    "it": "àèéìíîòóùú",
    "la": "",
    "lg": "ŋ",
    "lt": "ąčęėįšųūž",
    "lv": "āčēģīķļņšūž",
    "mi": "āēīōū",
    "ms": "",
    "nb": "æøåéèóôò",
    "nl": "éëïöüáèóú",
    "nn": "æøåéèóôò",
    "pt": "áâãàçéêíóôõú",
    "ro": "ăâîșțşţ",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "sl": "čšž",
    "sn": "",
    "so": "",
    "sq": "çë",
    "st": "",
    "sv": "åäöé",
    "sw": "",
    "tl": "ñ",
    "tn": "êô",
    "tr": "çğıöşüâî",
    "ts": "",
    "xh": "",
    "yo": "ẹọṣáàéèíìóòúùńḿǹ",
    "zu": "",
}
_NON_LATIN_LANGUAGES = frozenset(
    "ar be bg bn el fa gu he hi hy ja ka kk ko mk mn mr pa ru sr ta te th uk ur zh".split()
)


@functools.lru_cache(maxsize=16)
def _foreign_letter_pattern(codes: frozenset[str]) -> re.Pattern[str] | None:
    """Latin letters with diacritics none of ``codes`` uses; None if an alphabet is unknown."""
    allowed: set[str] = set()
    for code in codes:
        if code in _NON_LATIN_LANGUAGES:
            continue
        extras = _LATIN_EXTRAS.get(code)
        if extras is None:
            return None
        allowed.update(extras)
        allowed.update(extras.upper())
    foreign = [
        chr(c)
        for c in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]
        if chr(c).isalpha() and chr(c) not in allowed
    ]
    return re.compile(r"\w*[" + re.escape("".join(foreign)) + r"]\w*")


@functools.lru_cache(maxsize=16)
def _foreign_letter(codes: frozenset[str]) -> re.Pattern[str] | None:
    """One letter that :func:`_foreign_letter_pattern` looks for: without one, that pattern
    finds nothing (and looking for the letter is far quicker than trying the pattern)."""
    pattern = _foreign_letter_pattern(codes)
    if pattern is None:
        return None
    return re.compile(pattern.pattern.removeprefix(r"\w*").removesuffix(r"\w*"))


@dataclass(frozen=True)
class _Features:
    """What the cheap steps know about a text before lingua runs."""

    text: str  # cleaned
    latin_words: tuple[str, ...]
    shortcut: Result | None  # decided by script alone
    needs_all: bool  # a script outside the restricted languages' (Cyrillic, Arabic, ...)


def _features(raw: str) -> _Features:
    text = unicodedata.normalize("NFC", raw or "")
    # A line break ends a sentence (a title above the body): mark it for the name check.
    text = _LINE_BREAKS.sub(". ", _without_noise(text).strip())
    text = _without_names(" ".join(text.split()))
    if not _LETTER.search(text):
        return _Features(text, (), (None, 0.0), False)
    latin_words = tuple(_LATIN_WORD.findall(text))
    if _NON_LATIN_LETTER.search(text):  # rare in Latin posts: count the scripts
        shortcut = _script_shortcut(text, len(latin_words))
        if shortcut is not None:
            return _Features(text, latin_words, *shortcut)
    if _VI_ONLY.search(text):
        vi_words = len(_VI_WORD.findall(text))
        if (vi_words >= 2 or len(latin_words) <= 2) and vi_words * 5 >= len(latin_words):
            return _Features(text, latin_words, ("vi", 1.0), False)
    return _Features(text, latin_words, None, False)


def _without_noise(text: str) -> str:
    """``_NOISE.sub(" ", text)``, quicker."""
    return _NOISE.sub(" ", text) if _NOISE_HINT.search(text) else _DIGITS.sub(" ", text)


def _without_names(text: str) -> str:
    """Drop quoted passages and mid-sentence runs of two or more capitalised ASCII words
    (names, titles; diacritics are evidence, so those stay) if three words are left: a
    Polish post quoting an English game title reads as Polish, and the other way round."""
    unquoted = " ".join(_QUOTED.sub(" ", text).split())
    words = unquoted.split()
    keep = [True] * len(words)
    i = 1
    while i < len(words):
        if _is_capitalised(words[i]) and not words[i - 1].endswith(_SENTENCE_END):
            j = i + 1
            while (
                j < len(words)
                and not words[j - 1].endswith((*_SENTENCE_END, ","))
                and (_is_capitalised(words[j]) or (words[j] in _NAME_GLUE and j + 1 < len(words)))
            ):
                j += 1
            while j > i and words[j - 1] in _NAME_GLUE:  # a name does not end in "of"
                j -= 1
            if j - i >= 2 and all(word.isascii() for word in words[i:j]):
                keep[i:j] = [False] * (j - i)
            i = max(j, i + 1)
        else:
            i += 1
    kept = [w for w, k in zip(words, keep, strict=True) if k]
    if sum(1 for w in kept if _LETTER.search(w)) >= 3:
        return " ".join(kept)
    return text if len(unquoted.split()) < 3 else unquoted


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _script_shortcut(text: str, latin_words: int) -> tuple[Result | None, bool] | None:
    """Decide by script (shortcut, needs_all), or None when the text is mostly Latin."""
    letters = len(_LETTER.findall(text))
    han = len(_HAN.findall(text))
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    # A CJK character carries about as much as a Latin word, so compare them that way.
    cjk = han + kana + hangul
    if cjk and cjk >= latin_words:
        if kana:
            return ("ja", _share(han + kana, cjk + latin)), False
        if hangul > han:
            return ("ko", _share(hangul, cjk + latin)), False
        if han:
            return ("zh", _share(han, han + latin_words)), False
    other = letters - latin - cjk
    if other > latin:
        for pattern, code in _SINGLE_SCRIPT_LANGUAGE:
            count = len(pattern.findall(text))
            if count * 2 > other:
                return (code, _share(count, letters)), False
        return None, True
    return None


def _share(part: int, whole: int) -> float:
    return round(min(1.0, part / whole), 4) if whole else 0.0


def _out_of_set(features: _Features, winner: str) -> bool:
    """Signs that a Latin text is in a language outside the restricted set.

    Either a tenth of the words carry letters that the winner's alphabet lacks (``ã ç`` in
    a text the restricted set calls English), or the
    text (six words or more) has few of the winner's stop words: under a tenth, or under a
    fifth when some foreign letters are there too. Measured on SIB-200, 5% of English and
    Polish sentences have fewer than 29% and 17% stop words.
    """
    words = features.latin_words
    if not words:
        return False
    foreign_share = 0.0
    codes = frozenset({winner})
    pattern, letter = _foreign_letter_pattern(codes), _foreign_letter(codes)
    if pattern is not None and letter is not None and letter.search(features.text):
        foreign_share = len(pattern.findall(features.text)) / len(words)
        if foreign_share >= FOREIGN_WORD_SHARE:
            return True
    if len(words) >= STOPWORD_MIN_WORDS:
        stops = stop_words(winner)
        if stops:
            stop_share = sum(1 for w in words if w.lower() in stops) / len(words)
            if stop_share < STOPWORD_MIN_SHARE:
                return True
            if foreign_share > 0 and stop_share < STOPWORD_MIN_SHARE_WITH_FOREIGN:
                return True
    return False


def _values(confidences: Sequence[object]) -> dict[str, float]:
    return {
        _language_code(c.language): float(c.value)  # type: ignore[attr-defined]
        for c in confidences
    }


def _best(values: dict[str, float]) -> Result:
    if not values:
        return (None, 0.0)
    code = max(values, key=values.__getitem__)
    return (code, round(values[code], 4))


# --------------------------------------------------------------------------------------------


class LanguageDetector:
    """Detect a post's language: fast restricted lingua, all-language fallback, hints.

    ``languages`` is the fast-path set (ISO 639-1; default ``en pl vi zh``); a call's source
    hint joins it for that call. ``fallback_all`` lets unsure texts go to lingua with all
    languages (trigram models, loaded once per process). ``min_confidence`` is the confidence below
    which an answer counts as unsure. ``parallel=False`` keeps lingua on the calling thread
    (for worker processes that share one core each; lingua's thread pool must not be used in
    a process forked after it started).
    """

    def __init__(
        self,
        languages: Iterable[str] | None = None,
        *,
        fallback_all: bool = True,
        min_confidence: float = 0.5,
        parallel: bool = True,
    ) -> None:
        codes = DEFAULT_LANGUAGES if languages is None else tuple(languages)
        self.languages: frozenset[str] = frozenset(self._check(c) for c in codes)
        if not self.languages:
            raise UnsupportedLanguageError("LanguageDetector needs at least one language")
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1, not {min_confidence}")
        self.fallback_all = fallback_all
        self.min_confidence = min_confidence
        self.parallel = parallel

    @staticmethod
    def _check(code: str) -> str:
        normal = code.strip().lower()
        if normal not in supported_languages():
            raise UnsupportedLanguageError(
                f"unknown language code {code!r}: use an ISO 639-1 code lingua knows, e.g. "
                + ", ".join(DEFAULT_LANGUAGES)
            )
        return normal

    def warm_up(self, hints: Iterable[str | None] = ()) -> None:
        """Load lingua's models for the fast path (and each hint's set) now, without starting
        lingua's thread pool: worker processes forked afterwards share them."""
        for hint in {None, *(_normal_hint(h) for h in hints)}:
            _restricted_detector(self._codes_for(hint)).compute_language_confidence_values(
                "warm up the models"
            )

    def _confidences(self, detector: _LinguaDetector, texts: list[str]) -> list[object]:
        global _POOL_PID
        # lingua's thread pool does not survive fork: a process forked after its parent
        # started it would wait forever for threads it does not have.
        if self.parallel and _POOL_PID in (None, os.getpid()):
            _POOL_PID = os.getpid()
            return detector.compute_language_confidence_values_in_parallel(texts)
        return [detector.compute_language_confidence_values(text) for text in texts]

    def _codes_for(self, hint: str | None) -> frozenset[str]:
        if hint and hint in supported_languages():
            return self.languages | {hint}
        return self.languages

    def detect(self, text: str, hint: str | None = None) -> Result:
        """Return ``(code, confidence)`` for one text; ``(None, 0.0)`` when it has no letters.

        The hint (the source's configured language) is used only when detection is unsure:
        if the restricted answer is below ``min_confidence`` and the hint's own confidence is
        at least 0.05, the hint wins; if the text looks like a language outside the
        restricted set, the all-language answer wins when it is confident, else the hint
        (when plausible), else the restricted answer.
        """
        return self.detect_many([text], [hint])[0]

    def detect_many(
        self,
        texts: Sequence[str],
        hints: Sequence[str | None] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Result]:
        """Detect many texts at once (lingua runs them on all cores unless ``parallel`` is
        off); same rules as detect."""
        if hints is not None and len(hints) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(hints)} hints")
        if hints is not None:
            hints = [_normal_hint(h) for h in hints]
        total = len(texts)
        results: list[Result | None] = [None] * total
        reporter = _Progress(total, progress)
        # Group the texts that need lingua by their language set (configured set + hint).
        groups: dict[frozenset[str], list[tuple[int, _Features]]] = {}
        pending: list[tuple[int, _Features, dict[str, float]]] = []
        for i, text in enumerate(texts):
            features = _features(text)
            if features.shortcut is not None:
                results[i] = features.shortcut
                reporter.add(1)
            elif features.needs_all:
                pending.append((i, features, {}))
            else:
                hint = hints[i] if hints is not None else None
                groups.setdefault(self._codes_for(hint), []).append((i, features))
        reporter.report()

        for codes, members in groups.items():
            detector = _restricted_detector(codes)
            for chunk in _chunks(members):
                batch = self._confidences(detector, [features.text for _, features in chunk])
                for (i, features), confidences in zip(chunk, batch, strict=True):
                    values = _values(confidences)
                    hint = hints[i] if hints is not None else None
                    decided = self._decide_restricted(features, values, hint)
                    if decided is None:
                        pending.append((i, features, values))
                    else:
                        results[i] = decided
                        reporter.add(1)
                reporter.report()

        if pending:
            self._fallback(pending, hints, results, reporter)
        return [r if r is not None else (None, 0.0) for r in results]

    def _decide_restricted(
        self, features: _Features, values: dict[str, float], hint: str | None
    ) -> Result | None:
        """The restricted answer, the hint, or None to ask the all-language detector."""
        best = _best(values)
        if best[0] is None:
            return (None, 0.0)
        out_of_set = _out_of_set(features, best[0])
        if not out_of_set and best[1] >= self.min_confidence:
            return best
        if not out_of_set and hint and values.get(hint, 0.0) >= HINT_FLOOR:
            return (hint, round(values[hint], 4))
        if not self.fallback_all or (
            not out_of_set and len(features.latin_words) < SHORT_TEXT_WORDS
        ):
            return best
        return None

    def _fallback(
        self,
        pending: list[tuple[int, _Features, dict[str, float]]],
        hints: Sequence[str | None] | None,
        results: list[Result | None],
        reporter: _Progress,
    ) -> None:
        if not self.fallback_all:  # only texts in other scripts get here
            for i, _, values in pending:
                hint = hints[i] if hints is not None else None
                results[i] = (hint, 0.0) if hint else _best(values)
            reporter.add(len(pending))
            reporter.report()
            return
        detector = _all_detector()
        for chunk in _chunks(pending):
            batch = self._confidences(detector, [features.text for _, features, _ in chunk])
            for (i, _, restricted), confidences in zip(chunk, batch, strict=True):
                hint = hints[i] if hints is not None else None
                results[i] = self._decide_all(_values(confidences), restricted, hint)
            reporter.add(len(chunk))
            reporter.report()

    def _decide_all(
        self, values: dict[str, float], restricted: dict[str, float], hint: str | None
    ) -> Result:
        best = _best(values)
        if best[0] is not None and best[1] >= self.min_confidence:
            return best
        if hint and values.get(hint, 0.0) >= HINT_FLOOR:
            return (hint, round(values[hint], 4))
        if restricted:
            # Keep the fast-path language while the all-language model finds it about as
            # likely as its own favourite: on short texts that favourite is often noise.
            code, _ = _best(restricted)
            share = values.get(code or "", 0.0)
            if share >= RESTRICTED_KEEP_RATIO * best[1]:
                return (code, round(share, 4))
        return best


def _normal_hint(hint: str | None) -> str | None:
    """``"PL"``, ``" zh-CN "`` -> ``"pl"``, ``"zh"``; codes lingua does not know -> None."""
    if not hint:
        return None
    code = re.split(r"[-_]", hint.strip().lower())[0]
    return code if code in supported_languages() else None


def _chunks(items: list[_T]) -> Iterator[list[_T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class _Progress:
    """Counts finished texts and tells the caller's ``progress(done, total)`` now and then."""

    def __init__(self, total: int, callback: Callable[[int, int], None] | None) -> None:
        self.total, self.done, self.callback, self._told = total, 0, callback, -1

    def add(self, count: int) -> None:
        self.done += count

    def report(self) -> None:
        if self.callback is not None and self.done != self._told:
            self._told = self.done
            self.callback(self.done, self.total)
