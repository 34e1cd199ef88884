"""Side by side: trendscout analyze against BERTopic (fit_transform + topics_over_time).

BERTopic needs sentence-transformers and torch for its default embeddings, which cannot be
loaded here, so it runs with a TF-IDF + TruncatedSVD embedding pipeline (and its default
UMAP + HDBSCAN), in its own virtual environment so the project's stays small:

    uv venv /tmp/bertvenv --python .venv/bin/python
    uv pip install --python /tmp/bertvenv/bin/python scikit-learn==1.9.1 numpy scipy \\
        pandas tqdm plotly hdbscan umap-learn pyyaml
    uv pip install --python /tmp/bertvenv/bin/python --no-deps bertopic==0.17.4
    python benchmarks/bench_bertopic.py --bertopic-python /tmp/bertvenv/bin/python --posts 100000

Both run as child processes on the same generated corpus in the same run (wall time, peak
RSS from ``wait4``); trendscout's run includes language detection and tokenisation, which
BERTopic does not do. With ``--bbc`` both are also scored on the labeled BBC news set
(NMI/ARI against the 5 categories).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a child process; returns (seconds, peak RSS MiB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:3]} failed:\n{err[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, out


# --------------------------------------------------------------------------------------------
# Worker: runs inside the BERTopic environment, imports nothing from trendscout.


def worker(mode: str, path: str, topics: int) -> None:
    import numpy as np
    from bertopic import BERTopic
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    texts = [r["text"] for r in rows]
    embedding = make_pipeline(TfidfVectorizer(min_df=2), TruncatedSVD(100, random_state=0))
    extra = {}
    if mode == "bbc-kmeans":
        from sklearn.cluster import KMeans

        extra["hdbscan_model"] = KMeans(topics, n_init=3, random_state=0)
    model = BERTopic(embedding_model=embedding, **extra)
    started = time.perf_counter()
    assigned, _ = model.fit_transform(texts)
    fitted = time.perf_counter() - started
    result: dict[str, object] = {"fit_s": fitted, "topics": len(set(assigned) - {-1})}
    if mode == "corpus":
        started = time.perf_counter()
        over_time = model.topics_over_time(texts, [r["published_at"] for r in rows], nr_bins=9)
        result["over_time_s"] = time.perf_counter() - started
        result["over_time_rows"] = len(over_time)
    else:
        from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

        labels = [r["label"] for r in rows]
        result["nmi"] = normalized_mutual_info_score(labels, np.asarray(assigned))
        result["ari"] = adjusted_rand_score(labels, np.asarray(assigned))
    print(json.dumps(result))


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="trendscout analyze against BERTopic.")
    parser.add_argument("--bertopic-python", default="/tmp/bertvenv/bin/python")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bbc", action="store_true", help="also score both on BBC news")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--topics", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.data, args.topics)
        return

    sys.path.insert(0, str(REPO))
    from benchmarks.make_corpus import CorpusSpec, generate, watch_config, write_db

    folder = Path(tempfile.mkdtemp(prefix="trendscout-bertopic-"))
    corpus = generate(CorpusSpec(posts=args.posts, seed=args.seed))
    data = folder / "posts.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for post in corpus.posts:
            text = f"{post.title}\n{post.text}"
            handle.write(json.dumps({"text": text, "published_at": post.published_at}) + "\n")
    db = folder / "corpus.db"
    write_db(corpus, db)
    config = folder / "sources.yml"
    config.write_text(watch_config(corpus), encoding="utf-8")
    print(f"{len(corpus.posts):,} generated posts (en, pl, vi, zh; 9 weeks); "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")  # fmt: skip

    ours_s, ours_mib, summary = run(
        [sys.executable, "-m", "pipelines.cli", "analyze", "--db", str(db), "-c", str(config),
         "--as-of", corpus.spec.as_of.isoformat(), "--quiet"],
        env={"PYTHONPATH": str(REPO)},
    )  # fmt: skip
    import sqlite_utils

    stats = json.loads(next(sqlite_utils.Database(db).query(
        "select stats from analysis_runs order by id desc limit 1"))["stats"])  # fmt: skip
    steps = {name: step["seconds"] for name, step in stats["steps"].items()}
    theirs_s, theirs_mib, out = run(
        [args.bertopic_python, __file__, "--worker", "corpus", "--data", str(data)]
    )
    theirs = json.loads(out.strip().splitlines()[-1])
    print(f"\ntrendscout analyze: {ours_s:.1f} s, peak RSS {ours_mib:.0f} MiB; {summary.strip()}")
    print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
    after_prepare = sum(v for k, v in steps.items() if k != "prepare")
    print(f"BERTopic (tfidf+svd, umap, hdbscan): {theirs_s:.1f} s, peak RSS {theirs_mib:.0f} MiB; "
          f"fit_transform {theirs['fit_s']:.1f} s, topics_over_time "
          f"{theirs['over_time_s']:.1f} s, {theirs['topics']} topics")  # fmt: skip
    print(f"ratio BERTopic / trendscout: wall {theirs_s / ours_s:.1f}×; "
          f"BERTopic fit+over_time / trendscout steps after prepare: "
          f"{(theirs['fit_s'] + theirs['over_time_s']) / after_prepare:.1f}×")  # fmt: skip

    if args.bbc:
        corpus_dir = REPO.parent / "shared" / "corpus" / "labeled"
        with open(corpus_dir / "bbc_news_train_5cat.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        bbc = folder / "bbc.jsonl"
        with open(bbc, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps({"text": row["Text"], "label": row["Category"]}) + "\n")
        for mode in ("bbc", "bbc-kmeans"):
            _, _, out = run([args.bertopic_python, __file__, "--worker", mode, "--data", str(bbc)])
            result = json.loads(out.strip().splitlines()[-1])
            method = "hdbscan" if mode == "bbc" else "k-means k=5"
            print(f"BBC, BERTopic {method}: NMI {result['nmi']:.3f}, ARI {result['ari']:.3f}, "
                  f"{result['topics']} topics")  # fmt: skip
        print("BBC, trendscout: see benchmarks/bench_topic_quality.py --only bbc")


if __name__ == "__main__":
    main()
