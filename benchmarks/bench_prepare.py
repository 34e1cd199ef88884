"""CPU per post of each part of the analysis's prepare pass, on the generated corpus.

The parts, timed one after the other in one process on the posts of
``benchmarks/make_corpus.py`` (every post but the last week's, as ``bench_analyze.py``'s
full run), with the models loaded and warmed up first:

- **detect**: ``LanguageDetector.detect_many`` (one core, as in a worker), per language;
- **tokens**: ``Tokenizer.tokens_and_search_many`` per language;
- **tag**: ``SegmentTagger.tag`` per language, and the ``post_segments`` rows built from it;
- **read** and **write**: what the parent process does per batch in a database: read the
  batch's rows, then write languages, tokens, search text (which re-indexes the post in
  full-text search: timed apart) and the audience segments.

Times are CPU milliseconds per post (``time.process_time``), wall time for the database parts.

    python benchmarks/bench_prepare.py --posts 100000 [--sample 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.make_corpus import WATCH, CorpusSpec, generate, write_db  # noqa: E402

AS_OF = dt.date(2026, 11, 22)
BATCH = 2000


def cpu(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(CPU seconds, wall seconds, result) of ``work()``."""
    began_cpu, began = time.process_time(), time.perf_counter()
    result = work()
    return time.process_time() - began_cpu, time.perf_counter() - began, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20_000, help="posts timed per part")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from nlp.lang import LanguageDetector
    from nlp.segments import SegmentTagger, post_segment_rows
    from nlp.tokens import Tokenizer

    corpus = generate(CorpusSpec(posts=args.posts, as_of=AS_OF, seed=args.seed))
    last_week = (AS_OF - dt.timedelta(days=6)).isoformat()
    corpus.posts = [p for p in corpus.posts if p.published_at < last_week]
    posts = random.Random(args.seed).sample(corpus.posts, min(args.sample, len(corpus.posts)))
    texts = {p.id: f"{p.title}\n{p.text}" for p in posts}
    hints = {p.id: p.source.split("-")[0] for p in posts}
    by_lang: dict[str, list[Any]] = defaultdict(list)
    for post in posts:
        by_lang[post.lang].append(post)

    began = time.perf_counter()
    detector = LanguageDetector(parallel=False)
    detector.warm_up(set(hints.values()))
    keyphrases = [form for name, aliases in WATCH.values() for form in (name, *aliases)]
    tokenizer = Tokenizer(keyphrases=keyphrases)
    tokenizer.tokens_many(["warm up"] * len(by_lang), sorted(by_lang))
    tokenizer.search_text("热身", None)
    tagger = SegmentTagger()
    tagger.compile(sorted(by_lang))
    print(f"{len(corpus.posts):,} posts, {len(posts):,} timed; models loaded in "
          f"{time.perf_counter() - began:.1f} s")  # fmt: skip

    print("\nCPU ms per post      detect   tokens      tag")
    totals = defaultdict(float)
    results: dict[str, tuple[str | None, list[str], str | None]] = {}
    for lang, members in sorted(by_lang.items()):
        batch = [texts[p.id] for p in members]
        # A first untimed pass fills the per-word caches as the earlier batches of a run do.
        half = len(batch) // 2
        first = detector.detect_many(batch[:half], [hints[p.id] for p in members[:half]])
        words_first = tokenizer.tokens_and_search_many(batch[:half], [c for c, _ in first])
        for post, (code, _), (words, search) in zip(members, first, words_first, strict=False):
            results[post.id] = (code, words, search)
        for text in batch[:half]:
            tagger.tag(text, lang)
        timed, timed_posts = batch[half:], members[half:]
        d, _, found = cpu(lambda: detector.detect_many(timed, [hints[p.id] for p in timed_posts]))  # noqa: B023
        codes = [code for code, _ in found]
        t, _, made = cpu(lambda: tokenizer.tokens_and_search_many(timed, codes))  # noqa: B023
        g, _, _ = cpu(
            lambda: [
                post_segment_rows(p.id, tagger.tag(text, code), tagger.dimensions)
                for p, text, code in zip(timed_posts, timed, codes, strict=True)  # noqa: B023
            ]
        )
        n = len(timed)
        for post, code, (words, search) in zip(timed_posts, codes, made, strict=True):
            results[post.id] = (code, words, search)
        print(f"  {lang:<17} {1000 * d / n:8.3f} {1000 * t / n:8.3f} {1000 * g / n:8.3f}")
        for part, seconds in (("detect", d), ("tokens", t), ("tag", g)):
            totals[part] += seconds * len(members) / n
    n = len(posts)
    print(f"  {'all (mix)':<17} " + " ".join(f"{1000 * totals[p] / n:8.3f}"
                                                for p in ("detect", "tokens", "tag")))  # fmt: skip

    # The parent's database work, on a fresh database of the timed posts.
    corpus.posts = [p for p in posts if p.id in results]
    print("\nparent, per post")
    write_posts(corpus, texts, results, tagger)


def write_posts(
    corpus: Any,
    texts: dict[str, str],
    results: dict[str, tuple[str | None, list[str], str | None]],
    tagger: Any,
) -> None:
    from nlp.segments import post_segment_rows
    from pipelines.db import open_db, rows_by_rowid

    folder = Path(tempfile.mkdtemp(prefix="trendscout-bench-prepare-"))
    path = folder / "prepare.db"
    write_db(corpus, path)
    db = open_db(path)
    rowids = [r for (r,) in db.execute("select rowid from posts order by rowid")]
    parts = defaultdict(lambda: [0.0, 0.0])
    columns = "rowid, id, source_id, title, text, lang, content_hash, tokens_hash, search_text"

    def add(part: str, spent: tuple[float, float, Any]) -> Any:
        parts[part][0] += spent[0]
        parts[part][1] += spent[1]
        return spent[2]

    for start in range(0, len(rowids), BATCH):
        rows = add("read", cpu(lambda: rows_by_rowid(db, rowids[start : start + BATCH], columns)))  # noqa: B023
        made_rows = [(row, results[row["id"]]) for row in rows]
        db.execute("BEGIN IMMEDIATE")
        add("write tokens+lang", cpu(lambda: db.conn.executemany(
            "update posts set lang = ?, lang_confidence = ?, tokens = ?, tokens_hash = ?, "
            "segments_hash = ? where rowid = ?",
            [(code, 1.0, "\t".join(words), row["content_hash"], row["content_hash"], row["rowid"])
             for row, (code, words, _) in made_rows],  # noqa: B023
        )))  # fmt: skip
        add("write search_text (FTS)", cpu(lambda: db.conn.executemany(
            "update posts set search_text = ? where rowid = ?",
            [(search, row["rowid"]) for row, (_, _, search) in made_rows  # noqa: B023
             if search is not None],
        )))  # fmt: skip
        segment_rows = [
            (row["id"], m["dimension"], m["segment"], m["about"], m["evidence"])
            for row, (code, _, _) in made_rows
            for m in post_segment_rows(row["id"], tagger.tag(texts[row["id"]], code),
                                       tagger.dimensions)
        ]  # fmt: skip
        add("write post_segments", cpu(lambda: (
            db.execute("delete from post_segments where post_id in "
                       "(select value from json_each(?))",
                       [json.dumps([row["id"] for row in rows])]),  # noqa: B023
            db.conn.executemany(
                "insert into post_segments (post_id, dimension, segment, about, evidence) "
                "values (?, ?, ?, ?, ?)", segment_rows),  # noqa: B023
        )))  # fmt: skip
        add("commit", cpu(db.conn.commit))
    n = len(rowids)
    print(f"  ({n:,} posts)                   CPU ms    wall ms")
    for part, (cpu_s, wall_s) in parts.items():
        print(f"  {part:<27} {1000 * cpu_s / n:8.3f} {1000 * wall_s / n:8.3f}")
    chinese = sum(1 for _, _, search in results.values() if search is not None)
    print(f"  (search text written for {chinese:,} posts)")
    db.close()


if __name__ == "__main__":
    main()
