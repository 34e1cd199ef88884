"""Audience segments: what authors disclose about themselves and the people they speak for.

A post is tagged with :class:`SegmentMatch` values in three dimensions — gender (female,
male), age (child, teen, adult, senior) and role (parent, student) — from first-person
statements only. What each match is *about*:

``about="author"``
    The segment describes the post's author at the time of writing, because the author says
    so ("as a girl who games", "jako mama", "tôi 15 tuổi", "我是女生") or because a relation
    they state implies it ("my daughter plays" -> the author is a parent).
``about="other"``
    The segment describes a specific person or group in the author's own circle whom the
    author speaks for: "my daughter" (female), "my wife", "all the girls in my class". These
    people are plausibly part of the audience, but they are not the author; audience shifts
    count authors only, so ``other`` matches are stored for researchers and never change an
    author's segment.

Third-person remarks ("women love this game", "she is a mom") are not tagged at all: they
are opinions about others, not disclosures. A statement is dropped when it is negated
("I'm not a girl", "my son, not my daughter") or quoted ("he said 'as a girl...'", lines
starting with ``>``, text after "she said:"). Past-tense verb endings that mark the speaker's
gender (Polish "grałam") describe the author even under negation ("nie grałam" is still said
by a woman), so rules may opt out of the negation check.

The words and patterns live in ``nlp/data/segments/<lang>.yml`` (format and how to extend
it: README.md there); the ``segments:`` block of sources.yml adds to or overrides them.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data" / "segments"
DIMENSIONS_FILE = "dimensions.yml"
ABOUT_VALUES = ("author", "other")
UNKNOWN = "unknown"

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RESERVED_SLOTS = {"age", "START"}
_MACRO_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CLASS_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Quote marks understood in every language (a language file may add more).
UNIVERSAL_QUOTES: tuple[tuple[str, str], ...] = (
    ('"', '"'),
    ("“", "”"),
    ("„", "”"),
    ("„", "“"),
    ("«", "»"),
    ("»", "«"),
    ("「", "」"),
    ("『", "』"),
    ("‘", "’"),
    ("'", "'"),
    ("‚", "’"),
)
_APOSTROPHES = {"'", "’"}
# Where a clause starts, for {START} in patterns.
_START = (
    r"(?:^|(?<=[.!?;:,\n…。！？；：，(\[])|(?<=[.!?;:,…。！？；：，(\[]\s)"
    r"|(?<=[.!?;:,…。！？；：，]\s\s))"
)
_CJK_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2, "兩": 2}
_WORD = re.compile(r"[\w'-]+")
_WORD_PAIR = re.compile(r"\w\w")
_SPACES = re.compile(r"\s*")
_QUOTED_LINE = re.compile(r"(?m)^[ \t]*>.*$")
_SENTENCE_END = re.compile(r"[.!?。！？\n]")
_CJK_NUMERAL = "[零〇一二两兩三四五六七八九十百]{1,4}"

LANGUAGE_KEYS = {
    "name",
    "word_boundaries",
    "window_unit",
    "char_map",
    "cjk_numerals",
    "numbers",
    "macros",
    "negation",
    "clause_breaks",
    "quotes",
    "reported_speech",
    "classes",
    "rules",
    "disable_rules",
}
NEGATION_KEYS = {"cues", "except", "window"}
ENTRY_KEYS = {"terms", "is", "speaker", "age", "unless_followed_by"}
RULE_KEYS = {
    "id",
    "pattern",
    "about",
    "tags",
    "author_tags",
    "negatable",
    "unless_after",
    "unless_before",
    "note",
}
DIMENSION_KEYS = {"segments", "exclusive", "bands"}


# libyaml's safe loader when PyYAML was built with it: the same data, several times faster.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SegmentDataError(ValueError):
    """A mistake in a segment data file or in the sources.yml ``segments:`` block, as one line."""


@dataclass(frozen=True)
class SegmentMatch:
    """One disclosed segment: ``evidence`` is the matched phrase as written in the post."""

    dimension: str  # gender | age | role (or a dimension declared in dimensions.yml)
    segment: str  # female, male, child, teen, adult, senior, parent, student, ...
    evidence: str
    about: str  # "author" (self-disclosure) | "other" (someone the author speaks for)


@dataclass(frozen=True)
class Dimension:
    """A dimension's segments; ``exclusive`` means a person has at most one of them."""

    name: str
    segments: tuple[str, ...]
    exclusive: bool = True
    bands: tuple[tuple[str, int, int], ...] = ()  # (segment, lowest, highest) years, inclusive

    def band(self, years: int) -> str | None:
        """The segment whose age band holds ``years``, or None."""
        for segment, low, high in self.bands:
            if low <= years <= high:
                return segment
        return None


# --------------------------------------------------------------------------- validation


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Check:
    """Shape checks that raise :class:`SegmentDataError` naming ``where``."""

    def __init__(self, origin: str):
        self.origin = origin  # "…/pl.yml" or "segments" (the sources.yml block)

    def place(self, where: str) -> str:
        """``where`` prefixed with the file or block it is in."""
        if not where:
            return self.origin
        if self.origin.endswith((".yml", ".yaml")):
            return f"{self.origin}: {where}"
        return f"{self.origin}.{where}"

    def fail(self, where: str, message: str) -> SegmentDataError:
        return SegmentDataError(f"{self.place(where)}: {message}")

    def mapping(self, value: Any, where: str, what: str) -> dict:
        if not isinstance(value, dict):
            found = type(value).__name__ if value is not None else "nothing"
            raise self.fail(where, f"expected {what} (key: value lines), found {found}")
        return value

    def keys(self, block: dict, allowed: set[str], where: str) -> None:
        for key in block:
            if key not in allowed:
                place = f"{where}.{key}" if where else str(key)
                raise self.fail(
                    place,
                    f"unknown key{_suggest(key, allowed)}; "
                    f"allowed here: {', '.join(sorted(allowed))}",
                )

    def strings(self, value: Any, where: str, *, allow_one: bool = True) -> list[str]:
        if value is None:
            return []
        if allow_one and isinstance(value, str | int):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and str(v).strip() for v in value
        ):
            raise self.fail(where, "expected a list of words or phrases, e.g. [girl, woman]")
        return [str(v).strip() for v in value]

    def flag(self, value: Any, where: str) -> bool | None:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, found {value!r}")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(where, f"expected a whole number from {low} to {high}, found {value!r}")
        return value

    def regex(self, value: str, where: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise self.fail(where, f"not a valid regular expression ({exc}): {value!r}") from None
        return value

    def tags(self, value: Any, where: str, dims: Mapping[str, Dimension]) -> dict[str, str]:
        if value is None:
            return {}
        block = self.mapping(value, where, "tags such as {gender: female, role: parent}")
        tags: dict[str, str] = {}
        for dimension, segment in block.items():
            if dimension not in dims:
                raise self.fail(
                    f"{where}.{dimension}",
                    f"unknown dimension{_suggest(dimension, dims)}; declared: "
                    f"{', '.join(dims)} (declare new ones in dimensions.yml)",
                )
            allowed = dims[dimension].segments
            if segment not in allowed:
                raise self.fail(
                    f"{where}.{dimension}",
                    f"unknown segment {segment!r}{_suggest(str(segment), allowed)}; "
                    f"{dimension} has: {', '.join(allowed)} (declare new ones in dimensions.yml)",
                )
            tags[str(dimension)] = str(segment)
        return tags


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        try:
            return yaml.load(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            return yaml.safe_load(text)  # the same mistake, reported in PyYAML's words
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SegmentDataError(f"{path}: {where}YAML syntax error: {problem}") from None
    except OSError as exc:
        raise SegmentDataError(f"{path}: cannot read the file ({exc.strerror})") from None


def _check_dimensions(
    raw: Any, check: _Check, where: str, base: Mapping[str, Dimension] | None = None
) -> dict[str, Dimension]:
    """Validate a dimensions mapping; with ``base``, merge into it (segments extend)."""
    dims = dict(base or {})
    block = check.mapping(raw, where, "dimensions such as gender: {segments: [female, male]}")
    for name, spec in block.items():
        place = f"{where}.{name}" if where else str(name)
        if not isinstance(name, str) or not _CLASS_NAME.match(name):
            raise check.fail(place, "dimension names are lower-case words, e.g. occupation")
        spec = check.mapping(spec, place, "segments: [...] and optionally exclusive: true")
        check.keys(spec, DIMENSION_KEYS, place)
        old = dims.get(name)
        segments = check.strings(spec.get("segments"), f"{place}.segments", allow_one=False)
        if old is None and not segments:
            raise check.fail(f"{place}.segments", "missing; list the segments of this dimension")
        for segment in segments:
            if not _CLASS_NAME.match(segment) or segment == UNKNOWN:
                raise check.fail(
                    f"{place}.segments",
                    f"{segment!r}: segment names are lower-case words other than 'unknown'",
                )
        merged = tuple(dict.fromkeys([*(old.segments if old else ()), *segments]))
        exclusive = check.flag(spec.get("exclusive"), f"{place}.exclusive")
        if exclusive is None:
            exclusive = old.exclusive if old else True
        bands = {seg: (low, high) for seg, low, high in (old.bands if old else ())}
        raw_bands = spec.get("bands")
        if raw_bands is not None:
            raw_bands = check.mapping(raw_bands, f"{place}.bands", "segment: [lowest, highest]")
            for segment, span in raw_bands.items():
                band_place = f"{place}.bands.{segment}"
                if segment not in merged:
                    raise check.fail(band_place, f"not a segment of {name}: {', '.join(merged)}")
                if not (isinstance(span, list) and len(span) == 2):
                    raise check.fail(band_place, "expected [lowest, highest] ages, e.g. [13, 19]")
                low = check.integer(span[0], band_place, 0, 150)
                high = check.integer(span[1], band_place, low, 150)
                bands[str(segment)] = (low, high)
        dims[name] = Dimension(
            name=name,
            segments=merged,
            exclusive=exclusive,
            bands=tuple(
                (seg, low, high) for seg, (low, high) in sorted(bands.items(), key=lambda x: x[1])
            ),
        )
    return dims


@functools.lru_cache(maxsize=8)
def _shipped_dimensions(path: Path) -> dict[str, Dimension]:
    return _check_dimensions(_read_yaml(path), _Check(str(path)), "")


def load_dimensions(
    extra: Mapping[str, Any] | None = None, *, data_dir: Path = DATA_DIR
) -> dict[str, Dimension]:
    """The declared dimensions (``dimensions.yml``), plus ``extra["dimensions"]`` if given."""
    dims = dict(_shipped_dimensions(Path(data_dir) / DIMENSIONS_FILE))
    if extra and extra.get("dimensions") is not None:
        dims = _check_dimensions(extra["dimensions"], _Check("segments"), "dimensions", dims)
    return dims


@dataclass
class _EntrySpec:
    terms: list[str]
    is_: dict[str, str]
    speaker: dict[str, str]
    unless_followed_by: list[str]
    where: str


@dataclass
class _RuleSpec:
    id: str
    pattern: str
    about: str
    tags: dict[str, str]
    author_tags: dict[str, str]
    negatable: bool
    unless_after: list[str]
    unless_before: list[str]
    where: str  # for error messages: "…/pl.yml: rules[3] (jako)"


@dataclass
class _LanguageSpec:
    name: str | None = None
    word_boundaries: bool | None = None
    window_unit: str | None = None
    cjk_numerals: bool | None = None
    negation_window: int | None = None
    char_map: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    macros: dict[str, str] = field(default_factory=dict)
    negation_cues: list[str] = field(default_factory=list)
    negation_except: list[str] = field(default_factory=list)
    clause_breaks: list[str] = field(default_factory=list)
    quotes: list[tuple[str, str]] = field(default_factory=list)
    reported_speech: list[str] = field(default_factory=list)
    classes: dict[str, list[_EntrySpec]] = field(default_factory=dict)
    rules: dict[str, _RuleSpec] = field(default_factory=dict)
    disable_rules: list[tuple[str, str]] = field(default_factory=list)  # (id, where)

    def merge(self, other: _LanguageSpec) -> _LanguageSpec:
        """``other`` on top of this one: scalars replace, lists extend, rules replace by id."""
        merged = _LanguageSpec(
            name=other.name or self.name,
            word_boundaries=_first(other.word_boundaries, self.word_boundaries),
            window_unit=other.window_unit or self.window_unit,
            cjk_numerals=_first(other.cjk_numerals, self.cjk_numerals),
            negation_window=_first(other.negation_window, self.negation_window),
            char_map={**self.char_map, **other.char_map},
            numbers={**self.numbers, **other.numbers},
            macros={**self.macros, **other.macros},
            negation_cues=[*self.negation_cues, *other.negation_cues],
            negation_except=[*self.negation_except, *other.negation_except],
            clause_breaks=[*self.clause_breaks, *other.clause_breaks],
            quotes=[*self.quotes, *other.quotes],
            reported_speech=[*self.reported_speech, *other.reported_speech],
            classes={name: list(entries) for name, entries in self.classes.items()},
            rules={**self.rules, **other.rules},
            disable_rules=[*self.disable_rules, *other.disable_rules],
        )
        for name, entries in other.classes.items():
            merged.classes.setdefault(name, []).extend(entries)
        return merged


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def _check_language(
    raw: Any, check: _Check, where: str, dims: Mapping[str, Dimension]
) -> _LanguageSpec:
    """Validate one language block (a whole file or a sources.yml addition)."""

    def at(key: str) -> str:
        return f"{where}.{key}" if where else key

    block = check.mapping(raw, where, "a language definition with classes and rules")
    check.keys(block, LANGUAGE_KEYS, where)
    spec = _LanguageSpec()
    if block.get("name") is not None:
        spec.name = str(block["name"])
    spec.word_boundaries = check.flag(block.get("word_boundaries"), at("word_boundaries"))
    spec.cjk_numerals = check.flag(block.get("cjk_numerals"), at("cjk_numerals"))
    unit = block.get("window_unit")
    if unit is not None:
        if unit not in ("words", "chars"):
            raise check.fail(at("window_unit"), f"expected words or chars, found {unit!r}")
        spec.window_unit = unit

    char_map = block.get("char_map") or {}
    for source, target in check.mapping(char_map, at("char_map"), "single characters").items():
        if not (isinstance(source, str) and isinstance(target, str)):
            raise check.fail(at("char_map"), "map one character to one character, e.g. '’': \"'\"")
        if len(source) != 1 or len(target) != 1:
            raise check.fail(
                f"{at('char_map')}.{source}", "map one character to one character, e.g. 兒: 儿"
            )
        spec.char_map[source] = target

    numbers = check.mapping(block.get("numbers") or {}, at("numbers"), "word: number lines")
    for word, value in numbers.items():
        spec.numbers[str(word)] = check.integer(value, f"{at('numbers')}.{word}", 0, 150)

    macros = check.mapping(block.get("macros") or {}, at("macros"), "NAME: regex lines")
    for name, value in macros.items():
        place = f"{at('macros')}.{name}"
        if not isinstance(name, str) or not _MACRO_NAME.match(name) or name == "START":
            raise check.fail(place, "macro names are UPPER_CASE (and START is built in)")
        if not isinstance(value, str):
            raise check.fail(place, "expected a regular expression (text)")
        spec.macros[name] = value

    negation = block.get("negation")
    if negation is not None:
        negation = check.mapping(negation, at("negation"), "cues, except and window")
        check.keys(negation, NEGATION_KEYS, at("negation"))
        spec.negation_cues = check.strings(negation.get("cues"), f"{at('negation')}.cues")
        spec.negation_except = check.strings(negation.get("except"), f"{at('negation')}.except")
        if negation.get("window") is not None:
            spec.negation_window = check.integer(
                negation["window"], f"{at('negation')}.window", 0, 50
            )

    for key in ("clause_breaks", "reported_speech"):
        values = check.strings(block.get(key), at(key))
        for index, value in enumerate(values):
            check.regex(value, f"{at(key)}[{index}]")
        setattr(spec, key, values)

    quotes = block.get("quotes") or []
    if not isinstance(quotes, list):
        raise check.fail(at("quotes"), "expected a list of [opening, closing] pairs")
    for index, pair in enumerate(quotes):
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(q, str) and len(q) == 1 for q in pair)
        ):
            raise check.fail(
                f"{at('quotes')}[{index}]",
                'expected [opening, closing] marks of one character each, e.g. ["„", "”"]',
            )
        spec.quotes.append((pair[0], pair[1]))

    classes = check.mapping(block.get("classes") or {}, at("classes"), "class: [entries]")
    for name, entries in classes.items():
        place = f"{at('classes')}.{name}"
        if not isinstance(name, str) or not _CLASS_NAME.match(name) or name in _RESERVED_SLOTS:
            raise check.fail(place, "class names are lower-case words (and 'age' is built in)")
        if not isinstance(entries, list) or not entries:
            raise check.fail(place, "expected a list of entries ('- terms: [...]')")
        spec.classes[name] = [
            _check_entry(entry, check, f"{place}[{i}]", dims) for i, entry in enumerate(entries)
        ]

    rules = block.get("rules") or []
    if not isinstance(rules, list):
        raise check.fail(at("rules"), "expected a list of rules ('- id: ...')")
    for index, raw_rule in enumerate(rules):
        rule = _check_rule(raw_rule, check, f"{at('rules')}[{index}]", dims)
        if rule.id in spec.rules:
            raise check.fail(f"{at('rules')}[{index}].id", f"duplicate rule id {rule.id!r}")
        spec.rules[rule.id] = rule

    disabled = check.strings(block.get("disable_rules"), at("disable_rules"))
    spec.disable_rules = [
        (rule_id, check.place(f"{at('disable_rules')}[{i}]")) for i, rule_id in enumerate(disabled)
    ]
    return spec


def _check_entry(raw: Any, check: _Check, where: str, dims: Mapping[str, Dimension]) -> _EntrySpec:
    block = check.mapping(raw, where, "an entry with terms and tags")
    check.keys(block, ENTRY_KEYS, where)
    terms = check.strings(block.get("terms"), f"{where}.terms")
    if not terms:
        raise check.fail(f"{where}.terms", "missing; list the words, e.g. terms: [girl, gal]")
    is_ = check.tags(block.get("is"), f"{where}.is", dims)
    if block.get("age") is not None:
        years = check.integer(block["age"], f"{where}.age", 0, 150)
        age = dims.get("age")
        band = age.band(years) if age else None
        if band is None:
            raise check.fail(f"{where}.age", f"{years} falls in no age band of dimensions.yml")
        if "age" in is_ and is_["age"] != band:
            raise check.fail(f"{where}.age", f"age {years} is {band}, but is.age says {is_['age']}")
        is_["age"] = band
    speaker = check.tags(block.get("speaker"), f"{where}.speaker", dims)
    if not is_ and not speaker:
        raise check.fail(where, "an entry needs 'is:' tags, 'speaker:' tags or an 'age:'")
    followed = check.strings(block.get("unless_followed_by"), f"{where}.unless_followed_by")
    return _EntrySpec(
        terms=terms, is_=is_, speaker=speaker, unless_followed_by=followed, where=check.place(where)
    )


def _check_rule(raw: Any, check: _Check, where: str, dims: Mapping[str, Dimension]) -> _RuleSpec:
    block = check.mapping(raw, where, "a rule with id, pattern and about")
    check.keys(block, RULE_KEYS, where)
    rule_id = block.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise check.fail(f"{where}.id", "missing; give every rule a short unique id")
    named = f"{where} ({rule_id})"
    pattern = block.get("pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        raise check.fail(f"{named}.pattern", "missing; write the phrase to look for")
    about = block.get("about")
    if about not in ABOUT_VALUES:
        raise check.fail(
            f"{named}.about",
            f"expected 'author' (the author about themself) or 'other' (someone they speak "
            f"for), found {about!r}",
        )
    negatable = check.flag(block.get("negatable"), f"{named}.negatable")
    unless_after = check.strings(block.get("unless_after"), f"{named}.unless_after")
    unless_before = check.strings(block.get("unless_before"), f"{named}.unless_before")
    return _RuleSpec(
        id=rule_id.strip(),
        pattern=pattern,
        about=about,
        tags=check.tags(block.get("tags"), f"{named}.tags", dims),
        author_tags=check.tags(block.get("author_tags"), f"{named}.author_tags", dims),
        negatable=True if negatable is None else negatable,
        unless_after=unless_after,
        unless_before=unless_before,
        where=check.place(named),
    )


# --------------------------------------------------------------------------- compiling


@dataclass(frozen=True)
class _Entry:
    is_: tuple[tuple[str, str], ...]
    speaker: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Rule:
    id: str
    regex: re.Pattern[str]
    about: str
    tags: tuple[tuple[str, str], ...]
    author_tags: tuple[tuple[str, str], ...]
    negatable: bool
    unless_after: re.Pattern[str] | None
    slots: tuple[str, ...]  # group names: "age" or "c_<class>"
    anchored: bool  # the pattern starts with {START}: tried only where clauses start


@dataclass(frozen=True)
class _Language:
    code: str
    name: str
    rules: tuple[_Rule, ...]
    entries: dict[str, dict[str, _Entry]]  # class -> folded term -> entry
    numbers: dict[str, int]
    cjk_numerals: bool
    fold: dict[int, str]
    word_boundaries: bool
    window: int
    window_unit: str
    negation: re.Pattern[str] | None
    negation_except: re.Pattern[str] | None
    clause_breaks: re.Pattern[str]
    quotes: tuple[tuple[str, str], ...]
    reported_speech: re.Pattern[str] | None


def _key(term: str) -> str:
    return " ".join(term.casefold().split())


def _trie_regex(terms: Mapping[str, str]) -> str:
    """An alternation of literal ``terms`` with shared prefixes factored out.

    Each term maps to a regex appended where it ends (a boundary, a lookahead). Python's
    regex engine tries alternatives one by one at every position, so a list of a hundred
    words ("grałam|grałem|...") becomes a tree ("gra(?:łam|łem)") that fails fast.
    """
    root: dict[str, Any] = {}
    for term, suffix in terms.items():
        node = root
        for token in re.findall(r"\s+|\S", term.strip()):
            node = node.setdefault(" " if token.isspace() else token, {})
        node[""] = suffix  # "" marks the end of a term

    def emit(node: dict[str, Any]) -> str:
        branches = [
            (r"\s+" if token == " " else re.escape(token)) + emit(child)
            for token, child in sorted(node.items())
            if token
        ]
        if "" in node:
            branches.append(node[""])  # after the longer terms: the longest match wins
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return emit(root) if root else "(?!)"


def _words_regex(words: Iterable[str], boundaries: bool) -> str:
    alternatives = _trie_regex({word: "" for word in words})
    if not boundaries:
        return f"(?:{alternatives})"
    return rf"(?<!\w)(?:{alternatives})(?!\w)"


def _lower(text: str) -> str:
    """Lower case, keeping every character in its place (matching is done on this)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _lower_pattern(pattern: str) -> str:
    """A regex for lower-cased text: letters lowered, escapes (\\W, \\S) and group names kept.

    Matching lower-cased text without re.IGNORECASE lets Python's engine skip quickly over
    positions where a pattern cannot start, several times faster on long posts.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif pattern.startswith("(?P", i):
            end = pattern.find(">", i) if pattern.startswith("(?P<", i) else pattern.find(")", i)
            out.append(pattern[i : end + 1])
            i = end + 1
        else:
            out.append(pattern[i].lower())
            i += 1
    return "".join(out)


def _compile(pattern: str, where: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(_lower_pattern(pattern), flags)
    except re.error as exc:
        raise SegmentDataError(f"{where}: not a valid pattern ({exc})") from None


def _spaces(pattern: str) -> str:
    """Spaces outside [...] match any whitespace run: ' ' -> \\s+, ' ?' or ' *' -> \\s*."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "]":  # "[]...]" keeps the ] literal
                out.append("]")
                i += 1
        elif char == " ":
            following = pattern[i + 1 : i + 2]
            if following in ("?", "*"):
                out.append(r"\s*")
                i += 1
            elif following == "+":
                out.append(r"\s+")
                i += 1
            else:
                out.append(r"\s+")
        else:
            out.append(char)
        i += 1
    return "".join(out)


class _Compiler:
    def __init__(self, code: str, spec: _LanguageSpec, dims: Mapping[str, Dimension]):
        self.code = code
        self.spec = spec
        self.dims = dims
        self.boundaries = spec.word_boundaries if spec.word_boundaries is not None else True
        # Texts are folded with char_map before matching, so the words and patterns are too.
        self.fold = {ord(k): v for k, v in spec.char_map.items()}
        self.entries: dict[str, dict[str, _Entry]] = {}
        self.class_regex: dict[str, str] = {}
        for name, entry_specs in spec.classes.items():
            self._add_class(name, entry_specs)

    def _add_class(self, name: str, entry_specs: Sequence[_EntrySpec]) -> None:
        by_term: dict[str, tuple[str, _Entry, str]] = {}
        for entry_spec in entry_specs:  # later entries override earlier ones, term by term
            entry = _Entry(
                is_=tuple(sorted(entry_spec.is_.items())),
                speaker=tuple(sorted(entry_spec.speaker.items())),
            )
            followed = ""
            if entry_spec.unless_followed_by:
                where = f"{entry_spec.where}.unless_followed_by"
                followed = self.context(entry_spec.unless_followed_by, where)
            for term in entry_spec.terms:
                term = term.translate(self.fold)
                by_term[_key(term)] = (term, entry, followed)
        self.entries[name] = {key: entry for key, (_, entry, _) in by_term.items()}
        ends: dict[str, str] = {}
        for term, _, followed in by_term.values():
            suffix = r"(?!\w)" if self.boundaries and re.match(r"\w", term[-1]) else ""
            if followed:
                suffix += rf"(?!\s*(?:{followed}))"
            ends[_lower(" ".join(term.split()))] = suffix
        self.class_regex[name] = _trie_regex(ends)

    def age_regex(self) -> str:
        parts = [r"(?<!\d)\d{1,3}(?!\d)"]
        if self.spec.numbers:
            parts.append(_words_regex(self.spec.numbers, self.boundaries))
        if self.spec.cjk_numerals:
            parts.append(_CJK_NUMERAL)
        return "|".join(parts)

    def expand(self, pattern: str, where: str, slots: list[str], depth: int = 0) -> str:
        if depth > 5:
            raise SegmentDataError(f"{where}.pattern: macros refer to each other in a loop")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "START":
                return _START
            if name == "age":
                if "age" not in self.dims or not self.dims["age"].bands:
                    raise SegmentDataError(
                        f"{where}.pattern: {{age}} needs age bands in dimensions.yml"
                    )
                return self._slot("age", self.age_regex(), slots, where)
            if _MACRO_NAME.match(name):
                if name not in self.spec.macros:
                    raise SegmentDataError(
                        f"{where}.pattern: unknown macro {{{name}}}"
                        f"{_suggest(name, self.spec.macros)}; define it under macros:"
                    )
                return "(?:" + self.expand(self.spec.macros[name], where, slots, depth + 1) + ")"
            if name not in self.class_regex:
                raise SegmentDataError(
                    f"{where}.pattern: unknown class {{{name}}}"
                    f"{_suggest(name, self.class_regex)}; define it under classes:"
                )
            return self._slot(f"c_{name}", self.class_regex[name], slots, where)

        return _NAME.sub(replace, _spaces(pattern.translate(self.fold)))

    def context(self, patterns: Sequence[str], where: str) -> str:
        """unless_after / unless_before: patterns that may use macros but not classes."""
        slots: list[str] = []
        alternatives = "|".join(self.expand(p, where, slots) for p in patterns)
        if slots:
            raise SegmentDataError(f"{where}: use words or macros here, not {{classes}}")
        return alternatives

    @staticmethod
    def _slot(group: str, body: str, slots: list[str], where: str) -> str:
        if group in slots:
            raise SegmentDataError(f"{where}.pattern: {{{group.removeprefix('c_')}}} used twice")
        slots.append(group)
        return f"(?P<{group}>{body})"

    def rule(self, spec: _RuleSpec) -> Callable[[], _Rule]:
        """The rule's regexes written out (mistakes in them raise here), and a function that
        compiles them."""
        slots: list[str] = []
        pattern = spec.pattern.strip()
        anchored = pattern.startswith("{START}")
        if anchored:  # much faster than a lookbehind tried at every position
            pattern = pattern.removeprefix("{START}")
        body = self.expand(pattern, spec.where, slots)
        if spec.unless_before:
            following = self.context(spec.unless_before, f"{spec.where}.unless_before")
            body += rf"(?!\s*(?:{following})"
            body += r"(?!\w))" if self.boundaries else ")"
        if self.boundaries:  # the start is checked in SegmentTagger: see _word_start
            body = rf"(?:{body})(?:(?<=\W)|(?!\w))"
        after = None
        if spec.unless_after:
            preceding = self.context(spec.unless_after, f"{spec.where}.unless_after")
            left = r"(?<!\w)" if self.boundaries else ""
            after = rf"{left}(?:{preceding})\s*$"

        def build() -> _Rule:
            return _Rule(
                id=spec.id,
                regex=_compile(body, f"{spec.where}.pattern", re.MULTILINE),
                about=spec.about,
                tags=tuple(sorted(spec.tags.items())),
                author_tags=tuple(sorted(spec.author_tags.items())),
                negatable=spec.negatable,
                unless_after=(
                    _compile(after, f"{spec.where}.unless_after") if after is not None else None
                ),
                slots=tuple(slots),
                anchored=anchored,
            )

        return build

    def language(self, origin: str) -> Callable[[], _Language]:
        """Check the language and write out its regexes (mistakes raise here); the returned
        function compiles them, which costs far more: a tagger does that on first use."""
        spec = self.spec
        rules = dict(spec.rules)
        for rule_id, where in spec.disable_rules:
            if rule_id not in rules:
                raise SegmentDataError(
                    f"{where}: no rule {rule_id!r} in {self.code}{_suggest(rule_id, rules)}"
                )
            del rules[rule_id]
        if not rules:
            raise SegmentDataError(f"{origin}: language {self.code!r} has no rules")
        boundaries = self.boundaries

        def optional(words: list[str]) -> str | None:
            if not words:
                return None
            folded = [word.translate(self.fold) for word in words]
            return _words_regex(folded, boundaries)

        def compiled(pattern: str | None, where: str) -> re.Pattern[str] | None:
            return _compile(pattern, where) if pattern is not None else None

        rule_builders = [self.rule(rule) for rule in rules.values()]
        negation = optional(spec.negation_cues)
        negation_except = optional(spec.negation_except)
        clause = "|".join([*spec.clause_breaks, r"[.!?;…。！？；\n]"]).translate(self.fold)
        speech = "|".join(f"(?:{r.translate(self.fold)})" for r in spec.reported_speech)
        return lambda: _Language(
            code=self.code,
            name=spec.name or self.code,
            rules=tuple(build() for build in rule_builders),
            entries=self.entries,
            numbers={
                _key(word.translate(self.fold)): value for word, value in spec.numbers.items()
            },
            cjk_numerals=bool(spec.cjk_numerals),
            fold=self.fold,
            word_boundaries=self.boundaries,
            window=spec.negation_window if spec.negation_window is not None else 3,
            window_unit=spec.window_unit or "words",
            negation=compiled(negation, f"{origin}: negation.cues"),
            negation_except=compiled(negation_except, f"{origin}: negation.except"),
            clause_breaks=_compile(clause, f"{origin}: clause_breaks"),
            quotes=tuple(spec.quotes),
            reported_speech=compiled(speech or None, f"{origin}: reported_speech"),
        )


# --------------------------------------------------------------------------- matching


def _cjk_number(text: str) -> int | None:
    """Chinese numerals: 十五 -> 15, 二十三 -> 23, 四十 -> 40, 一百零五 -> 105."""
    total = 0
    current = 0
    for char in text:
        if char in _CJK_DIGITS:
            current = _CJK_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def _quoted_spans(text: str, pairs: Iterable[tuple[str, str]]) -> list[tuple[int, int]]:
    """Character spans inside quotation marks, and lines quoted with a leading '>'."""
    spans: list[tuple[int, int]] = [m.span() for m in _QUOTED_LINE.finditer(text)]
    closers_of: dict[str, str] = {}
    for opening, closing in pairs:
        closers_of[opening] = closers_of.get(opening, "") + closing
    marks = re.compile("[" + re.escape("".join(closers_of)) + "]")
    position = 0
    while (mark := marks.search(text, position)) is not None:
        i = mark.start()
        char = text[i]
        if char in _APOSTROPHES and not _opens_quote(text, i):
            position = i + 1
            continue
        end = _find_closer(text, i + 1, closers_of[char])
        if end is None:  # unclosed: quoted to the end of the line
            line_end = text.find("\n", i)
            end = len(text) if line_end < 0 else line_end
            spans.append((i, end))
            position = end
        else:
            spans.append((i, end + 1))
            position = end + 1
    return spans


def _opens_quote(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in "([{:—–-") and not after.isspace()


def _find_closer(text: str, start: int, closers: str) -> int | None:
    """The closing mark of a quote opened before ``start``; None at a paragraph break."""
    candidates = re.compile("[" + re.escape(closers) + "]|\n\n")
    position = start
    while (found := candidates.search(text, position)) is not None:
        j = found.start()
        if found.group() == "\n\n":
            return None  # a quote does not run over a paragraph break
        if text[j] in _APOSTROPHES:
            after = text[j + 1] if j + 1 < len(text) else " "
            if text[j - 1].isspace() or after.isalnum():
                position = j + 1
                continue  # an apostrophe inside a word: "can't", "I'm"
        return j
    return None


def _inside(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


class _CompatibilityTable(dict):
    """str.translate table: a character's NFKC form when that is one character (１ -> 1)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        self[code] = folded if len(folded) == 1 else char
        return self[code]


_COMPATIBLE = _CompatibilityTable()


def _compatible(text: str) -> str:
    """Compatibility forms (full-width digits, ...) folded one character at a time.

    Folding keeps every character's position, so a match found in the folded text is cut
    from the text as written for its evidence.
    """
    return text if text.isascii() else text.translate(_COMPATIBLE)


class SegmentTagger:
    """Find audience segments disclosed in posts, with rules loaded from data files.

    ``languages`` limits which ``<lang>.yml`` files are loaded (default: all, plus any
    language the ``extra`` block defines). ``extra`` is the ``segments:`` block of
    sources.yml: per language code, classes to extend (a term listed again overrides its
    tags), rules to add or replace (same ``id``), ``disable_rules``, and a ``dimensions``
    key that declares new segments. Mistakes raise :class:`SegmentDataError` naming the place.
    """

    def __init__(
        self,
        languages: Iterable[str] | None = None,
        extra: Mapping[str, Any] | None = None,
        *,
        data_dir: Path | str = DATA_DIR,
    ) -> None:
        data_dir = Path(data_dir)
        check = _Check("segments")
        if extra is not None:
            extra = check.mapping(extra, "", "language codes (pl, vi, zh, en) with additions")
            for key in extra:
                if key != "dimensions" and not (isinstance(key, str) and LANGUAGE_CODE.match(key)):
                    raise check.fail(
                        str(key),
                        "expected a two-letter language code (pl, vi, zh, en) or 'dimensions'",
                    )
        extra = dict(extra or {})
        self.dimensions: dict[str, Dimension] = load_dimensions(extra, data_dir=data_dir)
        shipped = {
            path.stem: path
            for path in sorted(data_dir.glob("*.yml"))
            if LANGUAGE_CODE.match(path.stem)
        }
        added = [code for code in extra if code != "dimensions"]
        available = sorted(set(shipped) | set(added))
        if languages is None:
            wanted = available
        else:
            wanted = [_lang_code(code) or str(code) for code in languages]
            for code in wanted:
                if code not in available:
                    raise SegmentDataError(
                        f"no segment data for language {code!r}; add {data_dir / (code + '.yml')} "
                        f"or a 'segments: {code}:' block in sources.yml (available: "
                        f"{', '.join(available)})"
                    )
        # A language's regexes are compiled when a post is first tagged in it (or by
        # compile()); those extended in sources.yml at once, so mistakes there show up here.
        self._builders: dict[str, Callable[[], _Language]] = {}
        self._languages: dict[str, _Language] = {}
        for code in dict.fromkeys(wanted):
            spec = _LanguageSpec()
            origin = f"segments.{code}"
            if code in shipped:
                path = shipped[code]
                origin = str(path)
                spec = _check_language(_read_yaml(path), _Check(str(path)), "", self.dimensions)
            if code in extra:
                addition = _check_language(extra[code], check, code, self.dimensions)
                spec = spec.merge(addition)
            self._builders[code] = _Compiler(code, spec, self.dimensions).language(origin)
        self.compile([code for code in self._builders if code in extra] or ())

    @property
    def languages(self) -> tuple[str, ...]:
        """The loaded language codes."""
        return tuple(self._builders)

    def compile(self, languages: Iterable[str | None] | None = None) -> None:
        """Compile the rules :meth:`tag` uses for posts in these languages (default: all) now
        rather than on first use, e.g. before forking workers so that they share the work."""
        codes = [_lang_code(lang) for lang in languages] if languages is not None else [None]
        for code in dict.fromkeys(codes):
            for wanted in [code] if code in self._builders else list(self._builders):
                self._language(wanted)

    def _language(self, code: str) -> _Language:
        language = self._languages.get(code)
        if language is None:
            language = self._languages[code] = self._builders[code]()
        return language

    def tag(self, text: str, lang: str | None) -> list[SegmentMatch]:
        """Segments disclosed in ``text``, one per (dimension, segment, about), in text order.

        ``lang`` is an ISO 639-1 code ("pl", "zh-Hant" works too); None or a language without
        data tries every loaded language.
        """
        if not text or not text.strip():
            return []
        text = unicodedata.normalize("NFC", text)
        matchable = _compatible(text)
        code = _lang_code(lang)
        codes = [code] if code in self._builders else list(self._builders)
        languages = [self._language(code) for code in codes]
        found: list[tuple[int, SegmentMatch]] = []
        for language in languages:
            found.extend(self._tag_language(text, matchable, language))
        found.sort(key=lambda item: item[0])
        seen: set[tuple[str, str, str]] = set()
        result = []
        for _, match in found:
            key = (match.dimension, match.segment, match.about)
            if key not in seen:
                seen.add(key)
                result.append(match)
        return result

    def _tag_language(
        self, text: str, matchable: str, language: _Language
    ) -> list[tuple[int, SegmentMatch]]:
        folded = _lower(matchable.translate(language.fold) if language.fold else matchable)
        quoted: list[tuple[int, int]] | None = None
        # Where clauses start: found when first needed (most posts match no rule).
        breaks: list[int] | None = None
        found: list[tuple[int, SegmentMatch]] = []
        for rule in language.rules:
            if rule.anchored:
                if breaks is None:
                    breaks = [m.end() for m in language.clause_breaks.finditer(folded)]
                starts = [0, *(_SPACES.match(folded, b).end() for b in breaks)]
                matches: Iterable[re.Match[str]] = filter(
                    None, (rule.regex.match(folded, start) for start in starts)
                )
            else:
                matches = self._matches(rule.regex, folded, language.word_boundaries)
            for match in matches:
                if quoted is None:
                    quoted = self._quoted(text, folded, language)
                start, end = match.span()
                if end == start or _inside(quoted, start, end):
                    continue
                if breaks is None:
                    breaks = [m.end() for m in language.clause_breaks.finditer(folded)]
                index = bisect.bisect_right(breaks, start)
                clause_start = breaks[index - 1] if index else 0
                before = folded[clause_start:start]
                if rule.unless_after is not None and rule.unless_after.search(before):
                    continue
                if rule.negatable and self._negated(folded, match, rule, clause_start, language):
                    continue
                evidence = text[start:end].strip()
                for dimension, segment, about in self._tags(match, rule, language):
                    found.append((start, SegmentMatch(dimension, segment, evidence, about)))
        return found

    @staticmethod
    def _matches(regex: re.Pattern[str], text: str, boundaries: bool) -> Iterable[re.Match[str]]:
        """Like ``regex.finditer(text)``, but a match never starts inside a word."""
        position = 0
        while (match := regex.search(text, position)) is not None:
            start = match.start()
            if boundaries and start > 0 and _WORD_PAIR.match(text, start - 1):
                position = start + 1
                continue
            yield match
            position = max(match.end(), start + 1)

    @staticmethod
    def _quoted(text: str, folded: str, language: _Language) -> list[tuple[int, int]]:
        """Quoted spans (marks found in the text as written) and reported speech after a cue."""
        spans = _quoted_spans(text, (*UNIVERSAL_QUOTES, *language.quotes))
        if language.reported_speech is not None:
            for cue in language.reported_speech.finditer(folded):
                stop = _SENTENCE_END.search(folded, cue.end())
                spans.append((cue.end(), stop.start() if stop else len(folded)))
        return spans

    @staticmethod
    def _negated(
        text: str, match: re.Match[str], rule: _Rule, clause_start: int, language: _Language
    ) -> bool:
        if language.negation is None:
            return False
        starts = [match.start(slot) for slot in rule.slots if match.start(slot) >= 0]
        region_end = min(starts) if starts else match.start()
        window = language.window
        if window == 0:
            window_start = match.start()
        elif language.window_unit == "chars":
            window_start = max(clause_start, match.start() - window)
        else:
            words = list(_WORD.finditer(text, clause_start, match.start()))
            window_start = words[-window].start() if len(words) >= window else clause_start
        region = text[window_start:region_end]
        if language.negation_except is not None:
            region = language.negation_except.sub(" ", region)
        return language.negation.search(region) is not None

    def _tags(
        self, match: re.Match[str], rule: _Rule, language: _Language
    ) -> list[tuple[str, str, str]]:
        tags: list[tuple[str, str, str]] = []
        for slot in rule.slots:
            value = match.group(slot)
            if value is None:
                continue
            if slot == "age":
                band = self._age_band(value, language)
                if band is None:
                    return []  # "I'm 200" is not an age: drop the whole match
                tags.append(("age", band, rule.about))
                continue
            entry = language.entries[slot[2:]].get(_key(value))
            if entry is None:
                continue
            tags.extend((dim, seg, rule.about) for dim, seg in entry.is_)
            tags.extend((dim, seg, "author") for dim, seg in entry.speaker)
        tags.extend((dim, seg, rule.about) for dim, seg in rule.tags)
        tags.extend((dim, seg, "author") for dim, seg in rule.author_tags)
        return tags

    def _age_band(self, value: str, language: _Language) -> str | None:
        key = _key(value)
        if key.isdigit():
            years: int | None = int(key)
        elif key in language.numbers:
            years = language.numbers[key]
        else:
            years = _cjk_number(value) if language.cjk_numerals else None
        if years is None:
            return None
        return self.dimensions["age"].band(years)


def _lang_code(lang: str | None) -> str | None:
    if not lang:
        return None
    return re.split(r"[-_]", str(lang).strip().lower(), maxsplit=1)[0] or None


def post_segment_rows(
    post_id: str,
    matches: Iterable[SegmentMatch],
    dimensions: Iterable[str] = ("gender", "age", "role"),
    *,
    include_unknown: bool = True,
) -> list[dict[str, str]]:
    """Rows for the ``post_segments`` table (post_id, dimension, segment, evidence, about).

    With ``include_unknown``, every dimension in which the author disclosed nothing about
    themself gets a row with segment ``unknown`` (about ``author``, empty evidence), so
    Datasette facets show how much is known.
    """
    rows = []
    seen: set[tuple[str, str, str]] = set()
    known: set[str] = set()
    for match in matches:
        key = (match.dimension, match.segment, match.about)
        if key in seen:
            continue
        seen.add(key)
        if match.about == "author":
            known.add(match.dimension)
        rows.append(
            {
                "post_id": post_id,
                "dimension": match.dimension,
                "segment": match.segment,
                "evidence": match.evidence,
                "about": match.about,
            }
        )
    if include_unknown:
        for dimension in dimensions:
            if dimension not in known:
                rows.append(
                    {
                        "post_id": post_id,
                        "dimension": dimension,
                        "segment": UNKNOWN,
                        "evidence": "",
                        "about": "author",
                    }
                )
    return rows
