"""False alarms and detection rate of the trend scores over many random corpora.

Generates seeded multilingual corpora (benchmarks/make_corpus.py) and runs the whole analysis
on each (real tokenizer and language detector):

* **null corpora** (no planted trend; every theme and product is steady): any topic, term or
  entity marked ``emerging`` or ``new`` is a false alarm. Reports the share of corpora with at
  least one false alarm, and the share of tested topics / entities / terms flagged.
* **planted corpora** (Starfall Arena emerging, Nebula Racer fading): how often the planted
  emerging topic ranks first among topics, how often the fading one is marked fading, and the
  share of steady-theme topics wrongly marked emerging.

    python benchmarks/bench_false_alarms.py [--runs 30] [--posts 3000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.make_corpus import WATCH, CorpusSpec, generate, watch_config, write_db  # noqa: E402
from pipelines.analyze import AnalysisOptions, Progress, run_analysis  # noqa: E402
from pipelines.config import parse_config  # noqa: E402

AS_OF = dt.date(2026, 11, 22)
RISING = ("emerging", "new")


class _Quiet(Progress):
    def message(self, text: str) -> None:
        return None


def analyse(spec: CorpusSpec, folder: Path, options: AnalysisOptions):  # type: ignore[no-untyped-def]
    import sqlite_utils

    corpus = generate(spec)
    path = folder / f"corpus-{spec.seed}-{int(spec.plant)}.db"
    write_db(corpus, path)
    config = parse_config(yaml.safe_load(watch_config(corpus)), folder / "sources.yml")
    run_analysis(config, path, as_of=AS_OF, options=options, progress=_Quiet())
    db = sqlite_utils.Database(path)
    truth = {p.id: p.theme for p in corpus.posts}
    themes: dict[int, Counter[str]] = {}
    for row in db.query("select post_id, topic_id from post_topics"):
        themes.setdefault(row["topic_id"], Counter())[truth[row["post_id"]]] += 1
    trends = list(db.query("select * from trends order by score desc"))
    for row in trends:
        counts = themes.get(row["topic_id"] or -1)
        row["theme"] = counts.most_common(1)[0][0] if counts else None
    db.close()
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return trends


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="False-alarm and detection rates.")
    parser.add_argument("--runs", type=int, default=30, help="corpora of each kind")
    parser.add_argument("--posts", type=int, default=3000)
    args = parser.parse_args(argv)

    from nlp.lang import LanguageDetector
    from nlp.tokens import Tokenizer

    keyphrases = [form for name, aliases in WATCH.values() for form in (name, *aliases)]
    options = AnalysisOptions(tokenizer=Tokenizer(keyphrases), detector=LanguageDetector())
    folder = Path(tempfile.mkdtemp(prefix="trendscout-alarms-"))
    started = time.perf_counter()

    null_any = 0
    flagged: Counter[str] = Counter()
    tested: Counter[str] = Counter()
    for seed in range(args.runs):
        trends = analyse(
            CorpusSpec(posts=args.posts, seed=1000 + seed, plant=False), folder, options
        )
        alarms = [r for r in trends if r["status"] in RISING]
        null_any += bool(alarms)
        for row in trends:
            if row["kind"] != "term":
                tested[row["kind"]] += 1
            flagged[row["kind"]] += row["status"] in RISING
    first = fading = steady_topics = steady_alarms = 0
    for seed in range(args.runs):
        trends = analyse(CorpusSpec(posts=args.posts, seed=2000 + seed), folder, options)
        topics = [r for r in trends if r["kind"] == "topic"]
        first += bool(topics) and topics[0]["theme"] == "starfall" and topics[0]["status"] in RISING
        nebula = [r for r in topics if r["theme"] == "nebula"]
        fading += bool(nebula) and all(r["status"] == "fading" for r in nebula)
        for row in topics:
            if row["theme"] not in ("starfall", "nebula"):
                steady_topics += 1
                steady_alarms += row["status"] in RISING

    n = args.runs
    seconds = time.perf_counter() - started
    print(f"{n} null corpora and {n} planted corpora of ~{args.posts:,} posts "
          f"(en, pl, vi, zh; 8 baseline weeks + 1), {seconds:.0f} s")  # fmt: skip
    print("\nnull corpora (nothing changes):")
    print(f"  corpora with any emerging/new finding: {null_any}/{n} = {null_any / n:.1%}")
    for kind, plural in (("topic", "topics"), ("entity", "entities")):
        print(f"  {plural} flagged: {flagged[kind]}/{tested[kind]} = "
              f"{flagged[kind] / max(tested[kind], 1):.2%}")  # fmt: skip
    print(f"  terms flagged (out of every term scored): {flagged['term']} in {n} corpora")
    print("\nplanted corpora:")
    print(f"  planted emerging topic ranked first: {first}/{n} = {first / n:.1%}")
    print(f"  planted fading topic marked fading: {fading}/{n} = {fading / n:.1%}")
    print(f"  steady-theme topics marked emerging/new: {steady_alarms}/{steady_topics} = "
          f"{steady_alarms / max(steady_topics, 1):.2%}")  # fmt: skip


if __name__ == "__main__":
    main()
