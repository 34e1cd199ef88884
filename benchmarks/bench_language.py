"""Language detection and tokenization: accuracy and speed, printed as tables.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_language.py            # everything (~2-3 minutes)
    .venv/bin/python benchmarks/bench_language.py --quick    # fewer texts, no all-language model

Data: SIB-200 sentences (FLORES-200) for English, Polish, Vietnamese and Simplified Chinese
in ../shared/corpus/labeled/sib200/, whole and cut to their first three words (Chinese:
first three jieba words), and for languages outside the fast set, titles and summaries from
German, French, Portuguese, Russian and Urdu feeds in ../shared/corpus/feeds/ (labelled with
the feed's language). Speed figures are measured side by side in one run.
"""

from __future__ import annotations

import argparse
import csv
import functools
import html
import os
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.lang import LanguageDetector  # noqa: E402
from nlp.tokens import Tokenizer  # noqa: E402

CORPUS = Path(os.environ.get("TRENDSCOUT_SHARED_CORPUS", REPO.parent / "shared" / "corpus"))
SIB = {"en": "eng_Latn", "pl": "pol_Latn", "vi": "vie_Latn", "zh": "zho_Hans"}
FEEDS = {
    "de": ["heise_developer_de.atom", "miniflux_iso8859-1_declared.xml", "miniflux_rdf_utf8.xml"],
    "fr": ["miniflux_no_encoding_iso8859-1.xml"],
    "pt": ["uol_noticias_pt_latin1_no_xmldecl.rss", "jn_pt_iso8859-1.rss"],
    "ru": ["miniflux_windows1251_ru.xml"],
    "ur": ["miniflux_urdu_utf8.xml"],
}


def sib_sentences(code: str) -> list[tuple[str, str]]:
    """(text, topic label) for every SIB-200 sentence of a language (all splits)."""
    rows = []
    for split in ("train", "dev", "test"):
        path = CORPUS / "labeled" / "sib200" / SIB[code] / f"{split}.tsv"
        with path.open(encoding="utf-8") as handle:
            rows += [(r["text"], r["category"]) for r in csv.DictReader(handle, delimiter="\t")]
    return rows


def first_words(text: str, code: str, count: int = 3) -> str:
    if code == "zh":
        from nlp.tokens import _base_jieba

        return "".join([w for w in _base_jieba().lcut(text) if w.strip()][:count])
    return " ".join(text.split()[:count])


def feed_texts(limit_per_language: int) -> list[tuple[str, str]]:
    import feedparser

    out = []
    tags = re.compile(r"<[^>]+>")
    for code, names in FEEDS.items():
        texts = []
        for name in names:
            parsed = feedparser.parse(str(CORPUS / "feeds" / name))
            for entry in parsed.entries:
                summary = html.unescape(tags.sub(" ", entry.get("summary", "")))
                text = " ".join(f"{entry.get('title', '')}. {summary}".split())
                if len(text) > 20:
                    texts.append(text[:400])
        out += [(t, code) for t in texts[:limit_per_language]]
    return out


def accuracy(predicted: Sequence[str | None], expected: Sequence[str]) -> float:
    return sum(p == e for p, e in zip(predicted, expected, strict=True)) / max(1, len(expected))


def timed(function: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def _cell(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def bench_detection(quick: bool) -> None:
    per_language = 200 if quick else 1007
    sets: dict[str, list[tuple[str, str]]] = {"full": [], "3 words": []}
    for code in SIB:
        sentences = [text for text, _ in sib_sentences(code)][:per_language]
        sets["full"] += [(t, code) for t in sentences]
        sets["3 words"] += [(first_words(t, code), code) for t in sentences]
    other = feed_texts(40 if quick else 200)

    ours = LanguageDetector()
    restricted_only = LanguageDetector(fallback_all=False)
    # Warm up: load the restricted models (and, unless quick, the all-language ones).
    _, load_restricted = timed(lambda: restricted_only.detect_many([t for t, _ in sets["full"]]))
    load_all = 0.0
    if not quick:
        _, load_all = timed(lambda: _full_all_detector().detect_language_of("x y z"))
        _, load_all_detect = timed(
            lambda: _full_all_detector().detect_languages_in_parallel_of(
                [t for t, _ in sets["full"][:: len(sets["full"]) // 50]]
            )
        )
        load_all += load_all_detect
    rows = []
    speed_rows = []
    for name, items in [*sets.items(), ("other languages (feeds)", other)]:
        texts = [t for t, _ in items]
        expected = [c for _, c in items]
        detectors: list[tuple[str, Callable[[], list[str | None]]]] = [
            ("ours", lambda texts=texts: [c for c, _ in ours.detect_many(texts)]),
            ("restricted", lambda texts=texts: [c for c, _ in restricted_only.detect_many(texts)]),
        ]
        if not quick:
            detectors.append(("all-language lingua", lambda texts=texts: _lingua_all(texts)))
        predictions = []
        for label, run in detectors:
            predicted, seconds = timed(run)
            predictions.append(predicted)
            speed_rows.append([name, label, len(texts), round(len(texts) / seconds)])
        for code in [None, *sorted(set(expected))]:
            keep = [i for i, e in enumerate(expected) if code is None or e == code]
            rows.append(
                [name if code is None else f"  {code}", len(keep)]
                + [
                    accuracy([p[i] for i in keep], [expected[i] for i in keep])  # type: ignore[index]
                    for p in predictions
                ]
            )
    header = ["texts", "n", "ours (restricted + fallback)", "restricted only"]
    if not quick:
        header.append("all-language lingua")
    table("Language detection accuracy (SIB-200 en/pl/vi/zh; feeds de/fr/pt/ru/ur)", header, rows)
    table(
        "Language detection speed (posts/s, warm, same run)",
        ["texts", "detector", "n", "posts/s"],
        speed_rows,
    )
    print(
        f"\nModel loading: restricted {load_restricted:.1f} s (with its first pass), "
        f"all-language {load_all:.1f} s; peak RSS {rss_mb():.0f} MB"
    )
    # Confusions of the default detector on short texts.
    wrong: dict[tuple[str, str | None], int] = {}
    texts = [t for t, _ in sets["3 words"]]
    for (code, _), expected_code in zip(
        ours.detect_many(texts), [c for _, c in sets["3 words"]], strict=True
    ):
        if code != expected_code:
            wrong[(expected_code, code)] = wrong.get((expected_code, code), 0) + 1
    top = sorted(wrong.items(), key=lambda kv: -kv[1])[:8]
    print(
        "Most frequent errors on 3-word texts (expected -> detected: count): "
        + ", ".join(f"{e}->{d}: {n}" for (e, d), n in top)
    )


@functools.cache
def _full_all_detector() -> object:
    """What a researcher would use: lingua with all languages and all models (~1 GB)."""
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().build()


def _lingua_all(texts: list[str]) -> list[str | None]:
    detector = _full_all_detector()
    return [
        None if found is None else found.iso_code_639_1.name.lower()
        for found in detector.detect_languages_in_parallel_of(texts)
    ]


def bench_tokens(quick: bool) -> None:
    posts = 2000 if quick else 10000
    tokenizer = Tokenizer(["Starfall Arena", "星落竞技场"])
    rows = []
    for code in SIB:
        sentences = [t for t, _ in sib_sentences(code)]
        texts = (sentences * (posts // len(sentences) + 1))[:posts]
        tokenizer.tokens_many(texts, code)  # load the pipeline and data, fill the caches
        result, seconds = timed(lambda texts=texts, code=code: tokenizer.tokens_many(texts, code))
        tokens = sum(len(t) for t in result)  # type: ignore[union-attr]
        _, one_by_one = timed(
            lambda texts=texts, code=code: [tokenizer.tokens(t, code) for t in texts[:1000]]
        )
        rows.append(
            [
                code,
                posts,
                round(posts / seconds),
                round(1000 / one_by_one),
                round(tokens / posts, 1),
            ]
        )
    # pyvi's share of the Vietnamese cost: syllables only, for comparison.
    import spacy

    syllables = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    sentences = [t for t, _ in sib_sentences("vi")]
    texts = (sentences * (posts // len(sentences) + 1))[:posts]
    _, seconds = timed(lambda: list(syllables.tokenizer.pipe(texts)))
    rows.append(["vi (spaCy without pyvi, syllables)", posts, round(posts / seconds), "-", "-"])
    table(
        "Tokenization speed (SIB-200 sentences, ~25 words each; warm second pass)",
        ["language", "posts", "tokens_many posts/s", "tokens() posts/s", "tokens/post"],
        rows,
    )


def bench_polish_lemmas(quick: bool) -> None:
    """Does looking up Polish dictionary forms help? SIB-200 pl, 7 topics, two measures:
    clustering (TF-IDF, LSA to 100 dimensions, k-means; NMI over seeds) and a supervised
    check (5-fold logistic regression accuracy on the same features)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer

    rows = sib_sentences("pl")
    texts, labels = [t for t, _ in rows], [c for _, c in rows]
    seeds = range(3 if quick else 10)
    results = []
    for name, lemmatize in (("lower-case only", False), ("dictionary forms", True)):
        docs = Tokenizer(lemmatize=lemmatize).tokens_many(texts, "pl")
        vocabulary = len({t for d in docs for t in d})
        vectorizer = TfidfVectorizer(analyzer=lambda d: d, min_df=2, sublinear_tf=True)
        matrix = vectorizer.fit_transform(docs)
        nmi = []
        for seed in seeds:
            lsa = make_pipeline(TruncatedSVD(100, random_state=seed), Normalizer(copy=False))
            reduced = lsa.fit_transform(matrix)
            clusters = KMeans(7, n_init=5, random_state=seed).fit_predict(reduced)
            nmi.append(normalized_mutual_info_score(labels, clusters))
        classifier = LogisticRegression(max_iter=2000, C=10.0)
        accuracy_cv = cross_val_score(classifier, matrix, labels, cv=5).mean()
        results.append(
            [name, vocabulary, statistics.mean(nmi), statistics.stdev(nmi), float(accuracy_cv)]
        )
    table(
        "Polish: lower-case vs dictionary forms (SIB-200 pl, 1007 sentences, 7 topics)",
        ["tokens", "vocabulary", "NMI mean (LSA+k-means)", "NMI sd", "5-fold accuracy"],
        results,
    )


def bench_corpus(posts: int) -> None:
    """Both steps over a mixed corpus the way analysis runs them: detect, then tokenize."""
    import random

    rng = random.Random(8)
    pool = [(text, code) for code in SIB for text, _ in sib_sentences(code)]
    texts = []
    for _ in range(posts):
        text, code = rng.choice(pool)
        if rng.random() < 0.5:  # half the posts are short: the first 3-8 words
            text = first_words(text, code, rng.randint(3, 8))
        texts.append(text)
    tokenizer = Tokenizer(["Starfall Arena", "星落竞技场"])
    detector = LanguageDetector()

    def warm_up() -> None:  # loads lingua's models, jieba, pyvi, the Polish table, spaCy
        tokenizer.tokens_many(texts[:2000], [c for c, _ in detector.detect_many(texts[:2000])])

    _, load_seconds = timed(warm_up)
    found, detect_seconds = timed(lambda: detector.detect_many(texts))
    langs = [code for code, _ in found]  # type: ignore[union-attr]
    _, token_seconds = timed(lambda: tokenizer.tokens_many(texts, langs))
    table(
        f"Mixed corpus: {posts} posts (en/pl/vi/zh, half cut to 3-8 words), one process",
        ["step", "seconds", "posts/s"],
        [
            ["loading (first 2000 posts, once per process)", round(load_seconds, 1), "-"],
            ["detect_many", round(detect_seconds, 1), round(posts / detect_seconds)],
            ["tokens_many", round(token_seconds, 1), round(posts / token_seconds)],
            [
                "both",
                round(detect_seconds + token_seconds, 1),
                round(posts / (detect_seconds + token_seconds)),
            ],
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer texts, no all-language model")
    parser.add_argument(
        "--only", choices=["detect", "tokens", "polish", "corpus"], help="run one part"
    )
    parser.add_argument("--posts", type=int, help="mixed-corpus size (default 100000, quick 20000)")
    args = parser.parse_args()
    if not (CORPUS / "labeled" / "sib200").is_dir():
        sys.exit(f"shared corpus not found at {CORPUS} (set TRENDSCOUT_SHARED_CORPUS)")
    print(f"Machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    if args.only in (None, "detect"):
        bench_detection(args.quick)
    if args.only in (None, "tokens"):
        bench_tokens(args.quick)
    if args.only in (None, "polish"):
        bench_polish_lemmas(args.quick)
    if args.only in (None, "corpus"):
        bench_corpus(args.posts or (20000 if args.quick else 100000))


if __name__ == "__main__":
    main()
