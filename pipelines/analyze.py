"""``trendscout analyze``: languages, topics over time and emerging trends, into the database.

The run is a list of named steps (:data:`DEFAULT_STEPS`), each a plain function of an
:class:`AnalysisContext`; a later feature adds its own with :func:`with_step`:

1. ``prepare``: detect the language of posts that have none, cache their analysis tokens and
   segmented search text, and tag their audience segments (only new or changed posts:
   re-runs cost in proportion to them);
2. ``load``: read the window (the baseline weeks and the recent week ending on ``as_of``),
   original posts only, into a term matrix, watched-entity mentions and author codes;
3. ``topics``: cluster the window into topics, keep stored topic ids by content, write
   ``topics`` and ``post_topics``;
4. ``topic_weeks``: posts and distinct authors per topic per ISO week;
5. ``trends``: score terms, topics and watched entities (see :mod:`nlp.trends`) and replace
   this ``as_of``'s rows in ``trends``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import click
import numpy as np
import scipy.sparse as sp
import sqlite_utils

from nlp.segments import SegmentDataError, SegmentTagger
from nlp.trends import (
    EmergenceScorer,
    EntityMatcher,
    Windows,
    count_by_week,
    iso_week,
    iso_weeks,
    languages_by_item,
    pick_evidence,
)
from pipelines.audience import audience, replace_segments, segment_rows
from pipelines.config import Config, ConfigError, Watch, load_config
from pipelines.db import TOKEN_SEPARATOR, open_db, rows_by_rowid, utcnow, write_transaction
from pipelines.options import config_option, db_option
from pipelines.parallel import default_processes, fork_pool, split

__all__ = [
    "DEFAULT_STEPS",
    "AnalysisContext",
    "AnalysisError",
    "AnalysisOptions",
    "AnalysisSummary",
    "Progress",
    "Step",
    "WindowData",
    "analyze_command",
    "parse_as_of",
    "run_analysis",
    "with_step",
]

ENTITY_BOOST = 3.0  # weight of a watched entity's feature in topic clustering (× TF-IDF)
PHRASE_SAMPLE = 20_000  # posts read to find keyphrases
BATCH = 2_000  # posts per prepare batch (one transaction each)
MIN_CHUNK = 500  # fewer posts than twice this are tokenized without worker processes


class AnalysisError(Exception):
    """Something about the input that stops the analysis, as one line."""


# --------------------------------------------------------------------------------------------
# Progress


class Progress:
    """Progress lines on stderr: ``analyze: <step>: <what> 12,000/100,000 (12%)``.

    Counters print at most every ``interval`` seconds (and when they finish), so long runs
    show they are alive without flooding a log.
    """

    def __init__(self, stream: TextIO | None = None, *, interval: float = 2.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.step_name = ""
        self._last = 0.0

    def step(self, name: str) -> None:
        self.step_name = name
        self._last = 0.0
        self.message("started")

    def message(self, text: str) -> None:
        prefix = f"analyze: {self.step_name}: " if self.step_name else "analyze: "
        print(prefix + text, file=self.stream, flush=True)

    def counter(self, what: str) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback for long loops."""

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if done < total and now - self._last < self.interval:
                return
            self._last = now
            share = f" ({100 * done / total:.0f}%)" if total else ""
            self.message(f"{what} {done:,}/{total:,}{share}")

        return report


class _Silent(Progress):
    def message(self, text: str) -> None:
        return None


# --------------------------------------------------------------------------------------------
# Run state


@dataclass(frozen=True)
class AnalysisOptions:
    """Knobs of one analysis run; the defaults are what ``trendscout analyze`` uses."""

    baseline_weeks: int = 8
    n_topics: int | None = None  # None: √(posts / 10), 5 … 100
    min_df: int = 3  # a term must occur in at least this many posts of the window
    max_terms: int = 200  # term rows kept per direction (emerging/new and fading)
    match_similarity: float = 0.3  # topic identity: minimum signature cosine
    random_state: int = 0
    scorer: EmergenceScorer = field(default_factory=EmergenceScorer)
    topic_model: Any = None  # a TopicModel-like object; None: TopicModel(n_topics, ...)
    tokenizer: Any = None  # an nlp.tokens.Tokenizer-like object; None: built from the watch list
    detector: Any = None  # an nlp.lang.LanguageDetector-like object; None: built lazily
    segments: Mapping[str, Any] | None = None  # sources.yml `segments:` lexicon additions
    processes: int | None = None  # worker processes for per-post work; None: one per core


@dataclass
class WindowData:
    """The posts of the analysis window, one entry per post in every per-post array."""

    post_ids: list[str]
    authors: np.ndarray  # int code per post: index into author_keys
    author_keys: list[str]  # "source_id:handle" (the source itself when no author is known)
    weeks: np.ndarray  # 0 … W-1 baseline weeks (oldest first), W the recent week
    languages: list[str | None]
    published: list[str]
    counts: sp.csr_matrix  # posts × terms, raw counts (keyphrases merged)
    terms: list[str]
    entities: sp.csr_matrix  # posts × watched entities, 1 = mentioned
    entity_names: list[str]
    topic_ids: np.ndarray | None = None  # stored topic id per post, −1 for none

    @property
    def size(self) -> int:
        return len(self.post_ids)

    def rows_in(self, week: int) -> np.ndarray:
        return np.flatnonzero(self.weeks == week)


@dataclass
class AnalysisContext:
    """What the steps share: the database, the windows, the options and what earlier steps
    found (``window``, ``topics``)."""

    db: sqlite_utils.Database
    windows: Windows
    watch: tuple[Watch, ...]
    options: AnalysisOptions
    progress: Progress
    run_id: int
    source_languages: dict[int, str] = field(default_factory=dict)
    window: WindowData | None = None
    topics: list[dict[str, Any]] = field(default_factory=list)  # rows written to `topics`
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of(self) -> str:
        return self.windows.as_of.isoformat()


@dataclass(frozen=True)
class Step:
    """A named step of the analysis: ``run(ctx)`` returns figures for the run's stats."""

    name: str
    run: Callable[[AnalysisContext], dict[str, Any] | None]


@dataclass
class AnalysisSummary:
    run_id: int
    as_of: str
    posts: int
    topics: int
    trends: dict[str, int]
    stats: dict[str, Any]


def with_step(steps: Sequence[Step], step: Step, *, after: str | None = None) -> tuple[Step, ...]:
    """``steps`` with ``step`` inserted after the step named ``after`` (default: at the end)."""
    names = [s.name for s in steps]
    if step.name in names:
        raise ValueError(f"there is already a step named {step.name!r}")
    if after is None:
        return (*steps, step)
    if after not in names:
        raise ValueError(f"no step named {after!r}; steps: {', '.join(names)}")
    position = names.index(after) + 1
    return (*steps[:position], step, *steps[position:])


# --------------------------------------------------------------------------------------------
# Step 1: languages, tokens and search text for new or changed posts


def _keyphrases(watch: Sequence[Watch]) -> list[str]:
    return [form for entry in watch for form in (entry.name, *entry.aliases)]


def prepare_posts(ctx: AnalysisContext) -> dict[str, Any]:
    """Detect languages (posts without one, or changed since), cache tokens and search text,
    and tag audience segments (posts whose text changed since they were last tagged).

    One pass over the posts to do, in batches: this process reads a batch, forked worker
    processes (sharing the language models, tokenizers and segment rules loaded here before
    the fork) detect, tokenize and tag it, and while they work on the next batch this process
    writes the last one. A run cut short keeps what each batch wrote.
    """
    db = ctx.db
    # Matches the partial index idx_posts_unprepared, so finding them needs no table scan.
    pending = "(tokens is null or tokens_hash is not content_hash)"
    todo = [row[0] for row in db.execute(f"select rowid from posts where {pending}")]
    total = len(todo)
    if not total:
        ctx.progress.message("every post is already prepared")
        return {"posts": 0, "languages_detected": 0, "tagged": 0}
    todo.sort()
    processes = ctx.options.processes or default_processes()
    if processes < 2 or total < 2 * MIN_CHUNK:
        processes = 1
    detector = ctx.options.detector or _default_detector(ctx, parallel=processes == 1)
    tokenizer = ctx.options.tokenizer
    if tokenizer is None:
        from nlp.tokens import Tokenizer

        tokenizer = Tokenizer(keyphrases=_keyphrases(ctx.watch))
    tagger = SegmentTagger(extra=ctx.options.segments)
    if processes > 1:
        _warm_up(ctx, detector, tokenizer, tagger, pending)

    def prepare(
        texts: list[str],
        langs: list[str | None],
        hints: list[str | None],
        tag_as: list[tuple[str, bool] | None],
    ) -> list[tuple[str | None, float | None, str, str | None, list[tuple[str, ...]] | None]]:
        """(lang, confidence or None if kept, tokens, search text, segment rows or None if
        not tagged) per post; a post's ``langs`` entry is None when its language is to be
        detected, its ``tag_as`` entry (post id, has a title) None when it is not tagged."""
        redo = [i for i, lang in enumerate(langs) if lang is None]
        answers = detector.detect_many([texts[i] for i in redo], [hints[i] for i in redo])
        found = dict(zip(redo, answers, strict=True))
        codes = [found[i][0] if i in found else lang for i, lang in enumerate(langs)]
        return [
            (
                code,
                found[i][1] if i in found else None,
                TOKEN_SEPARATOR.join(t.replace(TOKEN_SEPARATOR, " ") for t in words),
                search,
                None
                if tag is None
                # The text tag_posts tags: "title\ntext", with the line break when untitled.
                else segment_rows(tagger, tag[0], texts[i] if tag[1] else f"\n{texts[i]}", code),
            )
            for i, (code, (words, search), tag) in enumerate(
                zip(codes, tokenizer.tokens_and_search_many(texts, codes), tag_as, strict=True)
            )
        ]

    def jobs() -> Iterator[tuple[list[dict[str, Any]], list[tuple[Any, ...]]]]:
        for start in range(0, total, BATCH):
            began = time.perf_counter()
            rows = rows_by_rowid(
                db, todo[start : start + BATCH],
                "rowid, id, source_id, title, text, lang, content_hash, tokens_hash, "
                "search_text, segments_hash",
            )  # fmt: skip
            texts = [_post_text(row) for row in rows]
            # Detect again where the text changed since the tokens were made.
            langs = [
                None
                if row["tokens_hash"] is not None and row["tokens_hash"] != row["content_hash"]
                else row["lang"]
                for row in rows
            ]
            hints = [ctx.source_languages.get(row["source_id"]) for row in rows]
            # Tag again where the text changed since the segments were tagged (as tag_posts).
            tag_as = [
                None
                if row["segments_hash"] == row["content_hash"]
                else (row["id"], bool(row["title"]))
                for row in rows
            ]
            chunks = [
                (texts[part.start : part.stop], langs[part.start : part.stop],
                 hints[part.start : part.stop], tag_as[part.start : part.stop])
                for part in split(range(len(rows)), pool.processes)
            ]  # fmt: skip
            seconds["read"] += time.perf_counter() - began
            yield rows, chunks

    seconds = {"read": 0.0, "wait": 0.0, "write": 0.0, "write_cpu": 0.0}
    report = ctx.progress.counter("posts prepared")
    done = detected = tagged = 0
    report(0, total)
    with fork_pool(prepare, processes) as pool:
        waited = time.perf_counter()
        for rows, parts in pool.ahead(jobs()):
            results = [result for part in parts for result in part]
            began, began_cpu = time.perf_counter(), time.process_time()
            seconds["wait"] += began - waited
            with write_transaction(db):
                # segments_hash: the posts not tagged here already have it.
                db.conn.executemany(
                    "update posts set lang = ?, lang_confidence = ?, tokens = ?, tokens_hash = ?, "
                    "segments_hash = ? where rowid = ?",
                    [
                        (lang, confidence, tokens, row["content_hash"], row["content_hash"],
                         row["rowid"])
                        for row, (lang, confidence, tokens, *_) in zip(rows, results, strict=True)
                        if confidence is not None
                    ],
                )  # fmt: skip
                db.conn.executemany(
                    "update posts set tokens = ?, tokens_hash = ?, segments_hash = ? "
                    "where rowid = ?",
                    [
                        (tokens, row["content_hash"], row["content_hash"], row["rowid"])
                        for row, (_, confidence, tokens, *_) in zip(rows, results, strict=True)
                        if confidence is None
                    ],
                )
                # Only posts whose search text changes touch the full-text index.
                db.conn.executemany(
                    "update posts set search_text = ? where rowid = ?",
                    [
                        (search, row["rowid"])
                        for row, (*_, search, _) in zip(rows, results, strict=True)
                        if search != row["search_text"]
                    ],
                )
                retagged = [
                    (row["id"], segments)
                    for row, (*_, segments) in zip(rows, results, strict=True)
                    if segments is not None
                ]
                if retagged:
                    replace_segments(
                        db,
                        [post_id for post_id, _ in retagged],
                        [segment for _, segments in retagged for segment in segments],
                    )
            detected += sum(result[1] is not None for result in results)
            tagged += len(retagged)
            done += len(rows)
            report(min(done, total), total)
            waited = time.perf_counter()
            seconds["write"] += waited - began
            seconds["write_cpu"] += time.process_time() - began_cpu  # without waiting for a core
    return {
        "posts": done,
        "languages_detected": detected,
        "tagged": tagged,
        "processes": processes,
        **{f"{part}_seconds": round(value, 3) for part, value in seconds.items()},
    }


def _warm_up(
    ctx: AnalysisContext, detector: Any, tokenizer: Any, tagger: SegmentTagger, pending: str
) -> None:
    """Load the language models, every likely language's tokenizer and segment rules before
    the workers are forked, so they share them instead of each loading its own."""
    from nlp.lang import DEFAULT_LANGUAGES

    hints = set(ctx.source_languages.values())
    if hasattr(detector, "warm_up"):
        detector.warm_up(hints)
    known = {k for (k,) in ctx.db.execute(f"select distinct lang from posts where {pending}")}
    languages = sorted(code for code in {*DEFAULT_LANGUAGES, *hints, *known} if code)
    tokenizer.tokens_many(["warm up"] * len(languages), languages)
    tokenizer.search_text("热身", None)
    tagger.compile(languages)


def _post_text(row: dict[str, Any]) -> str:
    title, text = row.get("title") or "", row.get("text") or ""
    return f"{title}\n{text}" if title else text


def _default_detector(ctx: AnalysisContext, *, parallel: bool = True) -> Any:
    from nlp.lang import DEFAULT_LANGUAGES, LanguageDetector, supported_languages

    known = supported_languages()
    languages = sorted(
        set(DEFAULT_LANGUAGES) | {code for code in ctx.source_languages.values() if code in known}
    )
    return LanguageDetector(languages=languages, parallel=parallel)


# --------------------------------------------------------------------------------------------
# Step 2: the window


def _author_key(source_id: int, author: str | None) -> str:
    """Who posted: source and normalised handle; a post without an author counts as its
    source (a news site without bylines is one voice)."""
    return f"{source_id}:{' '.join((author or '').casefold().split())}"


def _window_filter(db: sqlite_utils.Database) -> str:
    """SQL conditions (on ``posts p``) for posts that count: in the window, prepared, original,
    and not part of a source's first-crawl backfill without dates (those would all look "new":
    a post without a date gets the day it was first seen)."""
    db.execute(
        "create temp table if not exists analysis_first_day (source_id integer primary key, day)"
    )
    db.execute("delete from temp.analysis_first_day")
    db.execute(
        "insert into temp.analysis_first_day select source_id, substr(min(first_seen_at), 1, 10) "
        "from posts where source_id in (select source_id from posts where date_estimated = 1) "
        "group by source_id"
    )
    conditions = [
        "p.published_at >= :start",
        "p.published_at < :end",
        "p.tokens is not null",
        "not (coalesce(p.date_estimated, 0) = 1 and substr(p.first_seen_at, 1, 10) = "
        "(select f.day from temp.analysis_first_day f where f.source_id = p.source_id))",
    ]
    if "duplicate_of" in db["posts"].columns_dict:
        # Unary + keeps SQLite from reading every original post through the duplicate_of
        # index: the published_at range reads the window only, however long the history.
        conditions.append("+p.duplicate_of is null")
    return " and ".join(conditions)


def load_window(ctx: AnalysisContext) -> dict[str, Any]:
    """Read the window's posts into a term matrix, entity mentions, authors and weeks.

    Each post's token ids and entity mentions come from :mod:`pipelines.window_cache` where
    an earlier run kept them, so a re-run reads the text of new or changed posts only.
    Keyphrases are found on a sample of the window (the first :data:`PHRASE_SAMPLE` posts by
    id) and merged on every run; the term matrix is the one CountVectorizer would give.
    """
    from nlp.tokens import count_matrix, find_phrases_encoded, merge_phrases_encoded
    from pipelines.window_cache import WindowCache

    db = ctx.db
    start, end = ctx.windows.bounds()
    where = _window_filter(db)
    params = {"start": start, "end": end}
    total = db.execute(f"select count(*) from posts p where {where}", params).fetchone()[0]
    matcher = EntityMatcher((w.name, w.aliases) for w in ctx.watch)
    keyphrase_tokens = {" ".join(form.casefold().split()) for form in _keyphrases(ctx.watch)}
    report = ctx.progress.counter("posts read")
    cache = WindowCache(db, matcher)
    report(0, total)
    posts = cache.read(where, params, start)
    cache_stats = cache.save()
    report(posts.size, total)

    vocabulary = posts.vocabulary
    in_sample = np.ones(posts.size, dtype=bool)  # the first posts by id, as SQL would sort them
    if posts.size > PHRASE_SAMPLE:
        in_sample[:] = False
        in_sample[sorted(range(posts.size), key=posts.post_ids.__getitem__)[:PHRASE_SAMPLE]] = True
    lengths = np.diff(posts.offsets)
    sample_ids = posts.ids[np.repeat(in_sample, lengths)]
    sample_offsets = np.concatenate(([0], np.cumsum(lengths[in_sample])))
    phrases = {
        phrase
        for phrase in find_phrases_encoded(
            sample_ids,
            sample_offsets,
            vocabulary,
            min_count=max(5, int(in_sample.sum()) // 2000),
        )
        if not any(key in " ".join(phrase) for key in keyphrase_tokens)
    }
    # Merged phrases are numbered after the vocabulary (or as the token they equal).
    terms = list(vocabulary)
    term_index = dict(posts.index)
    encoded: dict[tuple[int, ...], int] = {}
    for phrase in phrases:
        joined = " ".join(phrase)
        if joined not in term_index:
            term_index[joined] = len(terms)
            terms.append(joined)
        encoded[tuple(term_index[word] for word in phrase)] = term_index[joined]
    ids, offsets = merge_phrases_encoded(posts.ids, posts.offsets, encoded)
    dropped = np.zeros(len(terms), dtype=bool)
    dropped[[term_index[key] for key in keyphrase_tokens if key in term_index]] = True
    if dropped.any():
        kept = ~dropped[ids]
        ids = ids[kept]
        offsets = np.concatenate(([0], np.cumsum(kept)))[offsets]
    try:
        counts, terms = count_matrix(ids, offsets, terms, min_df=ctx.options.min_df)
    except ValueError:  # no post, or no term frequent enough
        counts = sp.csr_matrix((posts.size, 0), dtype=np.float32)
        terms = []

    author_index: dict[str, int] = {}
    code_of: dict[tuple[int, str | None], int] = {}
    author_codes = []
    for source_id, author in zip(posts.source_ids, posts.authors, strict=True):
        code = code_of.get((source_id, author))
        if code is None:
            key = _author_key(source_id, author)
            code = code_of[(source_id, author)] = author_index.setdefault(key, len(author_index))
        author_codes.append(code)
    entities = sp.csr_matrix(
        (np.ones(len(posts.entity_rows), dtype=np.float32),
         (posts.entity_rows, posts.entity_cols)),
        shape=(posts.size, len(matcher.names)),
    )  # fmt: skip
    ctx.window = WindowData(
        post_ids=posts.post_ids,
        authors=np.asarray(author_codes, dtype=np.int64),
        author_keys=list(author_index),
        weeks=ctx.windows.weeks_of(posts.published),
        languages=posts.languages,
        published=posts.published,
        counts=counts,
        terms=terms,
        entities=entities,
        entity_names=list(matcher.names),
    )
    recent = int((ctx.window.weeks == ctx.windows.baseline_weeks).sum())
    if recent == 0:
        ctx.progress.message(f"no posts in the week ending {ctx.as_of}: nothing is recent")
    if recent == posts.size and posts.size:
        ctx.progress.message(
            "no posts in the baseline weeks: every finding is 'new' until more weeks are crawled"
        )
    return {
        "posts": posts.size,
        "recent_posts": recent,
        "authors": len(author_index),
        "terms": len(terms),
        "keyphrases": len(phrases),
        **posts.stats,
        **cache_stats,
    }


# --------------------------------------------------------------------------------------------
# Step 3: topics


def find_topics(ctx: AnalysisContext) -> dict[str, Any]:
    """Cluster the window, match topics to stored ones, write topics and post_topics."""
    from nlp.topics import TermMatrix, TopicModel, match_topics

    window = _need_window(ctx)
    db = ctx.db
    names = [name.casefold() for name in window.entity_names]
    matrix = TermMatrix(
        counts=sp.hstack([window.counts, window.entities], format="csr"),
        terms=[*window.terms, *names],
        boost=np.concatenate(
            [np.ones(len(window.terms)), np.full(len(names), ENTITY_BOOST)]
        ).astype(np.float32),
    )
    model = ctx.options.topic_model or TopicModel(
        ctx.options.n_topics, random_state=ctx.options.random_state
    )
    result = model.fit(
        matrix,
        window.languages,
        progress=ctx.progress.message,
        sample_weight=_recent_weights(window, ctx.windows.baseline_weeks),
    )

    stored = list(db.query("select id, centroid, first_seen, last_seen from topics"))
    stored = [row for row in stored if row["centroid"]]
    stored_vectors = (
        np.vstack([np.frombuffer(row["centroid"], dtype=np.float32) for row in stored])
        if stored
        else np.zeros((0, 0), dtype=np.float32)
    )
    new_vectors = (
        np.vstack([t.signature for t in result.topics])
        if result.topics
        else np.zeros((0, 0), dtype=np.float32)
    )
    if stored and stored_vectors.shape[1] != new_vectors.shape[1]:
        stored, stored_vectors = [], np.zeros((0, 0), dtype=np.float32)
    matches = match_topics(new_vectors, stored_vectors, min_similarity=ctx.options.match_similarity)
    next_id = (db.execute("select max(id) from topics").fetchone()[0] or 0) + 1
    ids: list[int] = []
    rows: list[dict[str, Any]] = []
    for topic, match in zip(result.topics, matches, strict=True):
        if match is None:
            topic_id, first_seen, last_seen = next_id, ctx.as_of, ctx.as_of
            next_id += 1
        else:
            old = stored[match]
            topic_id = old["id"]
            first_seen = min(old["first_seen"] or ctx.as_of, ctx.as_of)
            last_seen = max(old["last_seen"] or ctx.as_of, ctx.as_of)
        ids.append(topic_id)
        rows.append(
            {
                "id": topic_id,
                "label": topic.label,
                "top_terms": json.dumps(topic.top_terms, ensure_ascii=False),
                "size": topic.size,
                "languages": json.dumps(topic.languages),
                "first_seen": first_seen,
                "last_seen": last_seen,
                "centroid": topic.signature.astype(np.float32).tobytes(),
            }
        )
    id_of = np.asarray([*ids, -1], dtype=np.int64)  # assignment −1 picks the final −1
    window.topic_ids = id_of[result.assignments]
    ctx.topics = rows

    assigned = np.flatnonzero(window.topic_ids >= 0)
    wanted = {
        window.post_ids[i]: (topic, round(weight, 4))
        for i, topic, weight in zip(
            assigned.tolist(),
            window.topic_ids[assigned].tolist(),
            result.weights[assigned].astype(np.float64).tolist(),
            strict=True,
        )
    }
    with write_transaction(db):
        if rows:
            db["topics"].upsert_all(rows, pk="id")
        changes = _write_post_topics(db, window.post_ids, wanted)
        # Topics an earlier run for this same date created and this run did not find again.
        db.execute(
            "delete from topics where first_seen = ? and id not in "
            "(select value from json_each(?)) and id not in (select topic_id from post_topics) "
            "and id not in (select topic_id from topic_weeks)",
            [ctx.as_of, json.dumps(ids)],
        )
    matched = sum(m is not None for m in matches)
    return {
        "topics": len(rows),
        "matched_to_stored": matched,
        "new_topics": len(rows) - matched,
        "posts_with_topic": int((window.topic_ids >= 0).sum()),
        **changes,
    }


def _write_post_topics(
    db: sqlite_utils.Database, post_ids: Sequence[str], wanted: dict[str, tuple[int, float]]
) -> dict[str, int]:
    """Make the window posts' rows in ``post_topics`` exactly ``wanted`` (post → topic and
    weight; a post missing from it has no row), writing only the rows that differ: rows no
    longer wanted are deleted, changed weights updated in place, new rows inserted.

    The wanted rows go into a temporary table (in key order, which is cheapest to build)
    and SQLite compares them with the stored ones.
    """
    db.execute(
        "create temp table if not exists analysis_window_topics "
        "(post_id text primary key, topic_id integer, weight real) without rowid"
    )
    db.execute("delete from temp.analysis_window_topics")
    db.conn.executemany(
        "insert or ignore into temp.analysis_window_topics (post_id, topic_id, weight) "
        "values (?, ?, ?)",
        ((post, *wanted.get(post, (None, None))) for post in sorted(post_ids)),
    )
    return {name: db.execute(statement).rowcount for name, statement in _POST_TOPICS_DIFF.items()}


# How the stored post_topics rows of the window become temp.analysis_window_topics.
_POST_TOPICS_DIFF = {
    "post_topics_deleted": (
        "delete from post_topics where post_id in "
        "(select post_id from temp.analysis_window_topics) and topic_id is not "
        "(select w.topic_id from temp.analysis_window_topics w "
        "where w.post_id = post_topics.post_id)"
    ),
    "post_topics_updated": (
        "update post_topics set weight = w.weight from temp.analysis_window_topics w "
        "where w.post_id = post_topics.post_id and w.topic_id = post_topics.topic_id "
        "and w.weight is not post_topics.weight"
    ),
    "post_topics_inserted": (
        "insert into post_topics (post_id, topic_id, weight) "
        "select w.post_id, w.topic_id, w.weight from temp.analysis_window_topics w "
        "where w.topic_id is not null and not exists (select 1 from post_topics pt "
        "where pt.post_id = w.post_id and pt.topic_id = w.topic_id)"
    ),
}


def _recent_weights(window: WindowData, recent_week: int) -> np.ndarray:
    """Clustering weights that give the recent week as much weight as the whole baseline."""
    recent = window.weeks == recent_week
    n_recent = int(recent.sum())
    n_baseline = window.size - n_recent
    weights = np.ones(window.size)
    if n_recent and n_baseline:
        weights[recent] = n_baseline / n_recent
    return weights


def _need_window(ctx: AnalysisContext) -> WindowData:
    if ctx.window is None:
        raise AnalysisError("the 'load' step must run before this step")
    return ctx.window


# --------------------------------------------------------------------------------------------
# Step 4: topics over time


def write_topic_weeks(ctx: AnalysisContext) -> dict[str, Any]:
    """Recount posts and distinct authors per topic for every ISO week the window touches.

    The window's posts come from memory; the days of the first and last ISO week that lie
    outside the window are read back from ``post_topics`` (earlier runs assigned them).
    """
    from nlp.topics import topics_over_time

    window = _need_window(ctx)
    db = ctx.db
    first = ctx.windows.start.date()
    last = (ctx.windows.end - dt.timedelta(seconds=1)).date()
    monday = first - dt.timedelta(days=first.weekday())
    after = last + dt.timedelta(days=7 - last.weekday())
    start, end = ctx.windows.bounds()
    edges = [f"{monday.isoformat()}T00:00:00Z", start, end, f"{after.isoformat()}T00:00:00Z"]
    duplicates = " and p.duplicate_of is null" if "duplicate_of" in db["posts"].columns_dict else ""
    outside = db.execute(
        "select pt.topic_id, p.published_at, p.source_id, p.author from post_topics pt "
        "join posts p on p.id = pt.post_id where ((p.published_at >= ? and p.published_at < ?) "
        f"or (p.published_at >= ? and p.published_at < ?)){duplicates}",
        edges,
    ).fetchall()
    topic_ids = window.topic_ids if window.topic_ids is not None else np.full(window.size, -1)
    table = topics_over_time(
        [*topic_ids.tolist(), *(r[0] for r in outside)],
        iso_weeks([*window.published, *(r[1] for r in outside)]),
        [*(window.author_keys[a] for a in window.authors.tolist()),
         *(_author_key(r[2], r[3]) for r in outside)],
    )  # fmt: skip
    weeks = []
    day = monday
    while day < after:
        weeks.append(iso_week(f"{day.isoformat()}T00:00:00Z"))
        day += dt.timedelta(days=7)
    with write_transaction(db):
        db.execute(
            "delete from topic_weeks where week in (select value from json_each(?))",
            [json.dumps(weeks)],
        )
        if table:
            db["topic_weeks"].insert_all(
                {"topic_id": r["topic"], "week": r["week"], "posts": r["posts"],
                 "authors": r["authors"]}
                for r in table
            )  # fmt: skip
    return {"weeks": len(weeks), "rows": len(table)}


# --------------------------------------------------------------------------------------------
# Step 5: trends


def write_trends(ctx: AnalysisContext) -> dict[str, Any]:
    """Score terms, topics and watched entities; replace this date's rows in ``trends``."""
    window = _need_window(ctx)
    scorer = ctx.options.scorer
    recent_week = ctx.windows.baseline_weeks
    n_weeks = recent_week + 1
    everyone = sp.csr_matrix(np.ones((window.size, 1), dtype=np.float32))
    volume, _ = count_by_week(everyone, window.authors, window.weeks, n_weeks)
    volume = volume[:, 0]
    recent_rows = window.rows_in(recent_week)
    baseline_rows = np.flatnonzero((window.weeks >= 0) & (window.weeks < recent_week))

    subjects: list[tuple[str, sp.csr_matrix, list[str], list[int | None]]] = [
        ("term", window.counts, window.terms, [None] * len(window.terms)),
        ("entity", window.entities, window.entity_names, [None] * len(window.entity_names)),
    ]
    if window.topic_ids is not None and ctx.topics:
        topic_ids = [row["id"] for row in ctx.topics]
        column = {topic_id: i for i, topic_id in enumerate(topic_ids)}
        member = np.flatnonzero(window.topic_ids >= 0)
        indicator = sp.csr_matrix(
            (np.ones(len(member), dtype=np.float32),
             (member, [column[int(window.topic_ids[i])] for i in member])),
            shape=(window.size, len(topic_ids)),
        )  # fmt: skip
        subjects.append(("topic", indicator, [row["label"] for row in ctx.topics], topic_ids))

    rows: list[dict[str, Any]] = []
    counts_by_kind: dict[str, int] = {}
    for kind, indicator, labels, topic_ids_of in subjects:
        if indicator.shape[1] == 0:
            counts_by_kind[kind] = 0
            continue
        authors, posts = count_by_week(indicator, window.authors, window.weeks, n_weeks)
        emergence = scorer.score(authors[recent_week], authors[:recent_week], volume[recent_week],
                                 volume[:recent_week])  # fmt: skip
        reach, _ = count_by_week(indicator, window.authors, np.where(window.weeks >= 0, 0, -1), 1)
        chosen = _chosen(kind, emergence.status, emergence.score, ctx.options.max_terms)
        counts_by_kind[kind] = len(chosen)
        if not chosen:
            continue
        subset = sp.csr_matrix(indicator)[:, chosen]
        langs_recent = languages_by_item(subset, window.languages, recent_rows)
        langs_all = languages_by_item(subset, window.languages)
        faded = [i for i, item in enumerate(chosen) if authors[recent_week][item] == 0]
        # Rows are in time order, so pick_evidence's default (latest first) is the newest posts.
        evidence = pick_evidence(subset, range(len(chosen)), recent_rows, window.authors,
                                 window.post_ids)  # fmt: skip
        evidence.update(pick_evidence(subset, faded, baseline_rows, window.authors,
                                      window.post_ids))  # fmt: skip
        p_value, p_adjusted = emergence.p_value, emergence.p_adjusted
        for position, item in enumerate(chosen):
            rows.append(
                {
                    "as_of": ctx.as_of,
                    "kind": kind,
                    "label": labels[item],
                    "score": _number(emergence.score[item]),
                    "recent_count": int(authors[recent_week][item]),
                    "recent_posts": int(posts[recent_week][item]),
                    "baseline_mean": _number(emergence.baseline_mean[item]),
                    "expected": _number(emergence.expected[item]),
                    "growth": _number(emergence.growth[item]),
                    "authors": int(reach[0][item]),
                    "p_value": _number(p_value[item]),
                    "p_adjusted": _number(p_adjusted[item]),
                    "status": str(emergence.status[item]),
                    "languages": json.dumps(
                        langs_all[position]
                        if emergence.status[item] == "fading"
                        else langs_recent[position] or langs_all[position]
                    ),
                    "evidence": json.dumps(evidence.get(position, [])),
                    "topic_id": topic_ids_of[item],
                }
            )
    with write_transaction(ctx.db):
        ctx.db.execute("delete from trends where as_of = ?", [ctx.as_of])
        if rows:
            ctx.db["trends"].insert_all(rows)
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {"rows": counts_by_kind, "status": statuses,
            "recent_authors": int(volume[recent_week])}  # fmt: skip


def _chosen(kind: str, status: np.ndarray, score: np.ndarray, limit: int) -> list[int]:
    """Which subjects get a row: every topic and entity; for terms, the strongest non-steady
    ones (up to ``limit`` rising and ``limit`` fading)."""
    if kind != "term":
        return list(range(len(status)))
    rising = np.flatnonzero((status == "new") | (status == "emerging"))
    falling = np.flatnonzero(status == "fading")
    rising = rising[np.argsort(-score[rising], kind="stable")][:limit]
    falling = falling[np.argsort(score[falling], kind="stable")][:limit]
    return [int(i) for i in (*rising, *falling)]


def _number(value: float) -> float | None:
    value = float(value)
    return None if np.isnan(value) else round(value, 6)


DEFAULT_STEPS: tuple[Step, ...] = (
    Step("prepare", prepare_posts),
    Step("load", load_window),
    Step("topics", find_topics),
    Step("topic_weeks", write_topic_weeks),
    Step("trends", write_trends),
    Step("audience", audience),  # segments per post, audience shifts per subject
)


# --------------------------------------------------------------------------------------------
# The run


def parse_as_of(value: str | dt.date | None) -> dt.date:
    """``YYYY-MM-DD`` (or a date) → date; None → today (UTC). Raises :class:`AnalysisError`."""
    if value is None:
        return dt.datetime.now(dt.UTC).date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise AnalysisError(
            f"--as-of {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-22"
        ) from None


def run_analysis(
    config: Config | None,
    db_path: str | Path,
    *,
    as_of: str | dt.date | None = None,
    baseline_weeks: int | None = None,
    options: AnalysisOptions | None = None,
    steps: Sequence[Step] = DEFAULT_STEPS,
    progress: Progress | None = None,
) -> AnalysisSummary:
    """Analyse the database at ``db_path`` for the week ending ``as_of``; see the module doc.

    ``config`` supplies the watch list and source language hints (None: no watch list).
    """
    options = options or AnalysisOptions()
    if config is not None and options.segments is None:
        options = dataclasses.replace(options, segments=config.extra.get("segments"))
    if baseline_weeks is not None:
        options = dataclasses.replace(options, baseline_weeks=baseline_weeks)
    if options.baseline_weeks < 1:
        raise AnalysisError("--baseline-weeks must be at least 1")
    windows = Windows(parse_as_of(as_of), options.baseline_weeks)
    progress = progress or Progress()
    db = open_db(db_path)
    try:
        languages = {
            row["id"]: row["language"]
            for row in db.query("select id, name, language from sources")
            if row["language"]
        }
        if config is not None:
            by_name = {row["name"]: row["id"] for row in db.query("select id, name from sources")}
            for source in config.sources:
                if source.language and source.name in by_name:
                    languages[by_name[source.name]] = source.language
        started = utcnow()
        runs = db["analysis_runs"]
        runs.insert(
            {"as_of": windows.as_of.isoformat(), "started_at": started, "status": "running"}
        )
        run_id = int(runs.last_pk)
        ctx = AnalysisContext(
            db=db,
            windows=windows,
            watch=tuple(config.watch) if config is not None else (),
            options=options,
            progress=progress,
            run_id=run_id,
            source_languages=languages,
        )
        ctx.stats["window"] = {"start": windows.bounds()[0], "end": windows.bounds()[1],
                               "baseline_weeks": options.baseline_weeks}  # fmt: skip
        ctx.stats["steps"] = {}
        try:
            for step in steps:
                progress.step(step.name)
                began = time.perf_counter()
                figures = step.run(ctx) or {}
                seconds = round(time.perf_counter() - began, 3)
                ctx.stats["steps"][step.name] = {"seconds": seconds, **figures}
                progress.message(f"done in {seconds:.1f} s")
        except BaseException as exc:
            db["analysis_runs"].update(
                run_id,
                {"finished_at": utcnow(), "status": "failed",
                 "stats": json.dumps({**ctx.stats, "error": f"{type(exc).__name__}: {exc}"},
                                     default=str)},
            )  # fmt: skip
            raise
        posts = ctx.window.size if ctx.window is not None else 0
        db["analysis_runs"].update(
            run_id,
            {"finished_at": utcnow(), "status": "ok", "posts": posts,
             "stats": json.dumps(ctx.stats, default=str)},
        )  # fmt: skip
        trends = {
            row["status"]: row["n"]
            for row in db.query(
                "select status, count(*) as n from trends where as_of = ? group by status",
                [ctx.as_of],
            )
        }
        return AnalysisSummary(run_id, ctx.as_of, posts, len(ctx.topics), trends, ctx.stats)
    finally:
        db.close()


# --------------------------------------------------------------------------------------------
# The command


@click.command("analyze")
@db_option()
@click.option("--as-of", "as_of", metavar="DATE",
              help="Last day of the recent week (YYYY-MM-DD); default: today (UTC).")  # fmt: skip
@click.option("--baseline-weeks", default=8, show_default=True, type=int,
              help="Weeks before the recent week to compare it with.")  # fmt: skip
@config_option(
    default=None,
    help="sources.yml for the watch list and language hints (default: ./sources.yml if present).",
)
@click.option("--topics", "n_topics", type=int, default=None,
              help="Number of topics (default: about √(posts/10), 5 to 100).")  # fmt: skip
@click.option("--processes", type=int, default=None, metavar="N",
              help="Processes that tokenize and tag posts (default: one per core).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress lines, only the summary.")
def analyze_command(
    db_path: Path,
    as_of: str | None,
    baseline_weeks: int,
    config_path: Path | None,
    n_topics: int | None,
    processes: int | None,
    quiet: bool,
) -> None:
    """Find languages, topics and emerging or fading trends for the week ending --as-of.

    Compares the 7 days ending on --as-of with the --baseline-weeks weeks before, counting
    distinct authors, and writes the topics, topic_weeks and trends tables. Re-running for
    the same date replaces that date's trends; other dates stay.
    """
    from pipelines.cli import UsageError

    try:
        day = parse_as_of(as_of)
    except AnalysisError as exc:
        raise UsageError(str(exc)) from None
    if baseline_weeks < 1:
        raise UsageError("--baseline-weeks must be at least 1")
    if n_topics is not None and n_topics < 1:
        raise UsageError("--topics must be at least 1")
    if processes is not None and processes < 1:
        raise UsageError("--processes must be at least 1 (1 runs everything in one process)")
    if not db_path.exists():
        raise UsageError(f"{db_path}: no such database; crawl first (trendscout crawl --db ...)")
    config = None
    if config_path is None and Path("sources.yml").exists():
        config_path = Path("sources.yml")
    if config_path is not None:
        try:
            config = load_config(config_path)
            SegmentTagger(extra=config.extra.get("segments"))  # check the segments: block
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        except SegmentDataError as exc:
            raise UsageError(f"{config_path}: {exc}") from None
    options = AnalysisOptions(baseline_weeks=baseline_weeks, n_topics=n_topics, processes=processes)
    summary = run_analysis(
        config, db_path, as_of=day, options=options, progress=_Silent() if quiet else Progress()
    )
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(summary.trends.items()))
    click.echo(
        f"analysis run {summary.run_id} for the week ending {summary.as_of}: "
        f"{summary.posts:,} posts, {summary.topics} topics; trends: {statuses or 'none'}"
    )
