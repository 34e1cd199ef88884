"""Topic quality against labeled collections: NMI, ARI and seed-to-seed stability.

Reads ``../shared/corpus/labeled/`` (BBC news, 5 categories; HuffPost headlines, 19
categories; SIB-200 sentences in English, Polish, Vietnamese and Chinese, 7 categories, and
the four together) and prints one table row per data set and method:

* ``lsa+kmeans``: trendscout's TopicModel (TF-IDF → TruncatedSVD(100) → k-means), with
  k = the number of labels, and ``lsa+kmeans auto`` with the default k = √(n/10);
* ``nmf``: TF-IDF + NMF (nndsvda), topic = largest component;
* ``tfidf+minibatch``: MiniBatchKMeans straight on TF-IDF;
* ``bertopic``: BERTopic with a TF-IDF + TruncatedSVD embedding (no neural model can be
  loaded here), only when the ``bertopic`` package is installed.

Stability is the NMI between the assignments of seed 0 and seed 1. All methods get the same
tokens (``nlp.tokens.Tokenizer``, language known).

    python benchmarks/bench_topic_quality.py [--corpus ../shared/corpus] [--only bbc]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.tokens import Tokenizer  # noqa: E402
from nlp.topics import TopicModel  # noqa: E402

SIB_LANGUAGES = {"en": "eng_Latn", "pl": "pol_Latn", "vi": "vie_Latn", "zh": "zho_Hans"}

Dataset = tuple[list[str], list[str], list[str]]  # texts, labels, languages


def load_bbc(corpus: Path) -> Dataset:
    with open(corpus / "labeled" / "bbc_news_train_5cat.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["Text"] for r in rows], [r["Category"] for r in rows], ["en"] * len(rows)


def load_huffpost(corpus: Path) -> Dataset:
    path = next((corpus / "labeled").glob("huffpost_*.jsonl"))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    texts = [f"{r['headline']}. {r['short_description']}" for r in rows]
    return texts, [r["category"] for r in rows], ["en"] * len(rows)


def load_sib(corpus: Path, languages: list[str]) -> Dataset:
    texts, labels, langs = [], [], []
    for lang in languages:
        folder = corpus / "labeled" / "sib200" / SIB_LANGUAGES[lang]
        for split in ("train", "dev", "test"):
            with open(folder / f"{split}.tsv", encoding="utf-8") as handle:
                for row in csv.DictReader(handle, delimiter="\t"):
                    texts.append(row["text"])
                    labels.append(row["category"])
                    langs.append(lang)
    return texts, labels, langs


def datasets(corpus: Path) -> dict[str, Callable[[], Dataset]]:
    found: dict[str, Callable[[], Dataset]] = {
        "bbc": lambda: load_bbc(corpus),
        "huffpost": lambda: load_huffpost(corpus),
    }
    for lang in SIB_LANGUAGES:
        found[f"sib200-{lang}"] = lambda lang=lang: load_sib(corpus, [lang])
    found["sib200-all4"] = lambda: load_sib(corpus, list(SIB_LANGUAGES))
    return found


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _tfidf(docs: list[list[str]]):  # type: ignore[no-untyped-def]
    return TfidfVectorizer(
        analyzer=_identity, min_df=2, max_df=0.5, sublinear_tf=True, dtype=np.float32
    ).fit_transform(docs)


def ours(k: int | None) -> Callable[[list[list[str]], list[str], int], np.ndarray]:
    def run(docs: list[list[str]], langs: list[str], seed: int) -> np.ndarray:
        return TopicModel(k, random_state=seed, min_topic_size=1).fit(docs, langs).assignments

    return run


def nmf(docs: list[list[str]], langs: list[str], seed: int, k: int) -> np.ndarray:
    weights = NMF(k, init="nndsvda", random_state=seed, max_iter=400).fit_transform(_tfidf(docs))
    return weights.argmax(axis=1)


def minibatch(docs: list[list[str]], langs: list[str], seed: int, k: int) -> np.ndarray:
    return MiniBatchKMeans(k, random_state=seed, n_init=3).fit_predict(_tfidf(docs))


def bertopic(docs: list[list[str]], langs: list[str], seed: int, k: int) -> np.ndarray:
    from bertopic import BERTopic
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.pipeline import make_pipeline

    texts = [" ".join(d) for d in docs]
    embedding = make_pipeline(TfidfVectorizer(min_df=2), TruncatedSVD(100, random_state=seed))
    model = BERTopic(
        embedding_model=embedding,
        umap_model=TruncatedSVD(5, random_state=seed),
        hdbscan_model=KMeans(k, random_state=seed, n_init=3),
    )
    topics, _ = model.fit_transform(texts)
    return np.asarray(topics)


def methods(k: int) -> dict[str, Callable[[list[list[str]], list[str], int], np.ndarray]]:
    found = {
        "lsa+kmeans": ours(k),
        "lsa+kmeans auto": ours(None),
        "nmf": lambda d, lg, s: nmf(d, lg, s, k),
        "tfidf+minibatch": lambda d, lg, s: minibatch(d, lg, s, k),
    }
    try:
        import bertopic  # noqa: F401

        found["bertopic (tfidf+svd)"] = lambda d, lg, s: bertopic(d, lg, s, k)
    except ImportError:
        pass
    return found


def measure(name: str, dataset: Dataset, tokenizer: Tokenizer) -> list[dict[str, object]]:
    texts, labels, langs = dataset
    docs = tokenizer.tokens_many(texts, langs)
    k = len(set(labels))
    rows = []
    for method, run in methods(k).items():
        started = time.perf_counter()
        first = run(docs, langs, 0)
        seconds = time.perf_counter() - started
        second = run(docs, langs, 1)
        rows.append(
            {
                "data": name,
                "docs": len(docs),
                "labels": k,
                "method": method,
                "topics": len(set(first.tolist()) - {-1}),
                "nmi": normalized_mutual_info_score(labels, first),
                "ari": adjusted_rand_score(labels, first),
                "stability": normalized_mutual_info_score(first, second),
                "seconds": seconds,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Topic quality on labeled collections.")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--only", action="append", help="data set name (repeatable)")
    args = parser.parse_args(argv)
    if not (args.corpus / "labeled").is_dir():
        sys.exit(f"no labeled corpus at {args.corpus}/labeled")
    tokenizer = Tokenizer()
    print(f"{'data':<13} {'docs':>5} {'k':>3} {'method':<21} {'topics':>6} {'NMI':>6} "
          f"{'ARI':>6} {'stab.':>6} {'s':>6}")  # fmt: skip
    for name, load in datasets(args.corpus).items():
        if args.only and name not in args.only:
            continue
        for row in measure(name, load(), tokenizer):
            print(f"{row['data']:<13} {row['docs']:>5} {row['labels']:>3} {row['method']:<21} "
                  f"{row['topics']:>6} {row['nmi']:>6.3f} {row['ari']:>6.3f} "
                  f"{row['stability']:>6.3f} {row['seconds']:>6.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
