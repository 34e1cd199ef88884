"""Audience shifts: who talks about a product or topic now, compared with before.

For every subject (a watched entity or a topic) and every segment, the share of **distinct
authors** in the segment among the authors whose segment in that dimension is known is
compared between the recent window (the 7 days ending on ``as_of``) and the baseline (the 8
weeks before it). Counting authors, not posts, means one prolific poster weighs as much as
anyone else and cannot create a shift alone; post counts are reported beside them.

Who an author is comes from everything they disclosed about themselves in the posts given
(``about="author"`` matches from :class:`~nlp.segments.SegmentTagger`), not only in posts about
the subject: someone who wrote "as a mom" under one product is a mom under every product.
Disclosures published after ``as_of`` are ignored, so a back-dated run gives the same result
later. In an exclusive dimension (gender, age) an author who disclosed different segments
counts as the segment of most of their disclosing posts; a tie leaves them unknown in that
dimension (and out of its denominator). In a non-exclusive dimension (role) every disclosed
segment counts: a parent can be a student too, so role shares can add up to more than 100%.

The test for each subject x segment is a 2 x 2 table (window x in segment or not):

* Fisher's exact test (two-sided) when any expected cell count is below 5, where the normal
  approximation is poor; otherwise the two-proportion z-test with pooled variance.
* Benjamini-Hochberg adjustment over every subject x segment tested in the run (``p_adjusted``;
  in a two-segment exclusive dimension such as gender, "female up" and "male down" are the
  same hypothesis and enter the correction once).
  A run screens many subjects and segments for the few that moved; BH keeps the expected share
  of false findings among those reported at ``alpha`` and, unlike Holm's family-wise control,
  does not lose most of its power as the watch list grows. When nothing really moved, BH's
  error rate is the chance of any false alarm in the run, which is what
  ``benchmarks/bench_shift_false_alarms.py`` measures. ``correction="holm"`` is available.
* Nothing is tested below the minimum counts: ``min_authors`` authors with a known segment in
  each window, and ``min_segment_authors`` authors in the segment over both windows.

Effect sizes: ``lift = recent_share / baseline_share`` (None when the baseline share is 0) and
a Newcombe hybrid-score interval (from two Wilson intervals) for ``recent_share -
baseline_share`` at ``ci_level``. An author who posted in both windows is in both samples; the
test treats the samples as independent, which makes it slightly conservative.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from nlp.segments import Dimension, SegmentMatch, load_dimensions

SUBJECT_KINDS = ("entity", "topic")
CORRECTIONS = ("bh", "holm")
SHIFT_COLUMNS = (
    "as_of",
    "subject_kind",
    "subject",
    "dimension",
    "segment",
    "baseline_share",
    "recent_share",
    "baseline_n",
    "recent_n",
    "baseline_posts",
    "recent_posts",
    "lift",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "significant",
    "direction",
    "evidence",
)
BASELINE = "baseline"
RECENT = "recent"


class ShiftInputError(ValueError):
    """Records or parameters that cannot be analysed, as one line."""


@dataclass(frozen=True)
class SubjectRecord:
    """One post about one subject (a post about two products is two records).

    ``author_key`` identifies the author across posts: source + author handle. A post that
    matches no subject may be passed with ``subject_kind`` and ``subject`` set to None: its
    disclosures still tell who its author is, and it counts in :func:`coverage`.
    """

    post_id: str
    author_key: str
    subject_kind: str | None
    subject: str | None
    published_at: dt.datetime | str
    segments: tuple[SegmentMatch, ...] = ()


@dataclass(frozen=True)
class Windows:
    """The recent window [recent_start, end) and the baseline [baseline_start, recent_start)."""

    as_of: dt.date
    baseline_start: dt.datetime
    recent_start: dt.datetime
    end: dt.datetime

    def window(self, when: dt.datetime) -> str | None:
        """``"recent"``, ``"baseline"`` or None for a UTC time."""
        if self.recent_start <= when < self.end:
            return RECENT
        if self.baseline_start <= when < self.recent_start:
            return BASELINE
        return None


def analysis_windows(
    as_of: dt.date | dt.datetime | str, baseline_weeks: int = 8, recent_days: int = 7
) -> Windows:
    """The windows of a run: the ``recent_days`` days ending on ``as_of`` (inclusive, UTC),
    and the ``baseline_weeks`` weeks before them."""
    day = _as_date(as_of)
    if not (isinstance(baseline_weeks, int) and baseline_weeks >= 1):
        raise ShiftInputError(
            f"baseline_weeks must be a whole number of weeks >= 1, got {baseline_weeks!r}"
        )
    if not (isinstance(recent_days, int) and recent_days >= 1):
        raise ShiftInputError(
            f"recent_days must be a whole number of days >= 1, got {recent_days!r}"
        )
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    recent_start = end - dt.timedelta(days=recent_days)
    return Windows(
        as_of=day,
        baseline_start=recent_start - dt.timedelta(weeks=baseline_weeks),
        recent_start=recent_start,
        end=end,
    )


def _as_date(value: dt.date | dt.datetime | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ShiftInputError(f"as_of must be a date such as 2026-11-22, got {value!r}") from None


def parse_time(value: dt.datetime | str, post_id: str = "?") -> dt.datetime:
    """A post time as an aware UTC datetime (naive times and dates are taken as UTC)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ShiftInputError(
                f"post {post_id}: published_at {value!r} is not an ISO 8601 time"
            ) from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    if not isinstance(value, dt.datetime):
        raise ShiftInputError(f"post {post_id}: published_at must be a datetime or ISO text")
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# --------------------------------------------------------------------------- authors

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_NOTHING: frozenset[tuple[str, str]] = frozenset()


def _disclosed(segments: Iterable[SegmentMatch]) -> frozenset[tuple[str, str]]:
    if not segments:
        return _NOTHING
    return frozenset((m.dimension, m.segment) for m in segments if m.about == "author")


def _time_parser() -> Callable[[dt.datetime | str, str], int]:
    """``parse_time`` as microseconds since the epoch, each distinct text parsed once."""
    parsed: dict[str, int] = {}

    def microseconds(value: dt.datetime | str, post_id: str) -> int:
        if isinstance(value, str):
            found = parsed.get(value)
            if found is None:
                found = parsed[value] = (parse_time(value, post_id) - _EPOCH) // _MICROSECOND
            return found
        return (parse_time(value, post_id) - _EPOCH) // _MICROSECOND

    return microseconds


_ISO_SECONDS = np.array([ord(c) for c in "0000-00-00T00:00:00Z"], dtype=np.uint32)
_DIGIT = _ISO_SECONDS == ord("0")


def _times(published: Sequence[dt.datetime | str], post_ids: Sequence[str]) -> np.ndarray:
    """``parse_time`` of each value as microseconds since the epoch: when every value is
    written like 2026-11-20T10:00:00Z, in one numpy conversion; otherwise one at a time."""
    text = np.asarray(published)
    if len(published) and text.dtype == np.dtype("<U20"):
        chars = text.view(np.uint32).reshape(len(text), 20)
        digits = chars[:, _DIGIT]
        if (
            (chars[:, ~_DIGIT] == _ISO_SECONDS[~_DIGIT]).all()
            and ((digits >= ord("0")) & (digits <= ord("9"))).all()
            and (chars[:, :4] != ord("0")).any(axis=1).all()  # Python has no year 0
        ):
            try:  # out of range (a 30 February): one at a time, for the error
                seconds = text.astype("<U19").astype("datetime64[s]")
            except ValueError:
                seconds = None
            if seconds is not None:
                return seconds.astype(np.int64) * 1_000_000
    microseconds = _time_parser()
    return np.asarray(
        [microseconds(when, post_id) for post_id, when in zip(post_ids, published, strict=True)],
        dtype=np.int64,
    )


@dataclass
class AudienceSample:
    """Posts parsed once, as columns: what :func:`audience_shifts`, :func:`coverage` and
    :func:`author_profiles` work on. Given records, each builds one; build it yourself with
    :meth:`from_records` or :meth:`from_posts` to share one between them.

    One entry per distinct post: ``authors`` are codes into ``author_keys``, ``times`` are
    microseconds since the epoch (UTC), ``disclosed`` the (dimension, segment) pairs the author
    said of themself. ``subjects`` maps (kind, subject) to the positions of its posts.
    """

    post_ids: list[str]
    authors: np.ndarray
    author_keys: list[str]
    times: np.ndarray
    disclosed: list[frozenset[tuple[str, str]]]
    subjects: dict[tuple[str, str], np.ndarray]

    @classmethod
    def from_records(cls, records: Iterable[SubjectRecord]) -> AudienceSample:
        """The records merged per post: its first record gives the post's author and time,
        and the author's disclosures in all its records count."""
        index: dict[str, int] = {}
        post_ids: list[str] = []
        authors: list[str] = []
        times: list[int] = []
        disclosed: list[frozenset[tuple[str, str]]] = []
        subjects: dict[tuple[str, str], dict[int, None]] = defaultdict(dict)
        microseconds = _time_parser()
        for record in records:
            if not isinstance(record, SubjectRecord):
                raise ShiftInputError(f"expected SubjectRecord items, got {type(record).__name__}")
            if not record.post_id or not record.author_key:
                raise ShiftInputError(
                    f"post {record.post_id!r}: post_id and author_key are required"
                )
            found = _disclosed(record.segments)
            position = index.get(record.post_id)
            if position is None:
                position = index[record.post_id] = len(post_ids)
                post_ids.append(record.post_id)
                authors.append(record.author_key)
                times.append(microseconds(record.published_at, record.post_id))
                disclosed.append(found)
            elif not found <= disclosed[position]:
                disclosed[position] = disclosed[position] | found
            if record.subject is None:
                continue
            _check_kind(record.subject_kind, record.post_id)
            subjects[(record.subject_kind, record.subject)][position] = None
        return cls._build(post_ids, authors, times, disclosed, subjects)

    @classmethod
    def from_posts(
        cls,
        post_ids: Sequence[str],
        authors: Sequence[str],
        published: Sequence[dt.datetime | str],
        disclosed: Sequence[frozenset[tuple[str, str]]],
        subjects: Mapping[tuple[str, str], Iterable[int]],
    ) -> AudienceSample:
        """Posts as columns, one entry per distinct post in each; ``subjects`` maps (kind,
        subject) to the positions of the posts about it. The same sample as
        :meth:`from_records` given a record per post and subject (a post about none: one
        record with subject None)."""
        if not len(post_ids) == len(authors) == len(published) == len(disclosed):
            raise ShiftInputError("post_ids, authors, published and disclosed differ in length")
        if len(set(post_ids)) != len(post_ids):
            raise ShiftInputError("post_ids must be distinct")
        for post_id, author in zip(post_ids, authors, strict=True):
            if not post_id or not author:
                raise ShiftInputError(f"post {post_id!r}: post_id and author_key are required")
        times = _times(published, post_ids)
        for (kind, _), positions in subjects.items():
            for position in positions:
                _check_kind(kind, post_ids[position])
                break
        return cls._build(list(post_ids), authors, times, list(disclosed), subjects)

    @classmethod
    def _build(
        cls,
        post_ids: list[str],
        authors: Sequence[str],
        times: Sequence[int] | np.ndarray,
        disclosed: list[frozenset[tuple[str, str]]],
        subjects: Mapping[tuple[str, str], Iterable[int]],
    ) -> AudienceSample:
        codes: dict[str, int] = {}
        author_codes = [codes.setdefault(author, len(codes)) for author in authors]
        return cls(
            post_ids=post_ids,
            authors=np.asarray(author_codes, dtype=np.int64),
            author_keys=list(codes),
            times=np.asarray(times, dtype=np.int64),
            disclosed=disclosed,
            subjects={
                key: np.unique(np.fromiter(positions, dtype=np.int64))
                for key, positions in subjects.items()
            },
        )

    @functools.cached_property
    def _time_list(self) -> list[int]:
        return self.times.tolist()

    def windows_of(self, windows: Windows) -> np.ndarray:
        """Per post 0 (baseline), 1 (recent) or -1 (neither)."""
        start, middle, end = (
            (when - _EPOCH) // _MICROSECOND
            for when in (windows.baseline_start, windows.recent_start, windows.end)
        )
        found = np.full(len(self.times), -1, dtype=np.int8)
        found[(self.times >= start) & (self.times < middle)] = 0
        found[(self.times >= middle) & (self.times < end)] = 1
        return found


def _check_kind(kind: str | None, post_id: str) -> None:
    if kind not in SUBJECT_KINDS:
        raise ShiftInputError(f"post {post_id}: subject_kind must be entity or topic, got {kind!r}")


def _sample(records: Iterable[SubjectRecord] | AudienceSample) -> AudienceSample:
    if isinstance(records, AudienceSample):
        return records
    return AudienceSample.from_records(records)


def _split(positions: np.ndarray, in_window: np.ndarray) -> dict[str, np.ndarray]:
    found = in_window[positions]
    return {BASELINE: positions[found == 0], RECENT: positions[found == 1]}


def _profiles(
    sample: AudienceSample, until: dt.datetime | None, dims: Mapping[str, Dimension]
) -> dict[int, dict[str, frozenset[str]]]:
    """Per author code, per dimension, the segments they disclosed (see author_profiles)."""
    limit = None if until is None else (until - _EPOCH) // _MICROSECOND
    times = sample._time_list
    authors = sample.authors.tolist()
    counts: dict[int, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    for position, disclosed in enumerate(sample.disclosed):
        if disclosed and (limit is None or times[position] < limit):
            for dimension, segment in disclosed:
                counts[authors[position]][dimension][segment] += 1
    profiles: dict[int, dict[str, frozenset[str]]] = {}
    for author, by_dimension in counts.items():
        profile: dict[str, frozenset[str]] = {}
        for dimension, by_segment in by_dimension.items():
            spec = dims.get(dimension)
            if spec is None:
                continue  # a segment of a dimension no longer declared
            if spec.exclusive:
                top = max(by_segment.values())
                leaders = [segment for segment, count in by_segment.items() if count == top]
                if len(leaders) == 1:
                    profile[dimension] = frozenset(leaders)
            else:
                profile[dimension] = frozenset(by_segment)
        if profile:
            profiles[author] = profile
    return profiles


@dataclass
class _Known:
    """Author profiles as masks over author codes."""

    disclosing: np.ndarray  # per post: the author disclosed something in it
    anything: np.ndarray  # per author: a known segment in some dimension
    dimension: dict[str, np.ndarray]  # per dimension, per author: a known segment
    segment: dict[str, dict[str, np.ndarray]]  # per dimension and segment, per author

    @classmethod
    def of(
        cls, sample: AudienceSample, until: dt.datetime, dims: Mapping[str, Dimension]
    ) -> _Known:
        size = len(sample.author_keys)
        known = cls(
            disclosing=np.fromiter(map(bool, sample.disclosed), dtype=bool),
            anything=np.zeros(size, dtype=bool),
            dimension={},
            segment={},
        )
        for author, profile in _profiles(sample, until, dims).items():
            known.anything[author] = True
            for name, segments in profile.items():
                if name not in known.dimension:
                    known.dimension[name] = np.zeros(size, dtype=bool)
                known.dimension[name][author] = True
                by_segment = known.segment.setdefault(name, {})
                for segment in segments:
                    if segment not in by_segment:
                        by_segment[segment] = np.zeros(size, dtype=bool)
                    by_segment[segment][author] = True
        return known


def author_profiles(
    records: Iterable[SubjectRecord] | AudienceSample,
    *,
    until: dt.datetime | None = None,
    dimensions: Mapping[str, Dimension] | None = None,
) -> dict[str, dict[str, frozenset[str]]]:
    """Per author, per dimension, the segments they disclosed about themselves.

    Only ``about="author"`` matches count, each post once, and only posts published before
    ``until``. In an exclusive dimension the segment of most of the author's disclosing
    posts wins and a tie leaves the dimension out; otherwise every disclosed segment counts.
    """
    dims = dimensions if dimensions is not None else load_dimensions()
    sample = _sample(records)
    return {
        sample.author_keys[author]: profile
        for author, profile in _profiles(sample, until, dims).items()
    }


# --------------------------------------------------------------------------- statistics


@functools.lru_cache(maxsize=16)
def _z_quantile(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n``."""
    if n == 0:
        return (0.0, 1.0)
    z = _z_quantile(level)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe_interval(
    x1: int, n1: int, x2: int, n2: int, level: float = 0.95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``x1/n1 - x2/n2`` (his method 10)."""
    p1, p2 = x1 / n1, x2 / n2
    low1, high1 = wilson_interval(x1, n1, level)
    low2, high2 = wilson_interval(x2, n2, level)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = difference + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return (max(-1.0, low), min(1.0, high))


def proportion_test(
    x1: int, n1: int, x2: int, n2: int, *, min_expected: float = 5.0
) -> tuple[float, str]:
    """Two-sided p-value that ``x1/n1`` and ``x2/n2`` differ, and the test used.

    Fisher's exact test when any expected count of the 2 x 2 table is below
    ``min_expected``, otherwise the pooled two-proportion z-test.
    """
    # A table and its complement (women up = men down) get bit-identical p-values.
    x1, x2 = min((x1, x2), (n1 - x1, n2 - x2))
    total = n1 + n2
    hits = x1 + x2
    expected = [n * count / total for n in (n1, n2) for count in (hits, total - hits)]
    if min(expected) < min_expected:
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        return float(stats.fisher_exact(table, alternative="two-sided").pvalue), "fisher"
    variance = hits * (total - hits) / total**2 * (1 / n1 + 1 / n2)
    if variance == 0:
        return 1.0, "z"
    z = (x1 * n2 - x2 * n1) / (n1 * n2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2)), "z"  # two-sided normal tail


def adjust_p_values(p_values: Sequence[float], method: str = "bh") -> list[float]:
    """Benjamini-Hochberg (``"bh"``) or Holm (``"holm"``) adjusted p-values, same order."""
    if method not in CORRECTIONS:
        raise ShiftInputError(f"correction must be one of {', '.join(CORRECTIONS)}, got {method!r}")
    if not p_values:
        return []
    if method == "bh":
        return [float(p) for p in stats.false_discovery_control(list(p_values), method="bh")]
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


# --------------------------------------------------------------------------- shifts


def audience_shifts(
    records: Iterable[SubjectRecord] | AudienceSample,
    as_of: dt.date | dt.datetime | str,
    *,
    baseline_weeks: int = 8,
    recent_days: int = 7,
    min_authors: int = 20,
    min_segment_authors: int = 5,
    alpha: float = 0.01,
    correction: str = "bh",
    ci_level: float = 0.95,
    max_evidence: int = 5,
    dimensions: Mapping[str, Dimension] | None = None,
) -> list[dict[str, Any]]:
    """Rows for the ``audience_shifts`` table: every subject x segment that had enough data.

    Each row compares the share of distinct authors in the segment (among authors with a
    known segment in its dimension) between the baseline and the recent window; see the
    module docstring for the test, the correction and the intervals. ``significant`` is 1
    when ``p_adjusted <= alpha``. ``baseline_posts`` / ``recent_posts`` count the posts the
    segment's authors wrote about the subject in each window; ``evidence`` is a JSON list of
    up to ``max_evidence`` recent post ids by the segment's authors, those that disclose the
    segment first. Rows come sorted: significant first, then by adjusted p-value.
    """
    if not 0 < alpha < 1:
        raise ShiftInputError(f"alpha must be between 0 and 1, got {alpha!r}")
    if not 0 < ci_level < 1:
        raise ShiftInputError(f"ci_level must be between 0 and 1, got {ci_level!r}")
    if min_authors < 1 or min_segment_authors < 1:
        raise ShiftInputError("min_authors and min_segment_authors must be at least 1")
    if correction not in CORRECTIONS:
        raise ShiftInputError(
            f"correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}"
        )
    windows = analysis_windows(as_of, baseline_weeks, recent_days)
    dims = dimensions if dimensions is not None else load_dimensions()
    sample = _sample(records)
    known = _Known.of(sample, windows.end, dims)
    in_window = sample.windows_of(windows)

    rows: list[dict[str, Any]] = []
    for kind, subject in sorted(sample.subjects):
        posts = _split(sample.subjects[(kind, subject)], in_window)
        for dimension in dims.values():
            rows.extend(
                _subject_rows(
                    kind,
                    subject,
                    dimension,
                    posts,
                    sample,
                    known,
                    windows,
                    min_authors=min_authors,
                    min_segment_authors=min_segment_authors,
                    ci_level=ci_level,
                    max_evidence=max_evidence,
                )
            )
    # In an exclusive dimension with two segments, "more women" and "fewer men" are one
    # hypothesis (the two tables are complements): it enters the correction once.
    hypotheses: dict[tuple[str, ...], float] = {}
    for row in rows:
        hypotheses.setdefault(_hypothesis(row, dims), row["p_value"])
    p_adjusted = adjust_p_values(list(hypotheses.values()), correction)
    adjusted = dict(zip(hypotheses, p_adjusted, strict=True))
    for row in rows:
        row["p_adjusted"] = adjusted[_hypothesis(row, dims)]
        row["significant"] = int(row["p_adjusted"] <= alpha)
    rows.sort(key=lambda r: (-r["significant"], r["p_adjusted"], r["subject"], r["segment"]))
    return rows


def _hypothesis(row: Mapping[str, Any], dims: Mapping[str, Dimension]) -> tuple[str, ...]:
    dimension = dims[row["dimension"]]
    key = (row["subject_kind"], row["subject"], row["dimension"])
    return key if dimension.exclusive and len(dimension.segments) == 2 else (*key, row["segment"])


def _subject_rows(
    kind: str,
    subject: str,
    dimension: Dimension,
    posts: Mapping[str, np.ndarray],
    sample: AudienceSample,
    known: _Known,
    windows: Windows,
    *,
    min_authors: int,
    min_segment_authors: int,
    ci_level: float,
    max_evidence: int,
) -> list[dict[str, Any]]:
    name = dimension.name
    known_here = known.dimension.get(name)
    if known_here is None:
        return []  # nobody's segment is known in this dimension
    authors = {window: sample.authors[posts[window]] for window in (BASELINE, RECENT)}
    # window -> the distinct authors of the subject's posts with a known segment
    known_authors = {
        window: np.unique(codes[known_here[codes]]) for window, codes in authors.items()
    }
    n_baseline, n_recent = len(known_authors[BASELINE]), len(known_authors[RECENT])
    if n_baseline < min_authors or n_recent < min_authors:
        return []
    by_segment = known.segment.get(name, {})
    times, post_ids, disclosed = sample._time_list, sample.post_ids, sample.disclosed
    rows = []
    for segment in dimension.segments:
        member = by_segment.get(segment)
        if member is None:
            continue  # no author in the segment: fewer than min_segment_authors (>= 1)
        x_baseline = int(np.count_nonzero(member[known_authors[BASELINE]]))
        x_recent = int(np.count_nonzero(member[known_authors[RECENT]]))
        if x_baseline + x_recent < min_segment_authors:
            continue
        p_value, _ = proportion_test(x_recent, n_recent, x_baseline, n_baseline)
        low, high = newcombe_interval(x_recent, n_recent, x_baseline, n_baseline, ci_level)
        baseline_share, recent_share = x_baseline / n_baseline, x_recent / n_recent
        post_counts = {
            window: int(np.count_nonzero(member[codes])) for window, codes in authors.items()
        }
        pair = (name, segment)
        evidence = sorted(
            posts[RECENT][member[authors[RECENT]]].tolist(),
            key=lambda p: (pair not in disclosed[p], -times[p], post_ids[p]),
        )[:max_evidence]
        rows.append(
            {
                "as_of": windows.as_of.isoformat(),
                "subject_kind": kind,
                "subject": subject,
                "dimension": name,
                "segment": segment,
                "baseline_share": baseline_share,
                "recent_share": recent_share,
                "baseline_n": n_baseline,
                "recent_n": n_recent,
                "baseline_posts": post_counts[BASELINE],
                "recent_posts": post_counts[RECENT],
                "lift": recent_share / baseline_share if baseline_share else None,
                "ci_low": low,
                "ci_high": high,
                "p_value": p_value,
                "p_adjusted": p_value,
                "significant": 0,
                "direction": "up" if recent_share >= baseline_share else "down",
                "evidence": json.dumps([post_ids[p] for p in evidence]),
            }
        )
    return rows


# --------------------------------------------------------------------------- coverage


def coverage(
    records: Iterable[SubjectRecord] | AudienceSample,
    as_of: dt.date | dt.datetime | str,
    *,
    baseline_weeks: int = 8,
    recent_days: int = 7,
    dimensions: Mapping[str, Dimension] | None = None,
    by_subject: bool = False,
) -> dict[str, Any]:
    """How much is known about who is posting, per window: a shift only means something
    against it.

    For each window: ``posts`` (distinct posts), ``posts_known`` (posts where the author
    disclosed something about themself) and ``post_share``; ``authors``, ``authors_known``
    (authors with a known segment in any dimension, from all their posts up to ``as_of``)
    and ``author_share``; and per dimension the known authors and their count per segment.
    With ``by_subject``, the same figures per subject under ``"subjects"``.
    """
    windows = analysis_windows(as_of, baseline_weeks, recent_days)
    dims = dimensions if dimensions is not None else load_dimensions()
    sample = _sample(records)
    known = _Known.of(sample, windows.end, dims)
    in_window = sample.windows_of(windows)
    overall = {BASELINE: np.flatnonzero(in_window == 0), RECENT: np.flatnonzero(in_window == 1)}
    result: dict[str, Any] = {
        "as_of": windows.as_of.isoformat(),
        "windows": _window_coverage(overall, sample, known, dims, windows),
    }
    if by_subject:
        result["subjects"] = []
        for kind, subject in sorted(sample.subjects):
            posts = _split(sample.subjects[(kind, subject)], in_window)
            if len(posts[BASELINE]) or len(posts[RECENT]):
                result["subjects"].append(
                    {
                        "subject_kind": kind,
                        "subject": subject,
                        "windows": _window_coverage(posts, sample, known, dims, windows),
                    }
                )
    return result


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _window_coverage(
    posts: Mapping[str, np.ndarray],
    sample: AudienceSample,
    known: _Known,
    dims: Mapping[str, Dimension],
    windows: Windows,
) -> dict[str, Any]:
    bounds = {
        BASELINE: (windows.baseline_start, windows.recent_start),
        RECENT: (windows.recent_start, windows.end),
    }
    result = {}
    for window in (BASELINE, RECENT):
        window_posts = posts[window]
        authors = np.unique(sample.authors[window_posts])
        posts_known = int(np.count_nonzero(known.disclosing[window_posts]))
        authors_known = int(np.count_nonzero(known.anything[authors]))
        by_dimension = {}
        for name in dims:
            mask = known.dimension.get(name)
            known_here = int(np.count_nonzero(mask[authors])) if mask is not None else 0
            segments = {}
            for segment, member in sorted(known.segment.get(name, {}).items()):
                count = int(np.count_nonzero(member[authors]))
                if count:
                    segments[segment] = count
            by_dimension[name] = {
                "authors_known": known_here,
                "author_share": _share(known_here, len(authors)),
                "segments": segments,
            }
        start, end = bounds[window]
        result[window] = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "posts": len(window_posts),
            "posts_known": posts_known,
            "post_share": _share(posts_known, len(window_posts)),
            "authors": len(authors),
            "authors_known": authors_known,
            "author_share": _share(authors_known, len(authors)),
            "dimensions": by_dimension,
        }
    return result
