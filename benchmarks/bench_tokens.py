"""Tokens and search text per post: the straightforward path against the fast one, side by side.

The old path is ``ReferenceTokenizer`` from ``tests/test_tokens_speed.py`` (spaCy's own
VietnameseTokenizer, every spaCy token read through ``Token`` attributes, one jieba cut for a
Chinese post's tokens and another, ``cut_for_search``, for its search text); the new one is
``Tokenizer.tokens_and_search_many``. Both run on the same generated posts
(``benchmarks/make_corpus.py``) in one process after a warm-up on other posts of the corpus,
and the script checks that they give the same output. Times are CPU time per post, the
best of ``--repeat`` alternate runs of each path.

Run ``python benchmarks/bench_tokens.py --posts 40000`` from the repository root.
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.make_corpus import LANGUAGES, WATCH, CorpusSpec, generate  # noqa: E402
from nlp.tokens import _HAN, Tokenizer  # noqa: E402
from tests.test_tokens_speed import ReferenceTokenizer  # noqa: E402

Result = list[tuple[list[str], str | None]]


def old_path(tokenizer: ReferenceTokenizer, texts: list[str], lang: str) -> Result:
    """What analyze did per batch: tokens_many, then search_text for texts with Han."""
    tokens = tokenizer.tokens_many(texts, lang)
    return [
        (words, tokenizer.search_text(text, lang) if _has_han(text) else None)
        for words, text in zip(tokens, texts, strict=True)
    ]


def new_path(tokenizer: Tokenizer, texts: list[str], lang: str) -> Result:
    return tokenizer.tokens_and_search_many(texts, lang)


def _has_han(text: str) -> bool:
    return bool(_HAN.search(unicodedata.normalize("NFC", text)))


def cpu_ms_per_post(
    path: Callable[[Any, list[str], str], Result], tokenizer: Tokenizer, texts: list[str], lang: str
) -> tuple[float, Result]:
    began = time.process_time()
    result = path(tokenizer, texts, lang)
    return (time.process_time() - began) * 1000 / len(texts), result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40000, help="posts in the generated corpus")
    parser.add_argument("--warm-up", type=float, default=0.2, help="share of posts to warm up on")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each path")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    corpus = generate(CorpusSpec(posts=args.posts, seed=args.seed))
    keyphrases = [form for name, aliases in WATCH.values() for form in (name, *aliases)]
    old, new = ReferenceTokenizer(keyphrases), Tokenizer(keyphrases)
    print(f"{len(corpus.posts):,} generated posts; CPU ms per post (tokens and search text)")
    print(f"{'lang':<6}{'posts':>8}{'old':>9}{'new':>9}{'speed-up':>10}  same output")
    totals = {"posts": 0, "old": 0.0, "new": 0.0}
    for lang in LANGUAGES:
        texts = [f"{p.title}\n{p.text}" for p in corpus.posts if p.lang == lang]
        warm = int(len(texts) * args.warm_up)
        old_path(old, texts[:warm], lang)
        new_path(new, texts[:warm], lang)
        timed = texts[warm:]
        old_runs, new_runs = [], []
        for _ in range(args.repeat):  # alternately, the best of each
            old_runs.append(cpu_ms_per_post(old_path, old, timed, lang))
            new_runs.append(cpu_ms_per_post(new_path, new, timed, lang))
        (old_ms, old_result), (new_ms, new_result) = (
            min(runs, key=lambda run: run[0]) for runs in (old_runs, new_runs)
        )
        same = "yes" if old_result == new_result else "NO"
        ratio = old_ms / new_ms
        print(f"{lang:<6}{len(timed):>8,}{old_ms:>9.3f}{new_ms:>9.3f}{ratio:>9.2f}×  {same}")
        totals["posts"] += len(timed)
        totals["old"] += old_ms * len(timed)
        totals["new"] += new_ms * len(timed)
    posts = totals["posts"]
    old_ms, new_ms = totals["old"] / posts, totals["new"] / posts
    print(f"{'all':<6}{posts:>8,}{old_ms:>9.3f}{new_ms:>9.3f}{old_ms / new_ms:>9.2f}×")


if __name__ == "__main__":
    main()
