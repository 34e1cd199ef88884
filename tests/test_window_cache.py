"""The analysis window kept between runs (pipelines.window_cache): a re-run reads only new or
changed posts, and its window is the one a fresh read gives, whatever happened in between.

Every test compares the whole WindowData (post order, authors, weeks, languages, the term
matrix entry for entry, the terms, entity mentions) with a read of a copy of the database
whose cache was emptied, and with the window as it was read before the cache existed
(CountVectorizer over merged token lists, entities matched in every post's text).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import sqlite_utils
import yaml

import pipelines.analyze
import pipelines.window_cache
from benchmarks.make_corpus import CorpusSpec, generate, watch_config, write_db
from pipelines.analyze import (
    DEFAULT_STEPS,
    AnalysisContext,
    AnalysisOptions,
    Progress,
    Step,
    WindowData,
    run_analysis,
)
from pipelines.config import Config, Watch, parse_config

AS_OF = dt.date(2026, 11, 22)
SAMPLE = 700  # posts the keyphrases are found on (fewer than the window, so it is a sample)


class HintDetector:
    def detect_many(self, texts: list[str], hints: list[str | None] | None = None) -> list:
        return [(hint, 1.0) for hint in (hints or [None] * len(texts))]


class Quiet(Progress):
    def message(self, text: str) -> None:
        return None


@dataclass
class Warm:
    path: Path
    config: Config
    options: AnalysisOptions
    post_ids: list[str]

    def copy(self, target: Path) -> Path:
        return copy_db(self.path, target)


def copy_db(path: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.copy(f"{path}{suffix}", f"{target}{suffix}")
    return target


@pytest.fixture(autouse=True)
def small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keyphrases from a sample, and the window read in several chunks, as on big windows."""
    monkeypatch.setattr(pipelines.analyze, "PHRASE_SAMPLE", SAMPLE)
    monkeypatch.setattr(pipelines.window_cache, "_CHUNK", 333)


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Warm:
    """A database after a full analysis: every window post is in the cache."""
    from nlp.tokens import Tokenizer

    corpus = generate(CorpusSpec(posts=2500, seed=1, spam_posts=40))
    path = tmp_path_factory.mktemp("window") / "warm.db"
    write_db(corpus, path)
    config = parse_config(yaml.safe_load(watch_config(corpus)), Path("sources.yml"))
    keyphrases = [form for w in config.watch for form in (w.name, *w.aliases)]
    options = AnalysisOptions(tokenizer=Tokenizer(keyphrases=keyphrases), detector=HintDetector())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipelines.analyze, "PHRASE_SAMPLE", SAMPLE)
        run_analysis(config, path, as_of=AS_OF, options=options, progress=Quiet())
    return Warm(path, config, options, [p.id for p in corpus.posts])


def read_window(
    path: Path, config: Config, options: AnalysisOptions, as_of: dt.date = AS_OF
) -> tuple[WindowData, dict[str, Any]]:
    """Prepare and load (as ``analyze`` does), then the window and the load step's figures."""
    seen: dict[str, WindowData] = {}

    def keep(ctx: AnalysisContext) -> None:
        assert ctx.window is not None
        seen["window"] = ctx.window

    steps = (DEFAULT_STEPS[0], DEFAULT_STEPS[1], Step("keep", keep))
    summary = run_analysis(config, path, as_of=as_of, options=options, steps=steps,
                           progress=Quiet())  # fmt: skip
    return seen["window"], summary.stats["steps"]["load"]


def fresh_window(
    path: Path, tmp_path: Path, config: Config, options: AnalysisOptions, as_of: dt.date = AS_OF
) -> WindowData:
    """The window of a copy of the database whose cache was emptied first."""
    copy = copy_db(path, tmp_path / f"fresh-{as_of}.db")
    db = sqlite_utils.Database(copy)
    for table in ("window_cache", "window_cache_tokens", "window_cache_state"):
        db.execute(f"delete from {table}")
    db.conn.commit()
    db.close()
    window, figures = read_window(copy, config, options, as_of)
    assert figures["cached_posts"] == 0
    return window


def reference_window(path: Path, config: Config, as_of: dt.date, min_df: int) -> WindowData:
    """The window as ``load_window`` read it before the cache (token lists through
    CountVectorizer, every post's text through the entity matcher); the posts must be
    prepared already."""
    from sklearn.feature_extraction.text import CountVectorizer

    from nlp.tokens import find_phrases, phrase_merger
    from nlp.trends import EntityMatcher, Windows
    from pipelines.analyze import _author_key, _keyphrases, _window_filter

    db = sqlite_utils.Database(path)
    windows = Windows(as_of, 8)
    start, end = windows.bounds()
    where, params = _window_filter(db), {"start": start, "end": end}
    matcher = EntityMatcher((w.name, w.aliases) for w in config.watch)
    keys = {" ".join(form.casefold().split()) for form in _keyphrases(config.watch)}
    first = f"select p.tokens from posts p where {where} order by p.id limit {SAMPLE}"
    sample = [[t for t in tokens.split("\t") if t] for (tokens,) in db.execute(first, params)]
    phrases = {p for p in find_phrases(sample, min_count=max(5, len(sample) // 2000))
               if not any(key in " ".join(p) for key in keys)}  # fmt: skip
    merge = phrase_merger(phrases)
    rows = db.execute(
        "select p.id, p.source_id, p.author, p.published_at, p.lang, p.tokens, p.title, p.text "
        f"from posts p where {where} order by p.published_at, p.id", params,
    ).fetchall()  # fmt: skip
    vectorizer = CountVectorizer(
        analyzer=lambda tokens: [w for w in merge([t for t in tokens.split("\t") if t])
                                 if w not in keys],
        min_df=min_df, dtype=np.float32,
    )  # fmt: skip
    counts = sp.csr_matrix(vectorizer.fit_transform(row[5] for row in rows))
    authors: dict[str, int] = {}
    codes = [authors.setdefault(_author_key(row[1], row[2]), len(authors)) for row in rows]
    mentions = [(n, e) for n, row in enumerate(rows)
                for e in matcher.find(f"{row[6] or ''}\n{row[7] or ''}")]  # fmt: skip
    entities = sp.csr_matrix(
        (np.ones(len(mentions), dtype=np.float32),
         ([n for n, _ in mentions], [e for _, e in mentions])),
        shape=(len(rows), len(matcher.names)),
    )  # fmt: skip
    db.close()
    return WindowData(
        post_ids=[row[0] for row in rows],
        authors=np.asarray(codes, dtype=np.int64),
        author_keys=list(authors),
        weeks=np.asarray([windows.week_of(row[3]) for row in rows], dtype=np.int64),
        languages=[row[4] for row in rows],
        published=[row[3] for row in rows],
        counts=counts,
        terms=[str(t) for t in vectorizer.get_feature_names_out()],
        entities=entities,
        entity_names=list(matcher.names),
    )


def assert_same_window(got: WindowData, expected: WindowData) -> None:
    assert got.post_ids == expected.post_ids
    assert got.author_keys == expected.author_keys
    assert got.authors.tolist() == expected.authors.tolist()
    assert got.weeks.tolist() == expected.weeks.tolist()
    assert got.languages == expected.languages
    assert got.published == expected.published
    assert got.terms == expected.terms
    assert got.entity_names == expected.entity_names
    for name in ("counts", "entities"):
        a, b = getattr(got, name), getattr(expected, name)
        assert a.shape == b.shape, name
        for part in ("indptr", "indices", "data"):  # the stored order too, not only values
            x, y = getattr(a, part), getattr(b, part)
            assert x.dtype == y.dtype and x.tolist() == y.tolist(), (name, part)


def assert_as_read_fresh(
    window: WindowData, warm: Warm, path: Path, tmp_path: Path, config: Config | None = None,
    as_of: dt.date = AS_OF,
) -> None:  # fmt: skip
    config = config or warm.config
    assert_same_window(window, fresh_window(path, tmp_path, config, warm.options, as_of))
    assert_same_window(window, reference_window(path, config, as_of, warm.options.min_df))


def cache_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = sqlite_utils.Database(path)
    rows = {table: db.execute(f"select * from {table} order by 1").fetchall()
            for table in ("window_cache", "window_cache_tokens", "window_cache_state")}  # fmt: skip
    db.close()
    return rows


# ---------------------------------------------------------------------------------------------


def test_a_rerun_reads_only_new_and_changed_posts_and_gets_the_fresh_window(
    warm: Warm, tmp_path: Path
) -> None:
    path = warm.copy(tmp_path / "edited.db")
    db = sqlite_utils.Database(path)
    window_before, figures = read_window(path, warm.config, warm.options)
    assert figures["read_posts"] == 0 and figures["cached_posts"] == window_before.size > 2000
    ids = window_before.post_ids
    extra = generate(CorpusSpec(posts=300, seed=99, baseline_weeks=0)).posts[:40]
    sources = {r["name"]: r["id"] for r in db.query("select id, name from sources")}
    db["posts"].insert_all(
        {"id": f"new{i}", "source_id": sources[p.source], "title": p.title, "text": p.text,
         "author": p.author, "published_at": p.published_at, "content_hash": f"h{i}"}
        for i, p in enumerate(extra)
    )  # fmt: skip
    # Edited text (the crawler's way: a new content_hash, so prepare makes new tokens) ...
    db.execute("update posts set text = 'Nebula Racer forever, nebula racer', "
               "content_hash = 'edited' where id in (?, ?)", ids[:2])  # fmt: skip
    # ... a title changed by hand (same tokens, but the text the entities are found in) ...
    db.execute("update posts set title = 'Pixel Farm news' where id = ?", [ids[2]])
    # ... posts deleted, and posts found to repeat others.
    for table, column in (("post_topics", "post_id"), ("post_segments", "post_id")):
        db.execute(f"delete from {table} where {column} in (?, ?)", ids[3:5])
    db.execute("delete from posts where id in (?, ?)", ids[3:5])
    db.execute("update posts set duplicate_of = ? where id in (?, ?, ?)", [ids[10], *ids[5:8]])
    db.conn.commit()
    db.close()

    window, figures = read_window(path, warm.config, warm.options)
    assert figures["read_posts"] == 40 + 2 + 1
    assert figures["cached_posts"] == window_before.size - 5 - 3
    assert window.size == window_before.size + 40 - 5
    assert {"new0", "new39"} <= set(window.post_ids)
    assert not set(ids[3:8]) & set(window.post_ids)
    assert_as_read_fresh(window, warm, path, tmp_path)
    # The next run finds all of them in the cache.
    again, figures = read_window(path, warm.config, warm.options)
    assert (figures["read_posts"], figures["cached_posts"]) == (0, window.size)
    assert_same_window(again, window)


def test_a_changed_watch_list_finds_entities_again_without_reading_tokens_again(
    warm: Warm, tmp_path: Path
) -> None:
    path = warm.copy(tmp_path / "watch.db")
    changed = dataclasses.replace(
        warm.config,
        watch=(*warm.config.watch[:2], Watch("Pixel Farm", ("像素农场", "PF2")), Watch("Football")),
    )
    window, figures = read_window(path, changed, warm.options)
    assert figures["read_posts"] == 0 and figures["cached_posts"] == window.size
    assert window.entity_names == ["Starfall Arena", "Nebula Racer", "Pixel Farm", "Football"]
    assert window.entities[:, 3].nnz > 0
    assert_as_read_fresh(window, warm, path, tmp_path, changed)
    # Back to the first list: found again, never taken from the other list's rows.
    window, _ = read_window(path, warm.config, warm.options)
    assert window.entities.shape[1] == 3
    assert_as_read_fresh(window, warm, path, tmp_path)


@pytest.mark.parametrize("days", [-7, 7, -21])
def test_moving_as_of_gives_the_fresh_window(warm: Warm, tmp_path: Path, days: int) -> None:
    path = warm.copy(tmp_path / "moved.db")
    as_of = AS_OF + dt.timedelta(days=days)
    window, figures = read_window(path, warm.config, warm.options, as_of)
    assert figures["cached_posts"] > 0
    assert_as_read_fresh(window, warm, path, tmp_path, as_of=as_of)


@pytest.mark.parametrize(
    ("damage", "all_read"),
    [
        ("update window_cache set tokens = substr(tokens, 1, 3) where post_rowid % 7 = 0", False),
        ("update window_cache set tokens = x'ffffff7f' where post_rowid % 5 = 0", False),
        ("update window_cache set tokens = x'ffffffff01000000' where post_rowid % 5 = 1", False),
        ("update window_cache set tokens = 'text' where post_rowid % 5 = 2", False),
        ("update window_cache set entities = x'05000000' where post_rowid % 3 = 0", False),
        ("update window_cache set entities = x'0000000000000000' where post_rowid % 3 = 1", False),
        ("update window_cache set entities = x'000000' where post_rowid % 3 = 2", False),
        ("update window_cache set tokens_hash = 'other'", True),
        ("delete from window_cache_tokens where id = 5", True),
        (
            "update window_cache_tokens set token = (select token from window_cache_tokens "
            "where id = 0) where id = 1",
            True,
        ),
        ("update window_cache_tokens set token = '' where id = 2", True),
        ("update window_cache_state set value = '0' where key = 'format'", True),
        ("delete from window_cache_state", True),
        ("drop trigger window_cache_posts_au", True),
    ],
)
def test_a_damaged_cache_is_read_again_and_never_changes_the_window(
    warm: Warm, tmp_path: Path, damage: str, all_read: bool
) -> None:
    path = warm.copy(tmp_path / "damaged.db")
    db = sqlite_utils.Database(path)
    db.execute(damage)
    db.conn.commit()
    db.close()
    window, figures = read_window(path, warm.config, warm.options)
    if all_read:
        assert figures["cached_posts"] == 0
    else:
        assert 0 < figures["matched_posts"] < window.size
    assert_as_read_fresh(window, warm, path, tmp_path)
    again, figures = read_window(path, warm.config, warm.options)  # the cache was rebuilt
    assert (figures["read_posts"], figures["cached_posts"]) == (0, window.size)
    assert_same_window(again, window)
    triggers = "select count(*) from sqlite_master where name like 'window_cache_posts_%'"
    assert sqlite_utils.Database(path).execute(triggers).fetchone() == (2,)


def test_without_the_cache_tables_the_window_is_read_as_before(warm: Warm, tmp_path: Path) -> None:
    path = warm.copy(tmp_path / "no-tables.db")
    db = sqlite_utils.Database(path)
    db.execute("drop table window_cache")
    db.conn.commit()
    db.close()
    window, figures = read_window(path, warm.config, warm.options)
    assert figures["cache_saved"] is False and figures["cached_posts"] == 0
    assert_same_window(window, reference_window(path, warm.config, AS_OF, warm.options.min_df))


def test_a_run_cut_short_while_saving_leaves_the_cache_as_it_was(
    warm: Warm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = warm.copy(tmp_path / "cut.db")
    db = sqlite_utils.Database(path)
    sources = {r["name"]: r["id"] for r in db.query("select id, name from sources")}
    db["posts"].insert(
        {"id": "late", "source_id": next(iter(sources.values())), "text": "Starfall Arena late",
         "author": "late", "published_at": "2026-11-20T10:00:00Z", "content_hash": "late"}
    )  # fmt: skip
    db.conn.commit()
    db.close()
    before = cache_rows(path)
    # The last statement of the save cannot bind its value, after every other was written.
    fmt = pipelines.window_cache.FORMAT
    monkeypatch.setattr(pipelines.window_cache, "FORMAT", object())
    with pytest.raises(Exception, match="bind|type"):
        read_window(path, warm.config, warm.options)
    assert cache_rows(path) == before
    monkeypatch.setattr(pipelines.window_cache, "FORMAT", fmt)
    window, figures = read_window(path, warm.config, warm.options)
    assert (figures["read_posts"], figures["cached_posts"]) == (1, window.size - 1)
    assert_as_read_fresh(window, warm, path, tmp_path)


def test_a_write_by_another_connection_while_reading_keeps_the_cache_unwritten(
    warm: Warm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other connection might have changed a post between its reading and the save;
    saving then could keep a row the triggers were meant to drop."""
    path = warm.copy(tmp_path / "busy.db")
    db = sqlite_utils.Database(path)
    post = next(db.query("select id from posts where published_at >= '2026-11-16' limit 1"))["id"]
    db.execute("update window_cache set tokens_hash = 'stale'")  # every post is read again
    db.conn.commit()
    db.close()
    read = pipelines.window_cache.WindowCache.read

    def read_then_edit(self: Any, *args: Any, **kwargs: Any) -> Any:
        posts = read(self, *args, **kwargs)
        other = sqlite_utils.Database(path)
        other.execute("update posts set title = 'Nebula Racer' where id = ?", [post])
        other.conn.commit()
        other.close()
        return posts

    monkeypatch.setattr(pipelines.window_cache.WindowCache, "read", read_then_edit)
    _, figures = read_window(path, warm.config, warm.options)
    assert figures["cache_saved"] is False
    monkeypatch.setattr(pipelines.window_cache.WindowCache, "read", read)
    window, figures = read_window(path, warm.config, warm.options)
    assert figures["cached_posts"] == 0 and figures["cache_saved"] is True
    assert_as_read_fresh(window, warm, path, tmp_path)


def test_find_topics_writes_only_the_post_topics_rows_that_differ(
    warm: Warm, tmp_path: Path
) -> None:
    path = warm.copy(tmp_path / "topics.db")
    steps = DEFAULT_STEPS[:3]  # prepare, load, topics
    run = run_analysis(warm.config, path, as_of=AS_OF, options=warm.options, steps=steps,
                       progress=Quiet())  # fmt: skip
    figures = run.stats["steps"]["topics"]
    assert (figures["post_topics_inserted"], figures["post_topics_updated"],
            figures["post_topics_deleted"]) == (0, 0, 0)  # fmt: skip
    db = sqlite_utils.Database(path)
    expected = db.execute("select * from post_topics order by post_id, topic_id").fetchall()
    gone, changed, extra = expected[:3], expected[3:5], expected[5]
    db.execute("delete from post_topics where post_id in (?, ?, ?)", [r[0] for r in gone])
    db.execute("update post_topics set weight = weight / 2 where post_id in (?, ?)",
               [r[0] for r in changed])  # fmt: skip
    other = next(t for (t,) in db.execute("select id from topics") if t != extra[1])
    db.execute("insert into post_topics values (?, ?, 0.5)", [extra[0], other])
    db.conn.commit()
    run = run_analysis(warm.config, path, as_of=AS_OF, options=warm.options, steps=steps,
                       progress=Quiet())  # fmt: skip
    figures = run.stats["steps"]["topics"]
    assert (figures["post_topics_inserted"], figures["post_topics_updated"],
            figures["post_topics_deleted"]) == (3, 2, 1)  # fmt: skip
    assert db.execute("select * from post_topics order by post_id, topic_id").fetchall() == expected


def test_the_window_is_read_through_its_published_at_range_not_the_whole_history(
    warm: Warm,
) -> None:
    from pipelines.analyze import _window_filter

    db = sqlite_utils.Database(warm.path)
    where = _window_filter(db)
    plan = db.execute(
        f"explain query plan select p.rowid from posts p where {where} "
        "order by p.published_at, p.id",
        {"start": "2026-09-21T00:00:00Z", "end": "2026-11-23T00:00:00Z"},
    ).fetchall()
    assert any("idx_posts_published_at" in row[3] for row in plan), plan
