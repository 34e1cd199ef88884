"""Audience shifts: tagging + statistics on generated corpora, and the pieces on their own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

import pytest
from scipy import stats

from nlp.segments import SegmentMatch, SegmentTagger
from nlp.shifts import (
    SHIFT_COLUMNS,
    AudienceSample,
    ShiftInputError,
    SubjectRecord,
    adjust_p_values,
    analysis_windows,
    audience_shifts,
    author_profiles,
    coverage,
    newcombe_interval,
    parse_time,
    proportion_test,
    wilson_interval,
)
from tests.fixtures.segments.corpus import (
    LANGUAGES,
    CachedTagger,
    CorpusGenerator,
    ProductPlan,
    false_alarm_study,
    tag_corpus,
)

AS_OF = dt.date(2026, 11, 22)
PLANTED = ProductPlan("Starfall Arena", 250, 90, female_baseline=0.15, female_recent=0.6)
CONTROL = ProductPlan("Pixel Farm", 250, 90, female_baseline=0.35, female_recent=0.35)


@pytest.fixture(scope="module")
def tagger() -> CachedTagger:
    return CachedTagger(SegmentTagger())


def rows_for(rows: list[dict], subject: str, segment: str | None = None) -> list[dict]:
    return [r for r in rows if r["subject"] == subject and segment in (None, r["segment"])]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_planted_female_shift_is_found_and_control_is_not(tagger: CachedTagger, lang: str) -> None:
    generator = CorpusGenerator([lang], random_state=LANGUAGES.index(lang))
    corpus = generator.corpus(AS_OF, [PLANTED, CONTROL])
    records = tag_corpus(corpus, tagger)

    # The tagger recovers who the authors are: no author gets the wrong gender.
    authors = corpus.authors()
    profiles = author_profiles(records)
    genders = {a: p["gender"] for a, p in profiles.items() if "gender" in p}
    assert len(genders) > 0.4 * len(authors)
    assert all(genders[a] == {authors[a].gender} for a in genders)

    rows = audience_shifts(records, AS_OF)
    [female] = rows_for(rows, "Starfall Arena", "female")
    assert female["significant"] == 1 and female["p_adjusted"] < 0.01
    assert female["direction"] == "up" and female["lift"] > 2
    assert (
        0 < female["ci_low"] < female["recent_share"] - female["baseline_share"] < female["ci_high"]
    )
    evidence = json.loads(female["evidence"])
    recent_ids = {p.post_id for p in corpus.posts if p.published_at >= corpus.windows.recent_start}
    assert evidence and set(evidence) <= recent_ids
    assert all(
        authors[p.author.key].gender == "female" for p in corpus.posts if p.post_id in evidence
    )
    [male] = rows_for(rows, "Starfall Arena", "male")
    assert male["significant"] == 1 and male["direction"] == "down"
    control = rows_for(rows, "Pixel Farm")
    assert {r["segment"] for r in control} >= {"female", "male"}  # tested, not skipped
    assert not [r for r in control if r["significant"]]


def test_planted_shift_is_found_when_posts_have_no_language(tagger: CachedTagger) -> None:
    corpus = CorpusGenerator(random_state=11).corpus(AS_OF, [PLANTED, CONTROL])
    rows = audience_shifts(tag_corpus(corpus, tagger, use_language=False), AS_OF)
    [female] = rows_for(rows, "Starfall Arena", "female")
    assert female["significant"] == 1 and female["p_adjusted"] < 0.01
    assert not [r for r in rows_for(rows, "Pixel Farm") if r["significant"]]


def test_false_alarms_stay_at_or_below_the_nominal_rate(tagger: CachedTagger) -> None:
    """Small version of benchmarks/bench_shift_false_alarms.py (which runs 1000 corpora)."""
    alpha = 0.10  # a high nominal rate, so that few corpora can tell a miscalibrated test
    result = false_alarm_study(
        50, tagger, alpha=alpha, random_state=2026, products=3, scale=0.8, min_authors=10
    )
    assert result.tests > 50 * 3 * 4  # most products x segments were tested
    assert result.rate <= alpha
    assert result.per_test_rate <= alpha


def post(
    post_id: str,
    author: str,
    when: str,
    *segments: tuple[str, str],
    subject: str | None = "Starfall Arena",
    about: str = "author",
) -> SubjectRecord:
    dimension = {"female": "gender", "male": "gender", "parent": "role", "student": "role"}
    return SubjectRecord(
        post_id=post_id,
        author_key=author,
        subject_kind="entity" if subject else None,
        subject=subject,
        published_at=when,
        segments=tuple(
            SegmentMatch(dimension.get(seg, "age"), seg, evidence, about)
            for seg, evidence in segments
        ),
    )


def steady_audience(rng: random.Random, subject: str, female_share: float) -> list[SubjectRecord]:
    """Authors who each disclose their gender once, same female share in both windows."""
    records = []
    for window, count, start in (("b", 200, "2026-10-01"), ("r", 60, "2026-11-18")):
        for i in range(count):
            gender = "female" if rng.random() < female_share else "male"
            records.append(
                post(
                    f"{subject}-{window}{i}",
                    f"{subject}-{window}{i}",
                    f"{start}T12:00:00Z",
                    (gender, f"as a {gender}"),
                    subject=subject,
                )
            )
    return records


def test_one_prolific_author_cannot_create_a_shift() -> None:
    records = steady_audience(random.Random(5), "Starfall Arena", 0.3)
    # One woman posts 300 times in the recent week, each post disclosing it again.
    records += [
        post(f"spam{i}", "forum:prolific", "2026-11-20T08:00:00Z", ("female", "as a girl"))
        for i in range(300)
    ]
    rows = audience_shifts(records, AS_OF)
    [female] = rows_for(rows, "Starfall Arena", "female")
    assert female["significant"] == 0
    assert female["recent_posts"] >= 300  # her posts are reported ...
    assert female["recent_n"] == 61  # ... but she is one author among 61
    recent = [r for r in records if r.published_at >= "2026-11-16"]
    post_share = sum(r.segments[0].segment == "female" for r in recent) / len(recent)
    assert post_share > 0.8  # counting posts instead would have shown a huge "shift"


def test_conflicting_disclosures_go_to_the_majority_and_ties_stay_unknown() -> None:
    records = [
        post("1", "a", "2026-11-01", ("female", "as a girl")),
        post("2", "a", "2026-11-02", ("female", "I'm a girl")),
        post("3", "a", "2026-11-03", ("male", "as a guy")),
        post("4", "b", "2026-11-01", ("female", "as a girl")),
        post("5", "b", "2026-11-02", ("male", "as a guy")),
        post("6", "c", "2026-11-01", ("parent", "my daughter"), ("student", "as a student")),
        post("7", "d", "2026-11-01", ("female", "my wife"), about="other"),
        post("8", "e", "2026-12-01", ("male", "as a guy")),  # after as_of
    ]
    profiles = author_profiles(records, until=analysis_windows(AS_OF).end)
    assert profiles["a"] == {"gender": frozenset({"female"})}
    assert "b" not in profiles  # a tie: unknown
    assert profiles["c"] == {"role": frozenset({"parent", "student"})}  # roles co-exist
    assert "d" not in profiles  # someone they speak for is not the author
    assert "e" not in profiles  # disclosed after as_of


def test_the_same_post_under_two_subjects_counts_once_per_author() -> None:
    records = [post("1", "a", "2026-11-01", ("female", "as a girl"), subject=s) for s in "XY"]
    records += [post("2", "a", "2026-11-02", ("female", "as a girl"), subject="X")]
    assert author_profiles(records)["a"] == {"gender": frozenset({"female"})}


def test_a_disclosure_under_one_subject_identifies_the_author_under_others() -> None:
    rng = random.Random(3)
    records = steady_audience(rng, "Pixel Farm", 0.3)
    # The same authors also post about Moonbrew without saying who they are.
    records += [
        SubjectRecord(f"m-{r.post_id}", r.author_key, "entity", "Moonbrew", r.published_at, ())
        for r in records
    ]
    rows = audience_shifts(records, AS_OF)
    moon = {r["segment"]: r for r in rows_for(rows, "Moonbrew")}
    pixel = {r["segment"]: r for r in rows_for(rows, "Pixel Farm")}
    assert moon["female"]["recent_n"] == pixel["female"]["recent_n"] == 60
    assert moon["female"]["recent_share"] == pixel["female"]["recent_share"]


def test_subjects_below_the_minimum_counts_are_not_tested() -> None:
    records = steady_audience(random.Random(1), "Starfall Arena", 0.3)
    records += steady_audience(random.Random(2), "Tiny", 0.3)[:205]  # 200 baseline, 5 recent
    rows = audience_shifts(records, AS_OF, min_authors=20)
    assert rows_for(rows, "Starfall Arena") and not rows_for(rows, "Tiny")
    assert not audience_shifts(records, AS_OF, min_authors=61)
    rows = audience_shifts(records, AS_OF, min_segment_authors=10_000)
    assert rows == []


def test_rows_fit_the_audience_shifts_table(tmp_path) -> None:
    from pipelines.db import open_db

    rows = audience_shifts(steady_audience(random.Random(4), "Starfall Arena", 0.3), AS_OF)
    assert rows and all(tuple(row) == SHIFT_COLUMNS for row in rows)
    db = open_db(tmp_path / "t.db")
    assert set(db["audience_shifts"].columns_dict) == set(SHIFT_COLUMNS)
    db["audience_shifts"].insert_all(rows)
    assert db["audience_shifts"].count == len(rows)
    assert set(db["post_segments"].columns_dict) == {
        "post_id",
        "dimension",
        "segment",
        "evidence",
        "about",
    }


def test_rows_are_sorted_and_their_fields_agree() -> None:
    rng = random.Random(9)
    records = steady_audience(rng, "Pixel Farm", 0.3)
    records += [  # Starfall: 10% women before, 60% now
        post(f"s-b{i}", f"s-b{i}", "2026-10-10", ("female" if i % 10 == 0 else "male", "x"))
        for i in range(200)
    ] + [
        post(f"s-r{i}", f"s-r{i}", "2026-11-20", ("female" if i % 5 < 3 else "male", "x"))
        for i in range(60)
    ]
    rows = audience_shifts(records, AS_OF)
    assert rows[0]["significant"] == 1 and rows[0]["subject"] == "Starfall Arena"
    assert [r["significant"] for r in rows] == sorted(
        (r["significant"] for r in rows), reverse=True
    )
    for row in rows:
        assert row["as_of"] == "2026-11-22" and row["subject_kind"] == "entity"
        assert row["direction"] == (
            "up" if row["recent_share"] >= row["baseline_share"] else "down"
        )
        assert row["lift"] == pytest.approx(row["recent_share"] / row["baseline_share"])
        assert row["ci_low"] <= row["recent_share"] - row["baseline_share"] <= row["ci_high"]
        assert row["p_value"] <= row["p_adjusted"] <= 1
    [female] = rows_for(rows, "Starfall Arena", "female")
    assert (female["baseline_share"], female["recent_share"]) == (0.1, 0.6)
    assert (female["baseline_n"], female["recent_n"]) == (200, 60)
    # "more women" and "fewer men" are one hypothesis: one test, one place in the correction.
    [male] = rows_for(rows, "Starfall Arena", "male")
    assert male["p_value"] == female["p_value"] and male["p_adjusted"] == female["p_adjusted"]
    hypotheses = {(r["subject"], r["dimension"]) for r in rows}
    raw = sorted({(r["subject"], r["dimension"], r["p_value"]) for r in rows}, key=lambda h: h[2])
    assert len(raw) == len(hypotheses) == 2
    assert female["p_adjusted"] == pytest.approx(min(1.0, raw[0][2] * 2))


def test_windows_follow_the_analysis_issue() -> None:
    windows = analysis_windows("2026-11-22")
    utc = dt.UTC
    assert windows.recent_start == dt.datetime(2026, 11, 16, tzinfo=utc)
    assert windows.end == dt.datetime(2026, 11, 23, tzinfo=utc)
    assert windows.baseline_start == dt.datetime(2026, 9, 21, tzinfo=utc)
    assert windows.window(dt.datetime(2026, 11, 22, 23, 59, tzinfo=utc)) == "recent"
    assert windows.window(dt.datetime(2026, 11, 15, 23, 59, tzinfo=utc)) == "baseline"
    assert windows.window(dt.datetime(2026, 11, 23, tzinfo=utc)) is None
    assert windows.window(dt.datetime(2026, 9, 20, tzinfo=utc)) is None
    assert analysis_windows("2026-11-22", baseline_weeks=4).baseline_start.day == 19


def test_coverage_reports_how_much_is_known_per_window() -> None:
    records = [
        post("1", "a", "2026-11-18", ("female", "as a girl")),
        post("2", "a", "2026-11-19"),
        post("3", "b", "2026-11-19"),
        post("4", "c", "2026-11-19", ("parent", "my son")),
        post("5", "d", "2026-11-20", ("female", "my wife"), about="other"),
        post("6", "e", "2026-10-01", ("male", "as a guy"), subject=None),
    ]
    result = coverage(records, AS_OF, by_subject=True)
    recent = result["windows"]["recent"]
    assert (recent["posts"], recent["posts_known"], recent["authors"], recent["authors_known"]) == (
        5,
        2,
        4,
        2,
    )
    assert recent["post_share"] == 0.4 and recent["author_share"] == 0.5
    assert recent["dimensions"]["gender"]["segments"] == {"female": 1}
    assert recent["dimensions"]["role"]["authors_known"] == 1
    baseline = result["windows"]["baseline"]
    assert (baseline["posts"], baseline["authors_known"]) == (1, 1)  # a post with no subject
    [subject] = result["subjects"]
    assert subject["subject"] == "Starfall Arena"
    assert subject["windows"]["baseline"]["posts"] == 0
    assert subject["windows"]["baseline"]["post_share"] is None


def test_evidence_prefers_recent_posts_that_disclose_the_segment() -> None:
    records = steady_audience(random.Random(8), "Starfall Arena", 0.3)
    records += [
        post("quiet", "Starfall Arena-r0", "2026-11-22T10:00:00Z"),
        post("old", "Starfall Arena-r0", "2026-10-01T10:00:00Z"),
    ]
    rows = audience_shifts(records, AS_OF, max_evidence=100)
    for row in rows_for(rows, "Starfall Arena"):
        evidence = json.loads(row["evidence"])
        assert "old" not in evidence
        disclosing = [e for e in evidence if e != "quiet"]
        assert evidence[: len(disclosing)] == disclosing  # disclosing posts come first


def test_a_sample_built_from_columns_gives_what_records_give(tagger: CachedTagger) -> None:
    generator = CorpusGenerator(["en", "pl"], random_state=3)
    records = tag_corpus(generator.corpus(AS_OF, [PLANTED, CONTROL]), tagger)
    records += [
        dataclasses.replace(r, subject_kind="topic", subject="Farming") for r in records[::3]
    ]
    posts: dict[str, SubjectRecord] = {}
    subjects: dict[tuple[str, str], list[int]] = {}
    for record in records:
        posts.setdefault(record.post_id, record)
        position = list(posts).index(record.post_id)
        subjects.setdefault((record.subject_kind, record.subject), []).append(position)
    # Times written as text such as 2026-11-20T10:00:00Z are converted all at once.
    sample = AudienceSample.from_posts(
        list(posts),
        [r.author_key for r in posts.values()],
        [parse_time(r.published_at).strftime("%Y-%m-%dT%H:%M:%SZ") for r in posts.values()],
        [
            frozenset((m.dimension, m.segment) for m in r.segments if m.about == "author")
            for r in posts.values()
        ],  # fmt: skip
        subjects,
    )
    rows = audience_shifts(sample, AS_OF)
    assert rows and rows == audience_shifts(records, AS_OF)
    assert coverage(sample, AS_OF, by_subject=True) == coverage(records, AS_OF, by_subject=True)
    assert author_profiles(sample) == author_profiles(records)


def test_wilson_and_newcombe_match_newcombe_1998() -> None:
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    low, high = newcombe_interval(9, 10, 3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1705, 0.8090)


def test_small_tables_use_fishers_exact_test_and_large_ones_the_z_test() -> None:
    p, test = proportion_test(3, 10, 1, 12)
    assert test == "fisher"
    assert p == pytest.approx(stats.fisher_exact([[3, 7], [1, 11]]).pvalue)
    p, test = proportion_test(30, 100, 20, 100)
    assert test == "z"
    z = (0.3 - 0.2) / (0.25 * 0.75 * (2 / 100)) ** 0.5
    assert p == pytest.approx(2 * stats.norm.sf(z))
    assert proportion_test(0, 50, 0, 50)[0] == 1.0


def test_benjamini_hochberg_and_holm_adjustments() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_p_values(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust_p_values(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_p_values([], "bh") == []
    with pytest.raises(ShiftInputError, match="correction"):
        adjust_p_values(p, "bonferonni")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            SubjectRecord("1", "a", "product", "X", "2026-11-20"),
            "subject_kind must be entity or topic",
        ),
        (
            SubjectRecord("1", "a", "entity", "X", "last tuesday"),
            "post 1: published_at 'last tuesday'",
        ),
        (
            SubjectRecord("", "a", "entity", "X", "2026-11-20"),
            "post_id and author_key are required",
        ),
    ],
)
def test_bad_records_are_reported_in_one_line(record: SubjectRecord, message: str) -> None:
    with pytest.raises(ShiftInputError, match=message):
        audience_shifts([record], AS_OF)


def test_bad_parameters_are_reported() -> None:
    with pytest.raises(ShiftInputError, match="alpha"):
        audience_shifts([], AS_OF, alpha=1.5)
    with pytest.raises(ShiftInputError, match="as_of"):
        audience_shifts([], "next week")
    assert audience_shifts([], AS_OF) == []
