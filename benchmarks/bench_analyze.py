"""Analysis throughput: ``trendscout analyze`` on generated corpora of 10k, 100k (and 1M) posts.

For each size, a seeded multilingual corpus (benchmarks/make_corpus.py: English, Polish,
Vietnamese, Chinese; 9 weeks) is written to a fresh database, then:

1. **full run**: ``trendscout analyze`` in a child process on every post but the last
   week's, for the week before (language detection, tokens, topics, trends);
2. **weekly re-run**: the last week's posts (about 11%) are added and ``analyze`` runs for
   the next week: only the new posts are detected and tokenised.

With ``--history-weeks N`` the corpus reaches N weeks further back, with as many posts per week
(so the re-run adds a smaller share): what a re-run costs once the history outgrows the window.

Prints wall time, CPU time and peak memory (the main process and its worker processes), the
time of each step (from the ``analysis_runs`` table) and the growth of time with size against
n·log n.
Corpus generation is not timed.

    python benchmarks/bench_analyze.py --sizes 10000 100000 [--keep DIR] [--history-weeks N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.make_corpus import CorpusSpec, generate, watch_config, write_db  # noqa: E402

AS_OF = dt.date(2026, 11, 22)


def tree_pss_mib(pid: int) -> float:
    """Proportional set size of ``pid`` and its descendants (Linux), in MiB: pages the
    forked workers share with their parent count once, not once per process."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
            with open(f"/proc/{current}/task/{current}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total / 1024


def run_child(args: list[str]) -> tuple[float, float, str, float]:
    """Run ``trendscout ARGS``; returns (seconds, peak memory in MiB, stdout, CPU seconds of
    the process and its worker processes: less sensitive than wall time to other load).

    Peak memory is the larger of the main process's peak RSS (``wait4``) and the peak sum of
    PSS over it and its worker processes, sampled every 0.2 s.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    peak_tree = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.wait(0.2):
            peak_tree = max(peak_tree, tree_pss_mib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # --quiet keeps the output far below a pipe's buffer, so waiting before reading is safe.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_mib = max(peak_tree, usage.ru_maxrss / 1024)  # Linux: KiB
    if process.returncode != 0:
        raise SystemExit(f"analyze failed ({process.returncode}):\n{err[-3000:]}")
    return seconds, peak_mib, out.strip(), usage.ru_utime + usage.ru_stime


def steps_of_last_run(db_path: Path) -> dict[str, float]:
    import sqlite_utils

    db = sqlite_utils.Database(db_path)
    row = next(db.query("select stats from analysis_runs order by id desc limit 1"))
    db.close()
    return {name: step["seconds"] for name, step in json.loads(row["stats"])["steps"].items()}


def bench(size: int, folder: Path, seed: int, history_weeks: int = 0) -> dict[str, object]:
    corpus = generate(CorpusSpec(posts=size, as_of=AS_OF, seed=seed, history_weeks=history_weeks))
    last_week = (AS_OF - dt.timedelta(days=6)).isoformat()
    new = [p for p in corpus.posts if p.published_at >= last_week]
    corpus.posts = [p for p in corpus.posts if p.published_at < last_week]
    full_posts = len(corpus.posts)
    db_path = folder / f"analyze-{size}.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    config = folder / f"sources-{size}.yml"
    config.write_text(watch_config(corpus), encoding="utf-8")
    write_db(corpus, db_path)
    before = (AS_OF - dt.timedelta(days=7)).isoformat()
    full_s, full_mib, summary, full_cpu = run_child(
        ["analyze", "--db", str(db_path), "-c", str(config), "--as-of", before, "--quiet"]
    )
    full_steps = steps_of_last_run(db_path)

    corpus.posts = new
    write_db_append(corpus, db_path)
    rerun_s, rerun_mib, _, rerun_cpu = run_child(
        ["analyze", "--db", str(db_path), "-c", str(config), "--as-of", AS_OF.isoformat(),
         "--quiet"]
    )  # fmt: skip
    rerun_steps = steps_of_last_run(db_path)
    return {
        "size": size,
        "posts_full": full_posts,
        "posts_new": len(new),
        "full_s": full_s,
        "full_cpu": full_cpu,
        "full_mib": full_mib,
        "full_steps": full_steps,
        "rerun_s": rerun_s,
        "rerun_cpu": rerun_cpu,
        "rerun_mib": rerun_mib,
        "rerun_steps": rerun_steps,
        "summary": summary,
    }


def write_db_append(corpus, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Add the corpus' posts to an existing database (its sources are already there)."""
    import sqlite_utils

    from pipelines.store import content_hash

    db = sqlite_utils.Database(db_path)
    ids = {row["name"]: row["id"] for row in db.query("select id, name from sources")}
    with db.conn:
        db["posts"].insert_all(
            (
                {"id": p.id, "source_id": ids[p.source], "url": f"http://127.0.0.1/{p.id}",
                 "title": p.title, "text": p.text, "author": p.author,
                 "published_at": p.published_at, "date_estimated": 0,
                 "content_hash": content_hash(p.title, p.text), "guid": p.id,
                 "fetched_at": p.published_at, "first_seen_at": p.published_at,
                 "updated_at": p.published_at}
                for p in corpus.posts
            ),
            batch_size=2000,
        )  # fmt: skip
    db.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time and memory of trendscout analyze.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    parser.add_argument(
        "--history-weeks", type=int, default=0,
        help="weeks of posts before the nine-week window (the same posts per week: SIZE grows "
        "with them), to see what a re-run costs on a longer history",
    )  # fmt: skip
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="trendscout-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    results = []
    for size in args.sizes:
        weeks = 9 + args.history_weeks
        result = bench(size * weeks // 9, folder, args.seed, args.history_weeks)
        results.append(result)
        steps = " ".join(f"{k}={v:.1f}" for k, v in result["full_steps"].items())  # type: ignore[union-attr]
        rsteps = " ".join(f"{k}={v:.1f}" for k, v in result["rerun_steps"].items())  # type: ignore[union-attr]
        print(
            f"\n{result['size']:,} posts generated over {weeks} weeks; "
            f"full run on {result['posts_full']:,}: "
            f"{result['full_s']:.1f} s (CPU {result['full_cpu']:.1f} s), "
            f"peak RSS {result['full_mib']:.0f} MiB  [{steps}]"
        )
        print(
            f"  weekly re-run with {result['posts_new']:,} new posts: {result['rerun_s']:.1f} s "
            f"(CPU {result['rerun_cpu']:.1f} s) "
            f"({result['rerun_s'] / result['full_s']:.2f} of the full run), "
            f"peak RSS {result['rerun_mib']:.0f} MiB  [{rsteps}]"
        )
        print(f"  {result['summary']}")  # fmt: skip
    for small, big in zip(results, results[1:], strict=False):
        n1, n2 = small["posts_full"], big["posts_full"]
        ratio = big["full_s"] / small["full_s"]  # type: ignore[operator]
        nlogn = (n2 * math.log(n2)) / (n1 * math.log(n1))  # type: ignore[arg-type]
        print(f"\ntime {n1:,} → {n2:,} posts: ×{ratio:.1f} (n log n would be ×{nlogn:.1f}, "
              f"linear ×{n2 / n1:.1f})")  # type: ignore[operator]  # fmt: skip
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(benchmark process itself, incl. corpus generation: peak RSS {own:.0f} MiB)")
    print(f"databases in {folder}")


if __name__ == "__main__":
    main()
