"""Emergence scoring: volume, distinct authors, exposure, dispersion, significance."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import scipy.sparse as sp

from nlp.trends import (
    EmergenceScorer,
    EntityMatcher,
    Windows,
    benjamini_hochberg,
    count_by_week,
    iso_week,
    iso_weeks,
    languages_by_item,
    pick_evidence,
)

WEEKS = 8
FLAT_VOLUME = np.full(WEEKS, 1000.0)


def score_one(baseline: list[int], recent: int, volume: np.ndarray = FLAT_VOLUME,
              recent_volume: float = 1000.0):  # fmt: skip
    return EmergenceScorer().score(
        np.array([recent]), np.array(baseline).reshape(-1, 1), recent_volume, volume
    )


def test_one_to_three_mentions_is_not_a_trend() -> None:
    result = score_one([0, 0, 0, 0, 0, 0, 0, 1], 3)
    assert result.status[0] == "steady"
    assert result.growth[0] == pytest.approx((3 + 1) / (1 / 8 + 1))


def test_a_clear_jump_in_authors_is_emerging_and_significant() -> None:
    result = score_one([5, 4, 6, 5, 5, 4, 6, 5], 30)
    assert result.status[0] == "emerging"
    assert result.p_up[0] < 1e-6
    assert result.expected[0] == pytest.approx(5.0)
    assert result.score[0] == pytest.approx((30 - 5) / np.sqrt(6))


def test_a_subject_never_seen_before_with_enough_authors_is_new() -> None:
    result = score_one([0] * 8, 8)
    assert result.status[0] == "new"
    few = score_one([0] * 8, 2)
    assert few.status[0] == "steady"


def test_a_drop_from_a_solid_baseline_is_fading() -> None:
    result = score_one([20, 22, 19, 21, 20, 18, 22, 20], 3)
    assert result.status[0] == "fading"
    assert result.score[0] < 0
    assert result.p_down[0] < 1e-4


def test_growth_of_the_whole_corpus_is_taken_out_by_exposure() -> None:
    # Twice as many people posted this week; the subject doubled with them.
    result = score_one([10] * 8, 20, recent_volume=2000.0)
    assert result.expected[0] == pytest.approx(20.0)
    assert result.status[0] == "steady"
    # The same doubling in a corpus of constant size is a trend.
    same = score_one([10] * 8, 20)
    assert same.status[0] == "emerging"


def test_a_bursty_subject_needs_a_bigger_jump_than_a_regular_one() -> None:
    regular = score_one([10] * 8, 22)
    bursty = score_one([0, 20, 0, 20, 0, 20, 0, 20], 22)
    assert regular.dispersion[0] == pytest.approx(1.0)
    assert bursty.dispersion[0] > 5
    assert regular.status[0] == "emerging"
    assert bursty.status[0] == "steady"
    assert bursty.p_up[0] > regular.p_up[0]


def test_p_values_are_calibrated_when_nothing_changes() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    counts = rng.poisson(12.0, size=(WEEKS + 1, n))
    result = EmergenceScorer().score(counts[WEEKS], counts[:WEEKS], 1000.0, FLAT_VOLUME)
    false_alarms = float(np.mean(result.p_up < 0.05))
    assert 0.02 < false_alarms <= 0.06
    assert not np.any(result.status == "emerging")  # after the correction for 4,000 tests


def test_no_baseline_at_all_makes_everything_new_without_p_values() -> None:
    result = EmergenceScorer().score(np.array([6, 2]), np.zeros((WEEKS, 2)), 50.0, np.zeros(WEEKS))
    assert list(result.status) == ["new", "steady"]
    assert np.isnan(result.p_up).all()


def test_benjamini_hochberg_matches_hand_computed_values() -> None:
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.005, np.nan]))
    assert q[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(q[4])


def test_count_by_week_counts_a_spammer_once_per_week() -> None:
    # posts × items: item 0 mentioned by a spammer 10 times, item 1 by 3 different people.
    rows = [*range(10), 10, 11, 12]
    cols = [0] * 10 + [1, 1, 1]
    indicator = sp.csr_matrix((np.ones(13), (rows, cols)), shape=(13, 2))
    authors = np.array([0] * 10 + [1, 2, 3])
    weeks = np.array([2] * 13)
    people, posts = count_by_week(indicator, authors, weeks, 3)
    assert people[2].tolist() == [1, 3]
    assert posts[2].tolist() == [10, 3]
    assert people[:2].sum() == 0


def test_count_by_week_ignores_posts_outside_the_window() -> None:
    indicator = sp.csr_matrix(np.ones((3, 1)))
    people, posts = count_by_week(indicator, np.array([0, 1, 2]), np.array([-1, 0, 1]), 2)
    assert people[:, 0].tolist() == [1, 1]
    assert posts[:, 0].tolist() == [1, 1]


def test_an_entity_counts_for_every_alias_and_polish_case_ending() -> None:
    matcher = EntityMatcher([("Starfall Arena", ["星落竞技场"]), ("Pixel Farm", [])])
    assert matcher.find("Gram dziś w Starfall Arenie z klanem") == {0}
    assert matcher.find("Nowy sezon Starfall Areny!") == {0}
    assert matcher.find("大家都在聊星落竞技场。") == {0}
    assert matcher.find("我在玩Starfall Arena呢") == {0}
    assert matcher.find("starfall   ARENA and Pixel Farm's update") == {0, 1}
    assert matcher.find("a pixel farmer and a Starfall Arenaxyz") == set()
    matrix = matcher.matrix(["Pixel Farm", "nothing", "星落竞技场"])
    assert matrix.toarray().tolist() == [[0, 1], [0, 0], [1, 0]]


def test_the_quick_check_before_the_regex_never_loses_a_match() -> None:
    """find() skips the regex for texts without any name's case-folded first word (or
    one-word stem); on texts that only the regex can judge, it answers as the regex does."""
    matcher = EntityMatcher([("Starfall Arena", []), ("Ninja", []), ("Pixel Farm", ["PF"])])
    texts = ["STARFALL\nARENY wrócił", "Ninji nie ma", "NINJOM się podoba", "pf 2 is out",
             "pixel farmy", "Starfal Arena", "ninj", "ＳＴＡＲＦＡＬＬ Arena", ""]  # fmt: skip
    regex = [{matcher._group_entity[m.lastgroup] for m in matcher._pattern.finditer(t)}
             for t in texts]  # fmt: skip
    assert [matcher.find(t) for t in texts] == regex
    assert regex[:6] == [{0}, {1}, {1}, {2}, {2}, set()]


def test_windows_cover_the_seven_days_ending_on_as_of_and_the_weeks_before() -> None:
    windows = Windows(dt.date(2026, 11, 22), baseline_weeks=8)
    assert windows.bounds() == ("2026-09-21T00:00:00Z", "2026-11-23T00:00:00Z")
    assert windows.week_of("2026-11-22T23:59:59Z") == 8
    assert windows.week_of("2026-11-16T00:00:00Z") == 8
    assert windows.week_of("2026-11-15T23:59:59Z") == 7
    assert windows.week_of("2026-09-21T00:00:00Z") == 0
    assert windows.week_of("2026-09-20T23:59:59Z") == -1
    assert windows.week_of("2026-11-23T00:00:00Z") == -1
    assert windows.week_of("2026-11-22T23:30:00+02:00") == 8
    assert iso_week("2026-11-22T10:00:00Z") == "2026-W47"
    assert iso_week("2027-01-01T00:00:00Z") == "2026-W53"


def test_weeks_of_many_times_are_week_of_each_in_every_spelling() -> None:
    windows = Windows(dt.date(2026, 11, 22), baseline_weeks=8)
    times = [
        "2026-11-22T23:59:59Z", "2026-11-16T00:00:00Z", "2026-11-15T23:59:59Z",
        "2026-09-21T00:00:00Z", "2026-09-20T23:59:59Z", "2026-11-23T00:00:00Z",
        "2026-11-22T23:30:00+02:00", "2026-11-16T00:30:00+01:00", "2026-11-15T23:30:00-01:00",
        "2026-11-16T00:00:00.5Z", "2026-11-16T00:00:00", "2026-11-16", "2026-02-30T10:00:00Z",
        "2026-11-16T24:00:00Z", "2026-11-16T23:59:60Z", "２０２６-11-16T10:00:00Z", "", "soon",
        None, "2026-10-05T12:00:00Z", "2026-10-05T23:00:00Z",
    ]  # fmt: skip
    weeks = windows.weeks_of(times)
    assert weeks.dtype == np.int64
    assert weeks.tolist() == [windows.week_of(t) for t in times]  # type: ignore[arg-type]
    assert weeks.tolist()[:9] == [8, 8, 7, 0, -1, -1, 8, 7, 8]
    assert iso_weeks(times) == [iso_week(t) for t in times]  # type: ignore[arg-type]


def test_an_entity_matchers_fingerprint_changes_with_anything_that_changes_matches() -> None:
    def fingerprint(*entities: tuple[str, list[str]], inflect: bool = True) -> str:
        return EntityMatcher(entities, inflect=inflect).fingerprint

    base = fingerprint(("Starfall Arena", ["星落竞技场"]), ("Pixel Farm", []))
    assert base == fingerprint(("Starfall Arena", ["星落竞技场"]), ("Pixel Farm", []))
    assert len({
        base,
        fingerprint(("Starfall Arena", ["星落竞技场", "SA"]), ("Pixel Farm", [])),
        fingerprint(("Pixel Farm", []), ("Starfall Arena", ["星落竞技场"])),
        fingerprint(("Starfall Arena", ["星落竞技场"]), ("Pixel Farm", []), inflect=False),
        fingerprint(("Starfall Arena", ["星落竞技场"])),
        fingerprint(),
    }) == 6  # fmt: skip


def test_languages_and_evidence_come_from_distinct_recent_authors() -> None:
    indicator = sp.csr_matrix(np.ones((5, 1)))
    languages = ["en", "en", "zh", "zh", "pl"]
    assert languages_by_item(indicator, languages, min_posts=2) == [["en", "zh"]]
    assert languages_by_item(indicator, languages, np.array([4])) == [["pl"]]
    evidence = pick_evidence(
        indicator, [0], np.arange(5), np.array([0, 0, 1, 2, 2]), ["a", "b", "c", "d", "e"]
    )
    assert evidence == {0: ["e", "c", "b"]}
