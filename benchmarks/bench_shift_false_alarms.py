"""Audience shifts: how often they are reported when nothing changed, and how often a real
one is found. Prints figures; asserts nothing.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_shift_false_alarms.py    # 1000 corpora (2-3 minutes)
    .venv/bin/python benchmarks/bench_shift_false_alarms.py --corpora 200 --power-corpora 50

Each corpus is a generated forum in English, Polish, Vietnamese and Chinese (the sentences of
tests/fixtures/segments/sentences.yml): four products whose audiences do not change, 60-400
baseline and 25-120 recent authors each, 10-60% women, authors who disclose their gender,
age or role now and then, and many posts that are traps for the tagger. Every post goes
through SegmentTagger (each distinct text is tagged once and cached), then audience_shifts.

* false-alarm rate: share of corpora with at least one significant row. With nothing
  planted this is the error rate Benjamini-Hochberg controls at alpha; it should be at or
  below alpha. The Clopper-Pearson interval says how precise the estimate is.
* per-test rate: significant rows / rows tested.
* power: share of corpora in which a planted rise of women among a product's authors is
  found (significant, direction up) at the same alpha.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scipy import stats  # noqa: E402

from nlp.segments import SegmentTagger  # noqa: E402
from tests.fixtures.segments.corpus import (  # noqa: E402
    CachedTagger,
    ProductPlan,
    false_alarm_study,
    power_study,
)


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial confidence interval for ``successes / trials``."""
    tail = (1 - level) / 2
    low = stats.beta.ppf(tail, successes, trials - successes + 1) if successes else 0.0
    high = (
        stats.beta.ppf(1 - tail, successes + 1, trials - successes) if successes < trials else 1.0
    )
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=int, default=1000, help="corpora without a shift")
    parser.add_argument("--alpha", type=float, default=0.01, help="nominal rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--products", type=int, default=4, help="products per corpus")
    parser.add_argument("--power-corpora", type=int, default=200, help="0 to skip")
    args = parser.parse_args()

    tagger = CachedTagger(SegmentTagger())
    started = time.perf_counter()
    result = false_alarm_study(
        args.corpora, tagger, alpha=args.alpha, random_state=args.seed, products=args.products
    )
    seconds = time.perf_counter() - started
    low, high = clopper_pearson(result.alarmed, result.corpora)
    print(f"corpora without a shift   {result.corpora}  ({args.products} products each)")
    per_corpus = result.tests / result.corpora
    print(f"subject x segment tests   {result.tests}  ({per_corpus:.1f} per corpus)")
    print(
        f"false-alarm rate          {result.rate:.4f}  ({result.alarmed} corpora; "
        f"95% CI {low:.4f}-{high:.4f})  nominal alpha {args.alpha}"
    )
    print(f"per-test rate             {result.per_test_rate:.5f}  ({result.false_rows} rows)")
    verdict = "at or below" if result.rate <= args.alpha else "ABOVE"
    print(f"verdict                   {verdict} the nominal rate")
    milliseconds = 1000 * seconds / result.corpora
    print(f"time                      {seconds:.1f} s ({milliseconds:.0f} ms per corpus)")

    if args.power_corpora:
        for baseline, recent in ((0.25, 0.45), (0.15, 0.6)):
            planted = ProductPlan("Starfall Arena", 250, 90, baseline, recent)
            found, others = power_study(
                args.power_corpora, tagger, planted, alpha=args.alpha, random_state=args.seed + 1
            )
            print(
                f"power, women {baseline:.0%} -> {recent:.0%}  {found / args.power_corpora:.3f}  "
                f"({found}/{args.power_corpora} corpora; alarms on steady products: {others})"
            )


if __name__ == "__main__":
    main()
