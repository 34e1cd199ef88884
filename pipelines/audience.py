"""The audience step of ``trendscout analyze``: who is talking, and how that changes.

1. Tag every new or changed post with the audience segments its author discloses
   (``nlp.segments.SegmentTagger``) into ``post_segments`` — once per post, like the
   language: a weekly re-run tags only what is new. The prepare step tags the posts it
   prepares in the same pass; :func:`tag_posts` here catches up on the rest.
2. For every watched entity and every topic, compare each segment's share of distinct
   authors in the recent window with the baseline (``nlp.shifts.audience_shifts``) and
   replace that date's rows of ``audience_shifts``. Coverage (how many posts and authors
   disclose anything) goes into the run's stats: a shift only means something against it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import sqlite_utils

from nlp.segments import SegmentMatch, SegmentTagger, post_segment_rows
from nlp.shifts import AudienceSample, audience_shifts, coverage
from pipelines.db import rows_by_rowid
from pipelines.parallel import default_processes, fork_pool, split

BATCH = 2_000  # posts tagged per transaction (per worker process)
COLUMNS = ("post_id", "dimension", "segment", "about", "evidence")  # of post_segments


def tag_text(title: str | None, text: str | None) -> str:
    """What a post's segments are tagged from: its title and text on separate lines."""
    return f"{title or ''}\n{text or ''}"


def segment_rows(
    tagger: SegmentTagger, post_id: str, text: str, lang: str | None
) -> list[tuple[str, ...]]:
    """The post's ``post_segments`` rows, as tuples in :data:`COLUMNS` order."""
    return [
        tuple(row[column] for column in COLUMNS)
        for row in post_segment_rows(post_id, tagger.tag(text, lang), tagger.dimensions)
    ]


def replace_segments(
    db: sqlite_utils.Database, post_ids: list[str], rows: Iterable[tuple[str, ...]]
) -> None:
    """Replace the ``post_segments`` rows of these posts (call inside a transaction)."""
    db.execute(
        "delete from post_segments where post_id in (select value from json_each(?))",
        [json.dumps(post_ids)],
    )
    db.conn.executemany(
        f"insert into post_segments ({', '.join(COLUMNS)}) "
        f"values ({', '.join('?' * len(COLUMNS))})",
        rows,
    )


def tag_posts(
    db: sqlite_utils.Database, tagger: SegmentTagger, report: Any = None, processes: int = 1
) -> int:
    """Tag posts whose text changed since they were last tagged; returns how many.

    The prepare step of the analysis tags the posts it prepares; this finds the rest (posts
    prepared by an older version, or by a step list without ``prepare``). With ``processes``
    > 1 (and enough posts) the tagging runs in forked worker processes; this process reads
    and writes the database.
    """
    # Matches the partial index idx_posts_untagged, so finding them needs no table scan.
    pending = "segments_hash is not content_hash"

    def tag(posts: list[tuple[str, str, str | None]]) -> list[tuple[str, ...]]:
        return [row for post in posts for row in segment_rows(tagger, *post)]

    todo = [rowid for (rowid,) in db.execute(f"select rowid from posts where {pending}")]
    todo.sort()
    size = BATCH * max(1, processes)

    def jobs() -> Iterator[tuple[list[tuple[str, str]], list[tuple[Any, ...]]]]:
        for start in range(0, len(todo), size):
            batch = rows_by_rowid(
                db, todo[start : start + size], "id, title, text, lang, content_hash"
            )
            posts = [(row["id"], tag_text(row["title"], row["text"]), row["lang"])
                     for row in batch]  # fmt: skip
            yield (
                [(row["id"], row["content_hash"]) for row in batch],
                [(part,) for part in split(posts, pool.processes)],
            )

    done = 0
    workers = processes if len(todo) >= 2 * BATCH else 1
    if workers > 1:  # compiled once here, not once per worker
        tagger.compile(
            lang for (lang,) in db.execute(f"select distinct lang from posts where {pending}")
        )
    with fork_pool(tag, workers) as pool:
        # The workers tag the next batch while this process writes the last one.
        for batch, parts in pool.ahead(jobs()):
            with db.atomic():
                replace_segments(
                    db, [post_id for post_id, _ in batch], [row for part in parts for row in part]
                )
                db.conn.executemany(
                    "update posts set segments_hash = ? where id = ?",
                    [(content, post_id) for post_id, content in batch],
                )
            done += len(batch)
            if report is not None:
                report(done, len(todo))
    return done


def window_segments(
    db: sqlite_utils.Database, post_ids: list[str]
) -> dict[str, list[SegmentMatch]]:
    """The known (not ``unknown``) segments of the given posts."""
    found: dict[str, list[SegmentMatch]] = defaultdict(list)
    for post_id, dimension, segment, evidence, about in db.execute(
        "select post_id, dimension, segment, evidence, about from post_segments "
        "where segment != 'unknown' and post_id in (select value from json_each(?))",
        [json.dumps(post_ids)],
    ):
        found[post_id].append(SegmentMatch(dimension, segment, evidence or "", about))
    return found


def window_disclosures(
    db: sqlite_utils.Database, post_ids: list[str]
) -> dict[str, frozenset[tuple[str, str]]]:
    """Per post, the (dimension, segment) pairs its author disclosed about themself."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for post_id, dimension, segment in db.execute(
        "select post_id, dimension, segment from post_segments "
        "where about = 'author' and segment != 'unknown' "
        "and post_id in (select value from json_each(?))",
        [json.dumps(post_ids)],
    ):
        found[post_id].add((dimension, segment))
    return {post_id: frozenset(pairs) for post_id, pairs in found.items()}


def audience_sample(
    ctx: Any, disclosed: Mapping[str, frozenset[tuple[str, str]]]
) -> AudienceSample:
    """The window's posts, with the subjects (watched entities, topics) each is about.

    Posts without a known author are left out: with no handle they cannot be counted
    as distinct people. Posts about no subject still tell who their author is.
    """
    window = ctx.window
    anonymous = np.array([key.endswith(":") for key in window.author_keys], dtype=bool)
    rows = np.flatnonzero(~anonymous[window.authors])
    position = np.full(window.size, -1, dtype=np.int64)  # window row -> position in the sample
    position[rows] = np.arange(len(rows))
    subjects: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    entities = window.entities.tocsc()
    for column, name in enumerate(window.entity_names):
        about = position[entities.indices[entities.indptr[column] : entities.indptr[column + 1]]]
        subjects[("entity", name)].append(about[about >= 0])
    if window.topic_ids is not None:
        labels = {topic["id"]: topic["label"] for topic in ctx.topics}
        topic_ids = np.asarray(window.topic_ids)[rows]
        for topic_id, label in labels.items():
            subjects[("topic", label)].append(np.flatnonzero(topic_ids == topic_id))
    rows_list = rows.tolist()
    post_ids = [window.post_ids[row] for row in rows_list]
    nothing: frozenset[tuple[str, str]] = frozenset()
    return AudienceSample.from_posts(
        post_ids,
        [window.author_keys[code] for code in window.authors[rows].tolist()],
        [window.published[row] for row in rows_list],
        [disclosed.get(post_id, nothing) for post_id in post_ids],
        {
            key: np.concatenate(parts)
            for key, parts in subjects.items()
            if any(len(part) for part in parts)
        },
    )


def audience(ctx: Any) -> dict[str, Any]:
    """The analysis step: tag posts, then write this date's audience shifts."""
    tagger = SegmentTagger(extra=ctx.options.segments)
    processes = ctx.options.processes or default_processes()
    tagged = tag_posts(ctx.db, tagger, ctx.progress.counter("tagging posts"), processes)
    window = ctx.window
    if window is None or not window.size:
        return {"tagged": tagged, "shifts": 0, "significant": 0}
    sample = audience_sample(ctx, window_disclosures(ctx.db, list(window.post_ids)))
    rows = audience_shifts(
        sample,
        ctx.as_of,
        baseline_weeks=ctx.options.baseline_weeks,
        dimensions=tagger.dimensions,
    )
    with ctx.db.atomic():
        ctx.db.execute("delete from audience_shifts where as_of = ?", [ctx.as_of])
        if rows:
            ctx.db["audience_shifts"].insert_all(rows, alter=True)
    known = coverage(sample, ctx.as_of, baseline_weeks=ctx.options.baseline_weeks,
                     dimensions=tagger.dimensions)  # fmt: skip
    return {
        "tagged": tagged,
        "shifts": len(rows),
        "significant": sum(row["significant"] for row in rows),
        "coverage": known["windows"],
    }
