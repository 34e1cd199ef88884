"""Topics: clustering, labels, languages, identity between runs, and measured quality."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from nlp.topics import (
    TermMatrix,
    TopicModel,
    _label,
    auto_topic_count,
    match_topics,
    signature,
    topics_over_time,
)

FOOTBALL = ["goal", "striker", "referee", "penalty", "league", "stadium", "coach"]
COOKING = ["soup", "garlic", "oven", "recipe", "sauce", "noodles", "flour"]
GAME_ZH = ["竞技场", "英雄", "战队", "技能", "冠军"]
GAME_EN = ["arena", "hero", "clan", "skills", "champion"]


def themed_docs(words: list[str], n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [list(rng.choice(words, size=5, replace=False)) for _ in range(n)]


def identity(tokens: list[str]) -> list[str]:
    return tokens


def test_two_obvious_themes_become_two_labelled_topics_with_tiny_components() -> None:
    docs = themed_docs(FOOTBALL, 20, 1) + themed_docs(COOKING, 20, 2)
    model = TopicModel(
        2,
        vectorizer=TfidfVectorizer(analyzer=identity),
        reducer=None,
        clusterer=KMeans(2, n_init=2, random_state=0),
    )
    result = model.fit(docs, ["en"] * 40)
    assert len(set(result.assignments[:20])) == 1
    assert len(set(result.assignments[20:])) == 1
    assert result.assignments[0] != result.assignments[20]
    by_size = {t.index: t for t in result.topics}
    football = by_size[result.assignments[0]]
    assert set(football.top_terms[:3]) <= set(FOOTBALL)
    assert football.label == " · ".join(football.top_terms[:3])
    assert football.size == 20 and football.languages == ["en"]
    assert np.all(result.weights > 0.3)


def test_the_same_seed_gives_the_same_topics_and_documents_without_words_get_none() -> None:
    docs = themed_docs(FOOTBALL, 30, 1) + themed_docs(COOKING, 30, 2) + [[]]
    first = TopicModel(2, random_state=3).fit(docs)
    second = TopicModel(2, random_state=3).fit(docs)
    assert first.assignments.tolist() == second.assignments.tolist()
    assert [t.label for t in first.topics] == [t.label for t in second.topics]
    assert first.assignments[-1] == -1


def test_documents_without_any_frequent_word_give_no_topics() -> None:
    result = TopicModel(3).fit([[], ["once"], []])
    assert result.topics == [] and result.assignments.tolist() == [-1, -1, -1]
    empty = TermMatrix(sp.csr_matrix((4, 2), dtype=np.float32), ["a", "b"])
    assert TopicModel(3).fit(empty).topics == []


def test_a_boosted_shared_name_joins_one_theme_across_two_languages() -> None:
    en = themed_docs(GAME_EN, 30, 1)
    zh = themed_docs(GAME_ZH, 30, 2)
    other = themed_docs(FOOTBALL, 30, 3) + themed_docs(COOKING, 30, 4)
    docs = [*(d + ["starfall arena"] for d in en), *(d + ["starfall arena"] for d in zh), *other]
    languages = ["en"] * 30 + ["zh"] * 30 + ["en"] * 60
    counter = CountVectorizer(analyzer=identity)
    counts = sp.csr_matrix(counter.fit_transform(docs), dtype=np.float32)
    terms = list(counter.get_feature_names_out())
    boost = np.ones(len(terms), dtype=np.float32)
    boost[terms.index("starfall arena")] = 3.0
    result = TopicModel(3, random_state=0).fit(TermMatrix(counts, terms, boost), languages)
    game = result.assignments[0]
    assert set(result.assignments[:60].tolist()) == {game}
    topic = result.topics[game]
    assert topic.languages == ["en", "zh"]
    assert topic.top_terms[0] == "starfall arena"
    # the label names the strongest word of each main language
    assert any(word in topic.label for word in GAME_ZH)
    assert any(word in topic.label for word in GAME_EN + ["starfall arena"])


def test_labels_are_unique_even_when_top_terms_repeat() -> None:
    used: set[str] = set()
    labels = []
    for _ in range(3):
        labels.append(_label(["goal", "striker", "coach"], [], used))
        used.add(labels[-1])
    assert labels == ["goal · striker · coach", "goal · striker · coach (2)",
                      "goal · striker · coach (3)"]  # fmt: skip
    assert _label(["goal", "striker", "coach", "league"], [], {"goal · striker · coach"}) == (
        "goal · striker · coach · league"
    )


def test_signatures_compare_weighted_terms_whatever_the_vocabulary() -> None:
    a = signature(["goal", "striker", "coach"], [0.9, 0.5, 0.2])
    b = signature(["coach", "goal", "striker"], [0.2, 0.9, 0.5])
    c = signature(["soup", "garlic", "oven"], [0.9, 0.5, 0.2])
    assert float(a @ b) == pytest.approx(1.0, abs=1e-6)
    assert abs(float(a @ c)) < 0.2
    assert a.dtype == np.float32 and np.linalg.norm(a) == pytest.approx(1.0, abs=1e-6)


def test_topics_are_matched_one_to_one_above_the_threshold() -> None:
    stored = np.vstack(
        [signature(["goal", "striker"], [1, 1]), signature(["soup", "garlic"], [1, 1])]
    )
    new = np.vstack(
        [
            signature(["soup", "garlic", "flour"], [1, 1, 0.3]),  # continues stored 1
            signature(["goal", "striker", "coach"], [1, 1, 0.3]),  # continues stored 0
            signature(["arena", "hero"], [1, 1]),  # new
        ]
    )
    assert match_topics(new, stored) == [1, 0, None]
    assert match_topics(new, stored, min_similarity=0.999) == [None, None, None]
    assert match_topics(new, np.zeros((0, new.shape[1]))) == [None, None, None]


def test_last_weeks_topics_keep_their_identity_in_a_new_run_on_new_posts() -> None:
    week1 = themed_docs(FOOTBALL, 40, 1) + themed_docs(COOKING, 40, 2)
    week2 = themed_docs(COOKING, 50, 3) + themed_docs(FOOTBALL, 30, 4) + themed_docs(GAME_EN, 30, 5)
    before = TopicModel(2, random_state=0).fit(week1)
    after = TopicModel(3, random_state=0).fit(week2)
    stored = np.vstack([t.signature for t in before.topics])
    matches = match_topics(np.vstack([t.signature for t in after.topics]), stored)
    football_then = before.assignments[0]
    football_now = after.assignments[50]
    cooking_then = before.assignments[40]
    cooking_now = after.assignments[0]
    assert matches[football_now] == football_then
    assert matches[cooking_now] == cooking_then
    assert matches[after.assignments[80]] is None  # the game topic is new


def test_topics_over_time_counts_posts_and_distinct_authors_per_week() -> None:
    rows = topics_over_time(
        [0, 0, 0, 1, -1, 1],
        ["2026-W46", "2026-W46", "2026-W47", "2026-W47", "2026-W47", None],
        ["a", "a", "b", "c", "d", "e"],
    )
    assert rows == [
        {"topic": 0, "week": "2026-W46", "posts": 2, "authors": 1},
        {"topic": 0, "week": "2026-W47", "posts": 1, "authors": 1},
        {"topic": 1, "week": "2026-W47", "posts": 1, "authors": 1},
    ]


def test_default_topic_count_grows_with_the_square_root_of_posts() -> None:
    assert auto_topic_count(10) == 5
    assert auto_topic_count(1000) == 10
    assert auto_topic_count(100_000) == 100
    assert auto_topic_count(10_000_000) == 100


@pytest.mark.slow
def test_quality_on_bbc_news_meets_the_measured_floor(shared_corpus: Path) -> None:
    """Measured by benchmarks/bench_topic_quality.py: NMI 0.885, ARI 0.916, stability 0.975."""
    from nlp.tokens import Tokenizer

    with open(shared_corpus / "labeled" / "bbc_news_train_5cat.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    docs = Tokenizer().tokens_many([r["Text"] for r in rows], "en")
    labels = [r["Category"] for r in rows]
    first = TopicModel(5, random_state=0, min_topic_size=1).fit(docs).assignments
    second = TopicModel(5, random_state=1, min_topic_size=1).fit(docs).assignments
    assert normalized_mutual_info_score(labels, first) >= 0.85
    assert adjusted_rand_score(labels, first) >= 0.85
    assert normalized_mutual_info_score(first, second) >= 0.9
