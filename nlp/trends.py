"""Emerging and fading trends: is this week's talk about X more than its usual level?

Every subject (a term or keyphrase, a topic, a watched entity) is counted in **distinct
authors** (source + author handle), never raw posts, so one prolific poster or spammer is
one voice. The recent window is the 7 days ending on ``as_of``; the baseline is the ``W``
weeks before it (default 8), split into 7-day weeks aligned to the recent window.

The formula, for one subject
----------------------------
Like Huginn's peak detector ("a peak is a value more than k·σ above the mean of the
window"), the score is "how many standard deviations this week is above what the baseline
predicts", with the standard deviation of a count:

* ``R``: distinct authors mentioning the subject in the recent week.
* ``b_1 … b_W``: distinct authors in each baseline week; ``B = Σ b_w``, ``μ = B / W``.
* ``e``: exposure, how much the whole corpus grew: distinct authors posting anything this
  week divided by the baseline weekly average (``N_recent / mean(N_w)``). A source added to
  the crawl lifts every count; ``e`` takes that back out.
* ``E = e · μ``: the expected recent count if nothing changed.
* ``φ``: dispersion, how much more the subject's weekly counts wobble than a Poisson count
  would (Pearson χ² of ``b_w`` against ``μ·N_w/mean(N)``, divided by ``W - 1``; never below
  1; 1 when the baseline has no mentions). Naturally bursty subjects need a bigger jump.
* ``growth = (R + 1) / (E + 1)``: the ratio with one pseudo-mention on each side, so
  1 → 3 mentions is a growth of 2 rather than 3, and 0 → 2 is 3 rather than infinite.
* ``score = (R - E) / sqrt(φ · (E + 1))``: standard deviations above (or, negative, below)
  the expectation. This is the ranking number.
* ``p``: the exact conditional test for two Poisson rates. If the subject's rate had not
  changed, an author-mention falls in the recent week with probability
  ``π = N_recent / (N_recent + Σ N_w)``, so ``R ~ Binomial(R + B, π)``; ``p_up = P(X ≥ R)``
  and ``p_down = P(X ≤ R)``. With ``φ > 1`` both counts are divided by ``φ`` first
  (quasi-Poisson; the binomial tail is then the regularised incomplete beta function).
  Many subjects are tested at once, so p-values are adjusted with Benjamini–Hochberg within
  each kind (terms, topics, entities) and direction; ``q`` is the adjusted value.

Status, with ``α = 0.05``, ``min_authors = 5`` and ``min_growth = 1.5`` by default:

* **new**: no author in the whole baseline, at least ``min_authors`` this week, and
  ``q_up ≤ α`` (or the database has no baseline at all yet).
* **emerging**: ``R ≥ min_authors``, ``growth ≥ min_growth`` and ``q_up ≤ α``.
* **fading**: ``E ≥ min_authors``, ``growth ≤ 1 / min_growth`` and ``q_down ≤ α``.
* **steady**: everything else.

Only subjects with at least ``min_total`` author-weeks (``R + B``) are tested, which keeps
hopeless one-off words out of the multiple-testing correction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import betainc
from scipy.stats import false_discovery_control

__all__ = [
    "STATUSES",
    "EmergenceScorer",
    "Emergence",
    "EntityMatcher",
    "Windows",
    "benjamini_hochberg",
    "count_by_week",
    "iso_week",
    "iso_weeks",
    "languages_by_item",
    "pick_evidence",
]

STATUSES = ("new", "emerging", "steady", "fading")


# --------------------------------------------------------------------------------------------
# Windows


@dataclass(frozen=True)
class Windows:
    """The recent week ending on ``as_of`` (inclusive) and the baseline weeks before it."""

    as_of: dt.date
    baseline_weeks: int = 8

    def __post_init__(self) -> None:
        if self.baseline_weeks < 1:
            raise ValueError("baseline_weeks must be at least 1")

    @functools.cached_property
    def recent_start(self) -> dt.datetime:
        """Midnight UTC starting the first day of the recent week (``as_of`` − 6 days)."""
        day = self.as_of - dt.timedelta(days=6)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)

    @functools.cached_property
    def end(self) -> dt.datetime:
        """Midnight UTC after ``as_of``: the exclusive end of the recent week."""
        return self.recent_start + dt.timedelta(days=7)

    @functools.cached_property
    def start(self) -> dt.datetime:
        """The first instant of the baseline."""
        return self.recent_start - dt.timedelta(weeks=self.baseline_weeks)

    def bounds(self) -> tuple[str, str]:
        """``(start, end)`` as ISO strings comparable with ``posts.published_at``."""
        return _iso(self.start), _iso(self.end)

    def week_of(self, published_at: str) -> int:
        """0 … W-1 for baseline weeks (oldest first), W for the recent week, -1 outside."""
        when = parse_time(published_at)
        if when is None or when < self.start or when >= self.end:
            return -1
        return int((when - self.start) // dt.timedelta(weeks=1))

    def weeks_of(self, published: Iterable[str | None]) -> np.ndarray:
        """:meth:`week_of` of many timestamps, as an int64 array.

        Weeks start at midnight UTC, so the week of a time written the way trendscout
        stores it (``2026-11-16T08:30:00Z``) depends only on its day: it is worked out once
        per day. Other spellings (offsets, fractions of a second) are parsed one by one.
        """
        by_day: dict[str, int] = {}
        weeks = []
        for value in published:
            if value is not None and _CANONICAL_TIME.fullmatch(value):
                day = value[:10]
                week = by_day.get(day)
                if week is None:
                    week = by_day[day] = self.week_of(f"{day}T00:00:00Z")
            else:
                week = self.week_of(value)  # type: ignore[arg-type]
            weeks.append(week)
        return np.asarray(weeks, dtype=np.int64)


# A UTC time as the database stores it, with a time of day that parses (hours 00-23).
_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\dZ", re.ASCII)


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> dt.datetime | None:
    """Parse a stored ISO 8601 timestamp (``Z`` or offset; naive means UTC)."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def iso_week(published_at: str) -> str | None:
    """The ISO week of a stored timestamp, written ``2026-W07`` (sorts as text)."""
    when = parse_time(published_at)
    if when is None:
        return None
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def iso_weeks(published: Iterable[str | None]) -> list[str | None]:
    """:func:`iso_week` of many timestamps, worked out once per day for times stored the
    usual way (``...Z``: the week depends only on the day)."""
    by_day: dict[str, str | None] = {}
    weeks = []
    for value in published:
        if value is not None and _CANONICAL_TIME.fullmatch(value):
            day = value[:10]
            if day not in by_day:
                by_day[day] = iso_week(f"{day}T00:00:00Z")
            weeks.append(by_day[day])
        else:
            weeks.append(iso_week(value))  # type: ignore[arg-type]
    return weeks


# --------------------------------------------------------------------------------------------
# Watched entities

_HAN = re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]")
# A letter or digit of a script written with spaces: a Latin name must not touch one, but may
# touch Chinese, Japanese or Korean characters ("我在玩Starfall Arena呢").
_SPACED_WORD_CHAR = r"[^\W\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uAC00-\uD7AF]"
_VOWELS = "aeiouyąęó"
# Case endings (Polish and other inflecting languages) and English possessive/plural.
_ENDINGS = "(?:a|u|e|y|i|o|ie|ę|ą|em|om|ów|ach|ami|owi|s|'s|’s)?"


def _match_key(alias: str, inflect: bool) -> str:
    """A case-folded piece of text that every match of ``_alias_pattern(alias)`` contains."""
    words = unicodedata.normalize("NFC", alias).split()
    first = words[0]
    if len(words) == 1 and inflect and not _HAN.search(first) and len(first) >= 4:
        if first[-1].isalpha() and first[-1].lower() in _VOWELS:
            first = first[:-1]
    return first.casefold()


def _alias_pattern(alias: str, inflect: bool) -> str:
    """Regex for one name: words separated by any whitespace, whole words for Latin script,
    and (``inflect``) a case ending on a long last word, so Polish "Starfall Areny" / "Arenie"
    count for "Starfall Arena"."""
    words = unicodedata.normalize("NFC", alias).split()
    parts = [re.escape(word) for word in words]
    last = words[-1]
    if inflect and not _HAN.search(last) and len(last) >= 4 and last[-1].isalpha():
        stem = last[:-1] if last[-1].lower() in _VOWELS else last
        parts[-1] = re.escape(stem) + _ENDINGS
    body = r"\s+".join(parts)
    if not _HAN.match(words[0][0]):
        body = f"(?<!{_SPACED_WORD_CHAR})" + body
    if not _HAN.search(last[-1]):
        body += f"(?!{_SPACED_WORD_CHAR})"
    return body


class EntityMatcher:
    """Finds watched entities (a name plus aliases in any language) in raw text.

    Matching is case-insensitive on the raw text, so it does not depend on how the text was
    tokenised: an alias added to the watch list counts in old posts at once.
    """

    def __init__(
        self, entities: Iterable[tuple[str, Sequence[str]]], *, inflect: bool = True
    ) -> None:
        self.names: list[str] = []
        self.forms: list[str] = []
        alternatives: list[tuple[int, str]] = []
        for name, aliases in entities:
            index = len(self.names)
            self.names.append(name)
            for form in dict.fromkeys([name, *aliases]):
                if form.strip():
                    self.forms.append(form)
                    alternatives.append((index, _alias_pattern(form, inflect)))
        # Every match contains one of these (case-folded first word, or stem of a one-word
        # name), so a text without any skips the regex: most posts mention no entity.
        self._keys = frozenset(_match_key(form, inflect) for form in self.forms)
        alternatives.sort(key=lambda pair: len(pair[1]), reverse=True)
        self._group_entity = {f"e{i}": entity for i, (entity, _) in enumerate(alternatives)}
        self._pattern = (
            re.compile(
                "|".join(f"(?P<e{i}>{body})" for i, (_, body) in enumerate(alternatives)),
                re.IGNORECASE,
            )
            if alternatives
            else None
        )

    @functools.cached_property
    def fingerprint(self) -> str:
        """A hash of everything that decides the matches (names, forms, the regex): equal
        fingerprints find the same entities in any text."""
        pattern = self._pattern.pattern if self._pattern is not None else ""
        flags = int(self._pattern.flags) if self._pattern is not None else 0
        state = [self.names, self.forms, sorted(self._keys), self._group_entity, pattern, flags]
        return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()

    def find(self, text: str) -> set[int]:
        """Indexes (into :attr:`names`) of the entities mentioned in ``text``."""
        if self._pattern is None or not text:
            return set()
        text = unicodedata.normalize("NFC", text)
        folded = text.casefold()
        if not any(key in folded for key in self._keys):
            return set()
        return {
            self._group_entity[match.lastgroup]
            for match in self._pattern.finditer(text)
            if match.lastgroup
        }

    def matrix(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Documents × entities, 1 where the document mentions the entity."""
        rows: list[int] = []
        cols: list[int] = []
        n = 0
        for n, text in enumerate(texts, start=1):
            for entity in self.find(text):
                rows.append(n - 1)
                cols.append(entity)
        return sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(self.names))
        )


# --------------------------------------------------------------------------------------------
# Counting


def count_by_week(
    indicator: sp.spmatrix | np.ndarray,
    authors: np.ndarray,
    weeks: np.ndarray,
    n_weeks: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct authors and posts per week for every item.

    ``indicator`` is documents × items (non-zero = the document mentions the item),
    ``authors`` and ``weeks`` are one integer code per document (week −1 is ignored).
    Returns two ``n_weeks × items`` integer arrays: ``(authors, posts)``.
    """
    matrix = sp.csr_matrix(indicator)
    n_docs = matrix.shape[0]
    if len(authors) != n_docs or len(weeks) != n_docs:
        raise ValueError("authors and weeks need one entry per document")
    binary = matrix.copy()
    binary.data = np.ones_like(binary.data, dtype=np.float32)
    binary.eliminate_zeros()
    keep = (weeks >= 0) & (weeks < n_weeks)
    docs = np.flatnonzero(keep)
    # One row per (author, week) pair: a mention by the same author twice in a week is one.
    pair_keys = authors[docs].astype(np.int64) * n_weeks + weeks[docs]
    pairs, pair_of_doc = np.unique(pair_keys, return_inverse=True)
    to_pairs = sp.csr_matrix(
        (np.ones(len(docs), dtype=np.float32), (pair_of_doc, docs)), shape=(len(pairs), n_docs)
    )
    by_pair = (to_pairs @ binary).tocsr()
    by_pair.data = np.ones_like(by_pair.data)
    pair_weeks = (pairs % n_weeks).astype(np.int64)
    to_weeks = sp.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32), (pair_weeks, np.arange(len(pairs)))),
        shape=(n_weeks, len(pairs)),
    )
    author_counts = np.asarray((to_weeks @ by_pair).todense()).round().astype(np.int64)
    doc_weeks = sp.csr_matrix(
        (np.ones(len(docs), dtype=np.float32), (weeks[docs].astype(np.int64), docs)),
        shape=(n_weeks, n_docs),
    )
    post_counts = np.asarray((doc_weeks @ binary).todense()).round().astype(np.int64)
    return author_counts, post_counts


def languages_by_item(
    indicator: sp.spmatrix,
    languages: Sequence[str | None],
    rows: np.ndarray | None = None,
    *,
    min_share: float = 0.05,
    min_posts: int = 2,
) -> list[list[str]]:
    """Per item, the languages of the documents that mention it, most frequent first.

    A language is listed when it has at least ``min_posts`` of the item's documents (or all
    of them, when fewer) and at least ``min_share`` of them; ``rows`` limits the count to
    some documents (e.g. the recent week).
    """
    codes = sorted({lang for lang in languages if lang})
    index = {code: i for i, code in enumerate(codes)}
    matrix = sp.csr_matrix(indicator)
    lang_of = np.array([index.get(lang, -1) if lang else -1 for lang in languages])
    selected = np.arange(matrix.shape[0]) if rows is None else np.asarray(rows)
    selected = selected[lang_of[selected] >= 0]
    if not codes or len(selected) == 0:
        return [[] for _ in range(matrix.shape[1])]
    binary = matrix[selected]
    binary.data = np.ones_like(binary.data)
    to_langs = sp.csr_matrix(
        (np.ones(len(selected)), (lang_of[selected], np.arange(len(selected)))),
        shape=(len(codes), len(selected)),
    )
    counts = np.asarray((to_langs @ binary).todense())
    totals = counts.sum(axis=0)
    result: list[list[str]] = []
    for item in range(matrix.shape[1]):
        column = counts[:, item]
        total = totals[item]
        floor = max(min(min_posts, total), min_share * total, 1)
        order = np.argsort(-column, kind="stable")
        result.append([codes[i] for i in order if column[i] >= floor])
    return result


def pick_evidence(
    indicator: sp.spmatrix,
    items: Sequence[int],
    rows: np.ndarray,
    authors: np.ndarray,
    post_ids: Sequence[str],
    *,
    order: np.ndarray | None = None,
    limit: int = 5,
) -> dict[int, list[str]]:
    """A few example post ids per item, from distinct authors, among ``rows``.

    ``order`` ranks documents (higher first, e.g. a timestamp); default: latest rows first.
    """
    matrix = sp.csr_matrix(indicator)[np.asarray(rows)].tocsc()
    rows = np.asarray(rows)
    rank = -(order[rows] if order is not None else rows.astype(np.float64))
    evidence: dict[int, list[str]] = {}
    for item in items:
        start, stop = matrix.indptr[item], matrix.indptr[item + 1]
        docs = rows[matrix.indices[start:stop]]
        docs = docs[np.argsort(rank[matrix.indices[start:stop]], kind="stable")]
        seen: set[int] = set()
        chosen: list[str] = []
        for doc in docs:
            author = int(authors[doc])
            if author in seen:
                continue
            seen.add(author)
            chosen.append(post_ids[doc])
            if len(chosen) == limit:
                break
        evidence[item] = chosen
    return evidence


# --------------------------------------------------------------------------------------------
# Scoring


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (``q``); NaN entries stay NaN and are not counted."""
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    if len(tested) == 0:
        return q
    q[tested] = false_discovery_control(p[tested], method="bh")
    return q


def _binomial_upper(k: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """P(X ≥ k) for X ~ Binomial(n, p), continuous in k and n (incomplete beta)."""
    out = np.ones_like(k, dtype=np.float64)
    positive = k > 0
    out[positive] = betainc(k[positive], n[positive] - k[positive] + 1.0, p)
    return out


def _binomial_lower(k: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """P(X ≤ k) for X ~ Binomial(n, p), continuous in k and n."""
    out = np.ones_like(k, dtype=np.float64)
    below = n - k > 0
    out[below] = 1.0 - betainc(k[below] + 1.0, n[below] - k[below], p)
    return out


@dataclass
class Emergence:
    """Scores for a set of subjects; every field is an array with one entry per subject."""

    recent: np.ndarray
    baseline_mean: np.ndarray
    expected: np.ndarray
    growth: np.ndarray
    dispersion: np.ndarray
    score: np.ndarray
    p_up: np.ndarray
    p_down: np.ndarray
    q_up: np.ndarray
    q_down: np.ndarray
    status: np.ndarray  # of str

    @property
    def p_value(self) -> np.ndarray:
        """The p-value in the direction of the change (up when ``R ≥ E``)."""
        return np.where(self.recent >= self.expected, self.p_up, self.p_down)

    @property
    def p_adjusted(self) -> np.ndarray:
        """The adjusted p-value (``q``) in the direction of the change."""
        return np.where(self.recent >= self.expected, self.q_up, self.q_down)


@dataclass(frozen=True)
class EmergenceScorer:
    """Scores subjects' recent distinct-author counts against their baseline weeks.

    See the module docstring for the formula. ``fit``-free: call :meth:`score`.
    """

    alpha: float = 0.05
    min_authors: int = 5
    min_growth: float = 1.5
    min_total: int = 3

    def score(
        self,
        recent: np.ndarray,
        baseline: np.ndarray,
        recent_volume: float,
        baseline_volume: np.ndarray,
    ) -> Emergence:
        """Score subjects.

        ``recent``: distinct authors per subject this week (``R``, shape ``n``).
        ``baseline``: distinct authors per baseline week and subject (``W × n``).
        ``recent_volume`` / ``baseline_volume``: distinct authors posting anything this week
        and in each baseline week (``N_recent``, ``N_w``): the exposure.
        """
        recent = np.asarray(recent, dtype=np.float64)
        baseline = np.atleast_2d(np.asarray(baseline, dtype=np.float64))
        volume = np.asarray(baseline_volume, dtype=np.float64)
        if baseline.shape != (len(volume), len(recent)):
            raise ValueError(
                f"baseline has shape {baseline.shape}; expected {(len(volume), len(recent))}"
            )
        weeks = len(volume)
        total_b = baseline.sum(axis=0)
        mean_b = total_b / weeks
        has_baseline = volume.sum() > 0
        exposure = recent_volume / volume.mean() if has_baseline else 0.0
        expected = exposure * mean_b

        dispersion = np.ones_like(recent)
        if has_baseline and weeks >= 2:
            week_share = volume / volume.sum()
            predicted = np.outer(week_share, total_b)  # μ · N_w / mean(N), per week
            with np.errstate(divide="ignore", invalid="ignore"):
                chi = np.where(predicted > 0, (baseline - predicted) ** 2 / predicted, 0.0)
            dispersion = np.maximum(1.0, chi.sum(axis=0) / (weeks - 1))
            dispersion[total_b == 0] = 1.0

        growth = (recent + 1.0) / (expected + 1.0)
        score = (recent - expected) / np.sqrt(dispersion * (expected + 1.0))

        tested = (recent + total_b) >= self.min_total
        p_up = np.full_like(recent, np.nan)
        p_down = np.full_like(recent, np.nan)
        if has_baseline and recent_volume > 0:
            pi = recent_volume / (recent_volume + volume.sum())
            k = recent[tested] / dispersion[tested]
            n = k + total_b[tested] / dispersion[tested]
            p_up[tested] = _binomial_upper(k, n, pi)
            p_down[tested] = _binomial_lower(k, n, pi)
        q_up = benjamini_hochberg(p_up)
        q_down = benjamini_hochberg(p_down)

        significant_up = np.nan_to_num(q_up, nan=1.0) <= self.alpha
        significant_down = np.nan_to_num(q_down, nan=1.0) <= self.alpha
        enough = recent >= self.min_authors
        status = np.full(len(recent), "steady", dtype=object)
        status[(expected >= self.min_authors) & (growth <= 1.0 / self.min_growth)
               & significant_down] = "fading"  # fmt: skip
        status[enough & (growth >= self.min_growth) & significant_up] = "emerging"
        new = enough & (total_b == 0) & (significant_up | (not has_baseline))
        status[new] = "new"
        return Emergence(
            recent=recent,
            baseline_mean=mean_b,
            expected=expected,
            growth=growth,
            dispersion=dispersion,
            score=score,
            p_up=p_up,
            p_down=p_down,
            q_up=q_up,
            q_down=q_down,
            status=status,
        )
