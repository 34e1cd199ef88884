"""Forum crawl throughput: a local phpBB board through the ``phpbb`` type, end to end.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_forum.py                 # 300 topics (~1 minute)
    .venv/bin/python benchmarks/bench_forum.py --topics 100    # quicker

Builds a phpBB 3.3 board (prosilver markup, as tests/fixtures/forums/make_boards.py
renders it) with ``--topics`` topics of 1 to 3 pages, 25 topics per list page, serves it
on 127.0.0.1 and, side by side in one run:

1. a bare Scrapy spider that only fetches the same pages (no parsing, no storage);
2. ``trendscout crawl`` of the board into a fresh SQLite database (selector presets,
   dates, text, store pipeline with dedupe) — pages/s and the ratio to (1);
3. the same crawl again (unchanged board): requests made and time;
4. extraction alone, in this process: the phpBB preset vs trafilatura on every topic
   page (ms per page).

Crawl rates come from Scrapy's own ``elapsed_time_seconds`` (process start-up excluded),
with the same politeness settings for both (no delay, no AutoThrottle, 16 concurrent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.localserver import LocalServer, Route  # noqa: E402

SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "RETRY_TIMES": 0,
    "LOG_LEVEL": "INFO",
}
SYLLABLES = "ka to mi ra sze gro na po wie dzi ła ny ko bie ta gra my śmy ją ce".split()


def sentence(rng: random.Random) -> str:
    """A made-up Polish-looking sentence: real forum posts rarely repeat each other, and
    repeated text would measure the near-duplicate layer instead of the crawl."""
    words = [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4)))
        for _ in range(rng.randint(8, 24))
    ]
    return " ".join(words).capitalize() + "."


def load_make_boards():  # type: ignore[no-untyped-def]
    path = REPO / "tests" / "fixtures" / "forums" / "make_boards.py"
    spec = importlib.util.spec_from_file_location("forum_fixture_boards", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def big_board(mb, topics: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """A phpBB board of ``topics`` topics, 1-3 pages of 10 posts each, seeded."""
    rng = random.Random(seed)
    all_topics = []
    post_id = 1000
    for number in range(topics):
        posts = []
        for _ in range(rng.randint(3, 30)):
            post_id += 1
            when = mb.NOW - dt.timedelta(minutes=rng.randint(60, 60 * 24 * 90))
            lines = [sentence(rng) for _ in range(rng.randint(1, 3))]
            posts.append(mb.Post(post_id, f"user{rng.randint(1, 400)}", when, lines))
        posts.sort(key=lambda p: p.when)
        title = f"Temat {number}: {sentence(rng)[:40]}"
        all_topics.append(
            mb.Topic(100 + number, f"t{number}", title, posts, views=rng.randint(1, 9999))
        )
    all_topics.sort(key=lambda t: t.posts[-1].when, reverse=True)
    pages = [all_topics[i : i + 25] for i in range(0, len(all_topics), 25)]
    return mb.Board(key="phpbb", source_type="phpbb", name="Forum Graczy",
                    tz=mb.ZoneInfo("Europe/Warsaw"), per_page=10, list_pages=pages,
                    list_size=25)  # fmt: skip


BARE_SPIDER = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

urls = json.load(open(sys.argv[1]))
settings = json.loads(sys.argv[2])

class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for url in urls:
            yield scrapy.Request(url, callback=self.parse)
    def parse(self, response):
        return None

process = CrawlerProcess({**settings, "ROBOTSTXT_OBEY": True, "USER_AGENT": "bench"})
process.crawl(Bare)
process.start()
"""


def elapsed_of(log: str) -> float:
    found = re.findall(r"'elapsed_time_seconds': ([0-9.]+)", log)
    if not found:
        raise SystemExit("no Scrapy stats in the log:\n" + log[-2000:])
    return max(float(value) for value in found)


def requests_of(log: str) -> int:
    found = re.findall(r"'downloader/response_count': (\d+)", log)
    return sum(int(value) for value in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=300)
    args = parser.parse_args()
    mb = load_make_boards()
    board = big_board(mb, args.topics)
    tmp = Path(tempfile.mkdtemp(prefix="bench-forum-"))
    routes = mb.write_board(board, tmp)
    server = LocalServer(tmp).start()
    date = mb.format_datetime(mb.NOW, usegmt=True)
    for url, page in routes.items():
        body = (tmp / page["file"]).read_bytes()
        server.routes[url] = Route(
            body=body, headers={"Content-Type": page["content_type"], "Date": date}
        )
    urls = [server.url(url) for url in routes]
    topic_pages = [url for url in routes if "viewtopic" in url]
    posts = sum(len(t.posts) for t in board.topics)
    print(f"board: {args.topics} topics, {posts} posts, {len(urls)} pages "
          f"({len(board.list_pages)} topic-list pages); server {server.base_url}")  # fmt: skip

    (tmp / "urls.json").write_text(json.dumps(urls))
    bare = subprocess.run(
        [sys.executable, "-c", BARE_SPIDER, str(tmp / "urls.json"), json.dumps(SETTINGS)],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    bare_s = elapsed_of(bare.stderr)
    bare_rate = requests_of(bare.stderr) / bare_s

    import yaml

    config = tmp / "sources.yml"
    source = {"name": "bench", "type": "phpbb", "url": server.url(mb.PhpBB.list_url(board, 0))}
    config.write_text(yaml.safe_dump({"sources": [source], "settings": SETTINGS}), "utf-8")
    db = tmp / "bench.db"
    runs = []
    for label in ("first crawl", "second crawl (unchanged)"):
        server.clear_log()
        started = time.monotonic()
        command = ["crawl", "-c", str(config), "--db", str(db), "-v"]
        result = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", *command],
            capture_output=True, text=True, cwd=REPO, timeout=900,
        )  # fmt: skip
        wall = time.monotonic() - started
        if result.returncode != 0:
            raise SystemExit(result.stdout + result.stderr[-3000:])
        fetched = len([r for r in server.requests if r.path != "/robots.txt"])
        runs.append(
            (
                label,
                fetched,
                elapsed_of(result.stderr),
                wall,
                result.stdout.strip().splitlines()[-1],
            )
        )
    server.stop()

    print(f"\n{'run':34} {'pages':>6} {'crawl s':>8} {'pages/s':>8} {'wall s':>7}")
    print(f"{'bare Scrapy fetch':34} {requests_of(bare.stderr):6d} {bare_s:8.2f} {bare_rate:8.1f}")
    for label, fetched, seconds, wall, _ in runs:
        rate = fetched / seconds
        print(f"{'trendscout ' + label:34} {fetched:6d} {seconds:8.2f} {rate:8.1f} {wall:7.1f}")
    first = runs[0]
    print(f"\nend to end / bare fetch rate: {first[1] / first[2] / bare_rate:.2f}")
    print(f"first crawl summary:  {runs[0][4]}")
    print(f"second crawl summary: {runs[1][4]}")

    # Extraction alone, same pages, in this process.
    from crawler.extract import extract_article
    from crawler.spiders.forum import extract_topic_page

    pages = [((tmp / routes[u]["file"]).read_text("utf-8"), server.url(u)) for u in topic_pages]
    started = time.perf_counter()
    found = sum(
        len(extract_topic_page(text, url, "phpbb", now=mb.NOW).posts) for text, url in pages
    )
    preset_ms = (time.perf_counter() - started) * 1000 / len(pages)
    started = time.perf_counter()
    for text, url in pages:
        extract_article(text, url)
    trafilatura_ms = (time.perf_counter() - started) * 1000 / len(pages)
    print(f"\nextraction per topic page ({len(pages)} pages, {found} posts found of {posts}):")
    print(f"  phpBB preset:                 {preset_ms:6.2f} ms  (every post, author, date)")
    print(f"  trafilatura (extract_article): {trafilatura_ms:6.2f} ms  (one main text per page)")


if __name__ == "__main__":
    main()
