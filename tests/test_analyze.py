"""`trendscout analyze` end to end on generated multilingual corpora with planted trends.

The corpus generator (benchmarks/make_corpus.py) plants an emerging game ("Starfall Arena",
星落竞技场 in Chinese) and a fading one ("Nebula Racer") among steady themes in English,
Polish, Vietnamese and Chinese, plus a spammer who posts one made-up word 40 times.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml

from benchmarks.make_corpus import (
    SPAM_WORD,
    WATCH,
    Corpus,
    CorpusSpec,
    generate,
    watch_config,
    write_db,
)
from pipelines.analyze import (
    DEFAULT_STEPS,
    AnalysisContext,
    AnalysisError,
    AnalysisOptions,
    Progress,
    Step,
    run_analysis,
    with_step,
)
from pipelines.config import Config, parse_config

AS_OF = dt.date(2026, 11, 22)
STEADY_THEMES = {"football", "cooking", "travel", "music", "phones", "fitness", "pixelfarm"}


class HintDetector:
    """Stand-in language detector: the source's language hint (for statistics-only tests)."""

    def detect_many(self, texts: list[str], hints: list[str | None] | None = None) -> list:
        return [(hint, 1.0) for hint in (hints or [None] * len(texts))]


@dataclass
class Planted:
    path: Path
    corpus: Corpus
    config: Config
    options: AnalysisOptions

    def db(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.path)

    def copy(self, target: Path) -> Path:
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{self.path}{suffix}").exists():
                shutil.copy(f"{self.path}{suffix}", f"{target}{suffix}")
        return target


def config_for(corpus: Corpus) -> Config:
    return parse_config(yaml.safe_load(watch_config(corpus)), Path("sources.yml"))


def quiet() -> Progress:
    class Quiet(Progress):
        def message(self, text: str) -> None:
            return None

    return Quiet()


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    from nlp.lang import LanguageDetector
    from nlp.tokens import Tokenizer

    keyphrases = [form for name, aliases in WATCH.values() for form in (name, *aliases)]
    return {"tokenizer": Tokenizer(keyphrases=keyphrases), "detector": LanguageDetector()}


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory, components: dict[str, Any]) -> Planted:
    corpus = generate(CorpusSpec(posts=2500, seed=1, spam_posts=40))
    path = tmp_path_factory.mktemp("planted") / "planted.db"
    write_db(corpus, path)
    config = config_for(corpus)
    options = AnalysisOptions(**components)
    run_analysis(config, path, as_of=AS_OF, options=options, progress=quiet())
    return Planted(path, corpus, config, options)


def trend_rows(db: sqlite_utils.Database, kind: str, as_of: dt.date = AS_OF) -> list[dict]:
    return list(
        db.query(
            "select * from trends where as_of = ? and kind = ? order by score desc",
            [as_of.isoformat(), kind],
        )
    )


def theme_of_topic(db: sqlite_utils.Database, corpus: Corpus) -> dict[int, str]:
    """Each topic's majority planted theme (from the generator's ground truth)."""
    truth = {p.id: p.theme for p in corpus.posts}
    themes: dict[int, Counter[str]] = {}
    for row in db.query("select post_id, topic_id from post_topics"):
        themes.setdefault(row["topic_id"], Counter())[truth[row["post_id"]]] += 1
    return {topic: counts.most_common(1)[0][0] for topic, counts in themes.items()}


# ---------------------------------------------------------------------------------------------
# The planted corpus


def test_the_planted_emerging_topic_ranks_first_in_every_language(planted: Planted) -> None:
    db = planted.db()
    topics = trend_rows(db, "topic")
    first = topics[0]
    assert theme_of_topic(db, planted.corpus)[first["topic_id"]] == "starfall"
    assert first["status"] in ("emerging", "new")
    assert set(json.loads(first["languages"])) == {"en", "pl", "vi", "zh"}
    assert first["p_adjusted"] < 0.001
    starfall = planted.corpus.ids_of("starfall")
    evidence = json.loads(first["evidence"])
    assert evidence and set(evidence) <= starfall


def test_the_planted_fading_topic_and_product_are_marked_fading(planted: Planted) -> None:
    db = planted.db()
    themes = theme_of_topic(db, planted.corpus)
    nebula = [row for row in trend_rows(db, "topic") if themes[row["topic_id"]] == "nebula"]
    assert nebula and all(row["status"] == "fading" for row in nebula)
    entity = {row["label"]: row for row in trend_rows(db, "entity")}["Nebula Racer"]
    assert entity["status"] == "fading"
    assert entity["growth"] < 0.5 and entity["expected"] > 10


def test_steady_themes_are_not_reported_as_emerging(planted: Planted) -> None:
    db = planted.db()
    themes = theme_of_topic(db, planted.corpus)
    steady = [row for row in trend_rows(db, "topic") if themes[row["topic_id"]] in STEADY_THEMES]
    assert len(steady) >= 7
    assert all(row["status"] in ("steady", "fading") for row in steady)
    entities = {row["label"]: row for row in trend_rows(db, "entity")}
    assert entities["Pixel Farm"]["status"] == "steady"


def test_a_watched_product_is_one_trend_row_across_languages(planted: Planted) -> None:
    rows = [row for row in trend_rows(planted.db(), "entity") if row["label"] == "Starfall Arena"]
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "emerging"
    assert set(json.loads(row["languages"])) == {"en", "pl", "vi", "zh"}
    recent_start = dt.datetime(2026, 11, 16, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = [p for p in planted.corpus.posts if p.theme == "starfall"
              and p.published_at >= recent_start]  # fmt: skip
    assert row["recent_posts"] == len(recent)  # the Polish "Starfall Arenie" forms count too
    assert row["recent_count"] == len({(p.source, p.author) for p in recent})


def test_one_spammer_is_not_a_trend(planted: Planted) -> None:
    rows = list(planted.db().query("select * from trends where label = ?", [SPAM_WORD]))
    assert all(row["status"] == "steady" for row in rows)
    assert not any(row["status"] in ("emerging", "new") and SPAM_WORD in row["label"]
                   for row in trend_rows(planted.db(), "term"))  # fmt: skip


def test_every_post_gets_a_language_and_chinese_words_are_searchable(planted: Planted) -> None:
    db = planted.db()
    truth = {p.id: p.lang for p in planted.corpus.posts}
    detected = {row["id"]: row["lang"] for row in db.query("select id, lang from posts")}
    correct = sum(detected[pid] == lang for pid, lang in truth.items())
    assert correct / len(truth) > 0.97
    found = [row["id"] for row in db.query(
        "select p.id from posts_fts join posts p on p.rowid = posts_fts.rowid "
        "where posts_fts match ?", ["竞技场"])]  # fmt: skip
    assert found and all(truth[pid] == "zh" for pid in found)
    assert set(found) <= planted.corpus.ids_of("starfall")


def test_the_search_index_follows_text_edits_and_ignores_analysis_columns(
    planted: Planted, tmp_path: Path
) -> None:
    db = sqlite_utils.Database(planted.copy(tmp_path / "fts.db"))

    def found(word: str) -> list[str]:
        return [r["id"] for r in db.query(
            "select p.id from posts_fts join posts p on p.rowid = posts_fts.rowid "
            "where posts_fts match ?", [word])]  # fmt: skip

    post = planted.corpus.posts[0].id
    db.execute(
        "update posts set lang = 'xx', tokens = 'a', duplicate_of = 'y' where id = ?", [post]
    )
    db.execute("update posts set text = 'zzyzxword' where id = ?", [post])
    db.conn.commit()
    assert found("zzyzxword") == [post]
    db.execute("update posts set search_text = '星落 竞技场' where id = ?", [post])
    db.conn.commit()
    assert post in found("星落")
    assert db.execute("insert into posts_fts(posts_fts) values('integrity-check')") is not None


def test_topics_over_time_add_up_to_the_posts_assigned(planted: Planted) -> None:
    db = planted.db()
    weeks = list(db.query("select * from topic_weeks"))
    assert weeks and all(len(r["week"]) == 8 and r["week"][4:6] == "-W" for r in weeks)
    assert sum(r["posts"] for r in weeks) == db["post_topics"].count
    assert all(r["authors"] <= r["posts"] for r in weeks)
    topics = {row["id"] for row in db.query("select id from topics")}
    assert {r["topic_id"] for r in weeks} <= topics
    run = next(db.query("select * from analysis_runs order by id desc limit 1"))
    assert run["status"] == "ok" and run["posts"] > 2000
    assert set(json.loads(run["stats"])["steps"]) == {s.name for s in DEFAULT_STEPS}


# ---------------------------------------------------------------------------------------------
# Re-runs, history and incremental work


def test_rerunning_a_date_replaces_its_rows_and_keeps_other_dates_and_topic_ids(
    planted: Planted, tmp_path: Path
) -> None:
    path = planted.copy(tmp_path / "rerun.db")
    db = sqlite_utils.Database(path)
    week_before = AS_OF - dt.timedelta(days=7)
    run = run_analysis(planted.config, path, as_of=week_before, options=planted.options,
                       progress=quiet())  # fmt: skip
    assert run.stats["steps"]["prepare"]["posts"] == 0  # every post was prepared already
    earlier = {(r["kind"], r["label"]): r["score"] for r in db.query(
        "select * from trends where as_of = ?", [week_before.isoformat()])}  # fmt: skip
    before = {(r["kind"], r["label"]): r for r in db.query(
        "select * from trends where as_of = ?", [AS_OF.isoformat()])}  # fmt: skip

    run_analysis(planted.config, path, as_of=AS_OF, options=planted.options, progress=quiet())
    after = {(r["kind"], r["label"]): r for r in db.query(
        "select * from trends where as_of = ?", [AS_OF.isoformat()])}  # fmt: skip
    assert after.keys() == before.keys()
    topic_ids = lambda rows: {k: r["topic_id"] for k, r in rows.items() if k[0] == "topic"}  # noqa: E731
    assert topic_ids(after) == topic_ids(before)
    assert {(r["kind"], r["label"]): r["score"] for r in db.query(
        "select * from trends where as_of = ?", [week_before.isoformat()])} == earlier  # fmt: skip
    # The steady themes found a week earlier kept their ids this week.
    themes = theme_of_topic(db, planted.corpus)
    steady_now = {t for t, theme in themes.items() if theme in STEADY_THEMES}
    first_seen = {r["id"]: r["first_seen"] for r in db.query("select id, first_seen from topics")}
    assert sum(first_seen[t] == week_before.isoformat() for t in steady_now) >= len(steady_now) - 2


def test_a_rerun_prepares_only_the_new_posts(planted: Planted, tmp_path: Path) -> None:
    path = planted.copy(tmp_path / "incremental.db")
    extra = generate(CorpusSpec(posts=300, seed=99, baseline_weeks=0))
    extra.posts = extra.posts[:40]
    db = sqlite_utils.Database(path)
    source_ids = {r["name"]: r["id"] for r in db.query("select id, name from sources")}
    db["posts"].insert_all(
        {"id": f"new{i}", "source_id": source_ids[p.source], "title": p.title, "text": p.text,
         "author": p.author, "published_at": p.published_at, "content_hash": f"h{i}"}
        for i, p in enumerate(extra.posts)
    )  # fmt: skip
    db.execute("update posts set text = text || ' edited', content_hash = 'changed' where id = ?",
               [planted.corpus.posts[-1].id])  # fmt: skip
    db.conn.commit()
    run = run_analysis(planted.config, path, as_of=AS_OF, options=planted.options,
                       progress=quiet())  # fmt: skip
    prepared = run.stats["steps"]["prepare"]
    assert (prepared["posts"], prepared["languages_detected"]) == (41, 41)
    row = next(db.query("select tokens, tokens_hash from posts where id = 'new0'"))
    assert row["tokens"] and row["tokens_hash"] == "h0"


def test_worker_processes_give_the_same_tokens_languages_and_segments_as_one(
    planted: Planted, tmp_path: Path
) -> None:
    found = {}
    columns = "lang, tokens, search_text, segments_hash"
    for processes in (1, 2):
        path = planted.copy(tmp_path / f"p{processes}.db")
        db = sqlite_utils.Database(path)
        db.execute("update posts set lang = null, tokens = null, segments_hash = null")
        db.execute("update posts set text = text || ' As a girl who games, I love it.' "
                   "where rowid % 50 = 0")  # fmt: skip
        db.conn.commit()
        options = dataclasses.replace(planted.options, processes=processes)
        run = run_analysis(planted.config, path, as_of=AS_OF, options=options, progress=quiet())
        prepared = run.stats["steps"]["prepare"]
        assert (prepared["processes"], prepared["tagged"]) == (processes, prepared["posts"])
        assert run.stats["steps"]["audience"]["tagged"] == 0  # the prepare workers tagged them
        found[processes] = (
            list(db.query(f"select id, {columns} from posts order by id")),
            list(db.query("select * from post_segments order by post_id, dimension, segment")),
        )
    posts, segments = found[2]
    assert len(posts) == len(planted.corpus.posts) and all(p["tokens"] for p in posts)
    assert any(s["segment"] != "unknown" for s in segments)
    assert found[1] == found[2]


def test_duplicates_are_counted_once_and_a_missing_duplicate_column_is_fine(
    planted: Planted, tmp_path: Path
) -> None:
    path = planted.copy(tmp_path / "dups.db")
    db = sqlite_utils.Database(path)
    before = {r["label"]: r for r in trend_rows(db, "entity")}["Starfall Arena"]
    recent = [p for p in planted.corpus.posts
              if p.theme == "starfall" and p.published_at >= "2026-11-16"]  # fmt: skip
    repeats = [p.id for p in recent[1:6]]
    db.execute("update posts set duplicate_of = ? where id in (select value from json_each(?))",
               [recent[0].id, json.dumps(repeats)])  # fmt: skip
    db.conn.commit()
    run_analysis(planted.config, path, as_of=AS_OF, options=planted.options, progress=quiet())
    after = {r["label"]: r for r in trend_rows(db, "entity")}["Starfall Arena"]
    assert after["recent_posts"] == before["recent_posts"] - 5

    db.execute("drop index if exists idx_posts_duplicate_of")
    db.execute("alter table posts drop column duplicate_kind")
    db.execute("alter table posts drop column duplicate_of")
    db.conn.commit()
    assert "duplicate_of" not in db["posts"].columns_dict
    from pipelines.analyze import _window_filter

    assert "duplicate_of" not in _window_filter(db)


def test_a_new_sources_undated_backlog_does_not_look_like_a_trend(
    planted: Planted, tmp_path: Path
) -> None:
    path = planted.copy(tmp_path / "backlog.db")
    db = sqlite_utils.Database(path)
    before = {r["label"]: r for r in trend_rows(db, "entity")}["Nebula Racer"]
    sources = db["sources"]
    sources.insert({"name": "old forum", "type": "feed", "url": "http://127.0.0.1/old"})
    first_crawl = "2026-11-20T08:00:00Z"
    db["posts"].insert_all(
        {"id": f"old{i}", "source_id": sources.last_pk, "text": f"Nebula Racer was great {i}",
         "author": f"old{i}", "published_at": first_crawl, "date_estimated": 1,
         "first_seen_at": first_crawl, "content_hash": f"o{i}"}
        for i in range(30)
    )  # fmt: skip
    db.conn.commit()
    run_analysis(planted.config, path, as_of=AS_OF, options=planted.options, progress=quiet())
    after = {r["label"]: r for r in trend_rows(db, "entity")}["Nebula Racer"]
    assert after["recent_count"] == before["recent_count"]


def test_a_step_can_be_added_after_topics_and_sees_the_window(
    planted: Planted, tmp_path: Path
) -> None:
    path = planted.copy(tmp_path / "steps.db")
    seen: dict[str, Any] = {}

    def probe(ctx: AnalysisContext) -> dict[str, Any]:
        assert ctx.window is not None and ctx.window.topic_ids is not None
        seen["posts"] = ctx.window.size
        seen["entities"] = ctx.window.entity_names
        return {"segments": 0}

    steps = with_step(DEFAULT_STEPS, Step("probe", probe), after="topics")
    names = [s.name for s in steps]
    assert names[:5] == ["prepare", "load", "topics", "probe", "topic_weeks"]
    summary = run_analysis(planted.config, path, as_of=AS_OF, options=planted.options,
                           steps=steps, progress=quiet())  # fmt: skip
    assert seen["posts"] == summary.posts
    assert seen["entities"] == ["Starfall Arena", "Nebula Racer", "Pixel Farm"]
    assert summary.stats["steps"]["probe"]["segments"] == 0
    with pytest.raises(ValueError, match="no step named"):
        with_step(DEFAULT_STEPS, Step("x", probe), after="nope")
    with pytest.raises(ValueError, match="already a step"):
        with_step(DEFAULT_STEPS, Step("topics", probe))


def test_a_failing_step_marks_the_run_failed(planted: Planted, tmp_path: Path) -> None:
    path = planted.copy(tmp_path / "fail.db")

    def broken(ctx: AnalysisContext) -> None:
        raise AnalysisError("boom")

    with pytest.raises(AnalysisError):
        run_analysis(planted.config, path, as_of=AS_OF, options=planted.options,
                     steps=[Step("broken", broken)], progress=quiet())  # fmt: skip
    run = next(sqlite_utils.Database(path).query(
        "select * from analysis_runs order by id desc limit 1"))  # fmt: skip
    assert run["status"] == "failed" and "boom" in run["stats"]


def test_an_empty_database_gives_steady_zero_rows_for_watched_entities(
    tmp_path: Path, components: dict[str, Any]
) -> None:
    corpus = generate(CorpusSpec(posts=100, seed=3))
    path = tmp_path / "empty.db"
    write_db(Corpus(corpus.spec, []), path)
    summary = run_analysis(config_for(corpus), path, as_of=AS_OF, progress=quiet(),
                           options=AnalysisOptions(tokenizer=components["tokenizer"]))  # fmt: skip
    assert (summary.posts, summary.topics) == (0, 0)
    rows = trend_rows(sqlite_utils.Database(path), "entity")
    assert sorted((r["label"], r["recent_count"], r["status"]) for r in rows) == sorted(
        (name, 0, "steady") for name, _ in WATCH.values()
    )


def test_without_any_baseline_yet_findings_are_new_and_the_run_says_so(
    tmp_path: Path, components: dict[str, Any]
) -> None:
    corpus = generate(CorpusSpec(posts=600, seed=4, baseline_weeks=0))
    path = tmp_path / "first-week.db"
    write_db(corpus, path)
    lines: list[str] = []

    class Recorder(Progress):
        def message(self, text: str) -> None:
            lines.append(text)

    options = AnalysisOptions(tokenizer=components["tokenizer"], detector=HintDetector())
    run_analysis(config_for(corpus), path, as_of=AS_OF, options=options, progress=Recorder())
    assert any("no posts in the baseline weeks" in line for line in lines)
    entities = {r["label"]: r for r in trend_rows(sqlite_utils.Database(path), "entity")}
    assert entities["Pixel Farm"]["status"] == "new"
    assert entities["Pixel Farm"]["p_value"] is None


# ---------------------------------------------------------------------------------------------
# False alarms


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_no_false_alarms_on_corpora_without_a_planted_trend(
    seed: int, tmp_path: Path, components: dict[str, Any]
) -> None:
    """The benchmark (benchmarks/bench_false_alarms.py) measures the rate over many seeds."""
    corpus = generate(CorpusSpec(posts=1500, seed=seed, plant=False))
    path = tmp_path / "null.db"
    write_db(corpus, path)
    options = AnalysisOptions(tokenizer=components["tokenizer"], detector=HintDetector())
    run_analysis(config_for(corpus), path, as_of=AS_OF, options=options, progress=quiet())
    db = sqlite_utils.Database(path)
    alarms = list(db.query(
        "select kind, label, status from trends where status in ('emerging', 'new')"))  # fmt: skip
    assert alarms == []


# ---------------------------------------------------------------------------------------------
# The command


def tiny_db(path: Path) -> tuple[Path, int]:
    corpus = generate(CorpusSpec(posts=300, seed=5, languages=("en",), noise_words=0))
    write_db(corpus, path)
    return path, len(corpus.posts)


def test_the_command_shows_progress_and_a_summary(
    tmp_path: Path, trendscout: Callable[..., Any]
) -> None:
    db, posts = tiny_db(tmp_path / "tiny.db")
    result = trendscout("analyze", "--db", str(db), "--as-of", "2026-11-22")
    assert result.returncode == 0, result.stderr
    assert f"analyze: prepare: posts prepared {posts}/{posts} (100%)" in result.stderr
    assert "analyze: trends: done in" in result.stderr
    assert result.stdout.startswith("analysis run 1 for the week ending 2026-11-22:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "22/11/2026"], "--as-of '22/11/2026' is not a date; write it as YYYY-MM-DD"),
        (["--as-of", "2026-02-30"], "--as-of '2026-02-30' is not a date"),
        (["--baseline-weeks", "0"], "--baseline-weeks must be at least 1"),
        (["--processes", "0"], "--processes must be at least 1"),
        (["--db", "missing.db"], "missing.db: no such database"),
        (["-c", "missing.yml"], "missing.yml: no such file"),
    ],
)
def test_mistakes_are_one_clear_line_and_exit_code_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    from click.testing import CliRunner

    from pipelines.cli import cli

    monkeypatch.chdir(tmp_path)
    tiny_db(tmp_path / "trendscout.db")
    result = CliRunner().invoke(cli, ["analyze", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "missing.db").exists()
