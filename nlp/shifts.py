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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass
class _Post:
    post_id: str
    author: str
    when: dt.datetime
    disclosed: frozenset[tuple[str, str]]  # (dimension, segment) the author said of themself


@dataclass
class _Prepared:
    """Records parsed once: every post, and per subject and window the posts by id."""

    posts: dict[str, _Post]
    by_subject: dict[tuple[str, str], dict[str, dict[str, _Post]]]


def _prepare(records: Iterable[SubjectRecord], windows: Windows | None) -> _Prepared:
    posts: dict[str, _Post] = {}
    by_subject: dict[tuple[str, str], dict[str, dict[str, _Post]]] = defaultdict(
        lambda: {BASELINE: {}, RECENT: {}}
    )
    for record in records:
        if not isinstance(record, SubjectRecord):
            raise ShiftInputError(f"expected SubjectRecord items, got {type(record).__name__}")
        if not record.post_id or not record.author_key:
            raise ShiftInputError(f"post {record.post_id!r}: post_id and author_key are required")
        post = posts.get(record.post_id)
        disclosed = frozenset(
            (m.dimension, m.segment) for m in record.segments if m.about == "author"
        )
        if post is None:
            when = parse_time(record.published_at, record.post_id)
            post = posts[record.post_id] = _Post(record.post_id, record.author_key, when, disclosed)
        elif not disclosed <= post.disclosed:
            post.disclosed = post.disclosed | disclosed
        if record.subject is None:
            continue
        if record.subject_kind not in SUBJECT_KINDS:
            raise ShiftInputError(
                f"post {record.post_id}: subject_kind must be entity or topic, "
                f"got {record.subject_kind!r}"
            )
        window = windows.window(post.when) if windows is not None else None
        if window is not None:
            by_subject[(record.subject_kind, record.subject)][window][post.post_id] = post
    return _Prepared(posts=posts, by_subject=by_subject)


def _profiles(
    posts: Iterable[_Post], until: dt.datetime | None, dims: Mapping[str, Dimension]
) -> dict[str, dict[str, frozenset[str]]]:
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    for post in posts:
        if post.disclosed and (until is None or post.when < until):
            for dimension, segment in post.disclosed:
                counts[post.author][dimension][segment] += 1
    profiles: dict[str, dict[str, frozenset[str]]] = {}
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


def author_profiles(
    records: Iterable[SubjectRecord],
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
    return _profiles(_prepare(records, None).posts.values(), until, dims)


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
    records: Iterable[SubjectRecord],
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
    prepared = _prepare(records, windows)
    profiles = _profiles(prepared.posts.values(), windows.end, dims)

    rows: list[dict[str, Any]] = []
    for (kind, subject), posts in sorted(prepared.by_subject.items()):
        for dimension in dims.values():
            rows.extend(
                _subject_rows(
                    kind,
                    subject,
                    dimension,
                    posts,
                    profiles,
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
    posts: Mapping[str, Mapping[str, _Post]],
    profiles: Mapping[str, Mapping[str, frozenset[str]]],
    windows: Windows,
    *,
    min_authors: int,
    min_segment_authors: int,
    ci_level: float,
    max_evidence: int,
) -> list[dict[str, Any]]:
    name = dimension.name
    known: dict[str, dict[str, frozenset[str]]] = {}  # window -> author -> segments
    for window in (BASELINE, RECENT):
        known[window] = {}
        for post in posts[window].values():
            segments = profiles.get(post.author, {}).get(name)
            if segments:
                known[window][post.author] = segments
    n_baseline, n_recent = len(known[BASELINE]), len(known[RECENT])
    if n_baseline < min_authors or n_recent < min_authors:
        return []
    rows = []
    for segment in dimension.segments:
        members = {
            window: {a for a, segments in known[window].items() if segment in segments}
            for window in (BASELINE, RECENT)
        }
        x_baseline, x_recent = len(members[BASELINE]), len(members[RECENT])
        if x_baseline + x_recent < min_segment_authors:
            continue
        p_value, _ = proportion_test(x_recent, n_recent, x_baseline, n_baseline)
        low, high = newcombe_interval(x_recent, n_recent, x_baseline, n_baseline, ci_level)
        baseline_share, recent_share = x_baseline / n_baseline, x_recent / n_recent
        post_counts = {
            window: sum(1 for p in posts[window].values() if p.author in members[window])
            for window in (BASELINE, RECENT)
        }
        evidence = sorted(
            (p for p in posts[RECENT].values() if p.author in members[RECENT]),
            key=lambda p: ((name, segment) not in p.disclosed, -p.when.timestamp(), p.post_id),
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
                "evidence": json.dumps([p.post_id for p in evidence]),
            }
        )
    return rows


# --------------------------------------------------------------------------- coverage


def coverage(
    records: Iterable[SubjectRecord],
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
    prepared = _prepare(records, windows)
    profiles = _profiles(prepared.posts.values(), windows.end, dims)
    overall: dict[str, dict[str, _Post]] = {BASELINE: {}, RECENT: {}}
    for post in prepared.posts.values():
        window = windows.window(post.when)
        if window is not None:
            overall[window][post.post_id] = post
    result: dict[str, Any] = {
        "as_of": windows.as_of.isoformat(),
        "windows": _window_coverage(overall, profiles, dims, windows),
    }
    if by_subject:
        result["subjects"] = [
            {
                "subject_kind": kind,
                "subject": subject,
                "windows": _window_coverage(posts, profiles, dims, windows),
            }
            for (kind, subject), posts in sorted(prepared.by_subject.items())
        ]
    return result


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _window_coverage(
    posts: Mapping[str, Mapping[str, _Post]],
    profiles: Mapping[str, Mapping[str, frozenset[str]]],
    dims: Mapping[str, Dimension],
    windows: Windows,
) -> dict[str, Any]:
    bounds = {
        BASELINE: (windows.baseline_start, windows.recent_start),
        RECENT: (windows.recent_start, windows.end),
    }
    result = {}
    for window in (BASELINE, RECENT):
        window_posts = posts[window].values()
        authors = {p.author for p in window_posts}
        posts_known = sum(1 for p in window_posts if p.disclosed)
        authors_known = sum(1 for a in authors if profiles.get(a))
        by_dimension = {}
        for name in dims:
            segments: dict[str, int] = defaultdict(int)
            known = 0
            for author in authors:
                values = profiles.get(author, {}).get(name)
                if values:
                    known += 1
                    for segment in values:
                        segments[segment] += 1
            by_dimension[name] = {
                "authors_known": known,
                "author_share": _share(known, len(authors)),
                "segments": dict(sorted(segments.items())),
            }
        start, end = bounds[window]
        result[window] = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "posts": len(posts[window]),
            "posts_known": posts_known,
            "post_share": _share(posts_known, len(posts[window])),
            "authors": len(authors),
            "authors_known": authors_known,
            "author_share": _share(authors_known, len(authors)),
            "dimensions": by_dimension,
        }
    return result
