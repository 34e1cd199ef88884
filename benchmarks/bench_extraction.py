"""Main-text extraction: share of gold text recovered, and milliseconds per page.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_extraction.py

Data: the pages with gold text in ../shared/corpus/html/ (see its SOURCES.md): 15
article-extraction-benchmark pages with the whole gold article body (token-level
precision and recall), and 19 trafilatura evaluation pages with snippets that must
appear (``with``) and boilerplate that must not (``without``), some with gold author and
date. Every setting runs over the same pages in one process; each page is extracted
once per setting, each setting in a fresh process (htmldate and trafilatura cache by
page, so a second pass would flatter the time). CPU time is the figure to compare on a
shared machine; wall time also counts waiting for the CPU.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extract import extract_article  # noqa: E402
from tests.test_extraction import corpus_pages, score_pages  # noqa: E402

CORPUS = Path(os.environ.get("TRENDSCOUT_SHARED_CORPUS", REPO.parent / "shared" / "corpus"))
SETTINGS = {
    "fast (default)": {"fast": True},
    "fast + favor_precision": {"fast": True, "favor_precision": True},
    "with fallbacks": {"fast": False},
    "with fallbacks + favor_precision": {"fast": False, "favor_precision": True},
}


def measure(name: str) -> dict[str, object]:
    """Scores and ms/page of one setting, in this (fresh) process."""
    pages = corpus_pages(CORPUS)
    extract_article("<html><body><p>" + "warm up " * 40 + "</p></body></html>")  # imports
    extract = functools.partial(extract_article, **SETTINGS[name])
    started, cpu = time.perf_counter(), time.process_time()
    scores = score_pages(pages, extract)
    wall = (time.perf_counter() - started) / len(pages) * 1000
    cpu = (time.process_time() - cpu) / len(pages) * 1000
    return {"pages": len(pages), "ms": wall, "cpu_ms": cpu, **scores.__dict__}


def main() -> None:
    if not (CORPUS / "html").is_dir():
        sys.exit(f"shared corpus not found at {CORPUS}")
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2])))
        return
    header = (
        "setting",
        "aeb P",
        "aeb R",
        "with",
        "without absent",
        "dates",
        "authors",
        "CPU ms/page",
        "wall ms/page",
    )
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for name in SETTINGS:
        # A fresh process per setting: htmldate and trafilatura cache by page content.
        child = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
        )
        r = json.loads(child.stdout)
        print(
            f"{name} | {r['aeb_precision']:.3f} | {r['aeb_recall']:.3f} | "
            f"{r['with_found']}/{r['with_total']} ({r['with_found'] / r['with_total']:.0%}) | "
            f"{r['without_absent']}/{r['without_total']} | {r['dates_right']}/{r['dates_total']} | "
            f"{r['authors_right']}/{r['authors_total']} | {r['cpu_ms']:.1f} | {r['ms']:.1f}"
        )
        if r["empty_pages"]:
            print(f"  (no text from: {', '.join(r['empty_pages'])})")
    sizes = sorted(len(page.html) for page in corpus_pages(CORPUS))
    print(
        f"\n{len(sizes)} pages, median {sizes[len(sizes) // 2] // 1024} KiB, "
        f"max {sizes[-1] // 1024} KiB; load average {os.getloadavg()[0]:.1f}, "
        f"{os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
