"""The sitemap spider and feed autodiscovery, run for real against a blog on 127.0.0.1.

The fixture blog (tests/fixtures/sitemap/) has a robots.txt with a Sitemap line, a
sitemap index, a gzip news sitemap, WordPress-like pages in Polish, Vietnamese, Chinese
and English with menus, cookie banners, related links and footers, a page robots.txt
forbids, and a home page announcing two feeds.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml

from pipelines.config import ConfigError, parse_config
from pipelines.localserver import LocalServer, Route
from tests.conftest import FIXTURES, REPO, run_trendscout
from tests.test_extraction import corpus_pages, token_scores

SITE = FIXTURES / "sitemap"
URLSET = (
    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
)
# No politeness delays against our own server; failures are not retried (faster tests).
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0}


def write_sources(
    path: Path, *sources: dict[str, Any], settings: dict[str, Any] | None = None
) -> Path:
    """A sources.yml with these sources and settings for fast local crawls."""
    config = {
        "sources": list(sources),
        "settings": {**FAST, **(settings or {})},
        "contact": "https://example.org/bot",
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def crawl(tmp_path: Path, config: Path, server: LocalServer | None = None, *args: str) -> Any:
    """Run ``trendscout crawl`` in a child process; clears the server's request log first."""
    if server is not None:
        server.clear_log()
    return run_trendscout("crawl", "-c", str(config), "--db", str(tmp_path / "t.db"), *args)


def served(server: LocalServer) -> list[tuple[str, int]]:
    """(path, status) of every request the server answered, in order of arrival."""
    return [(r.path, r.status) for r in server.requests]


def make_site(tmp_path: Path, serve_dir: Callable[..., LocalServer]) -> LocalServer:
    """The fixture blog served from a copy, with real URLs in its sitemaps and one gzipped."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    server = serve_dir(root, robots_txt=(SITE / "robots.txt").read_text(encoding="utf-8"))
    for sitemap in root.glob("*.xml"):
        sitemap.write_text(sitemap.read_text("utf-8").replace("__BASE__", server.base_url), "utf-8")
    news = root / "news-sitemap.xml"
    (root / "news-sitemap.xml.gz").write_bytes(gzip.compress(news.read_bytes(), mtime=0))
    news.unlink()
    return server


def posts_by_path(tmp_path: Path) -> dict[str, dict[str, Any]]:
    db = sqlite_utils.Database(tmp_path / "t.db")
    return {re.sub(r"^https?://[^/]+", "", row["url"]): row for row in db["posts"].rows}


def errors(tmp_path: Path) -> list[tuple[str, str]]:
    db = sqlite_utils.Database(tmp_path / "t.db")
    return sorted(
        (re.sub(r"^https?://[^/]+", "", r["url"]), r["error"]) for r in db["crawl_errors"].rows
    )


BLOG_POSTS = {
    "/blog/2024/05/nowa-gra-planszowa/": ("Anna Kowalska", "2024-05-14T07:30:00Z"),
    "/blog/2024/05/tro-choi-moi/": ("Nguyễn Thu Hà", "2024-05-20T07:05:00Z"),
    "/blog/2024/06/xin-youxi/": ("王小明", "2024-06-03T00:00:00Z"),
    "/blog/2024/06/board-game-night/": ("Sarah Lee", "2024-06-10T18:45:00Z"),
    "/blog/2023/11/stary-wpis/": ("Piotr Nowak", "2023-11-20T11:00:00Z"),
    "/news/2024/06/starfall-arena-launch/": ("Tom Baker", "2024-06-12T11:00:00Z"),
}


def test_blog_is_crawled_through_robots_txt_sitemap_index_and_gzip_sitemap(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    site = make_site(tmp_path, serve_dir)
    config = write_sources(
        tmp_path / "sources.yml",
        {
            "name": "blog",
            "type": "sitemap",
            "url": site.url("/"),
            "follow": ["/blog/", "/news/", "/private/"],
        },
    )
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr
    posts = posts_by_path(tmp_path)
    # /about/ is not followed; /private/ is listed but robots.txt forbids it.
    assert {path: (p["author"], p["published_at"]) for path, p in posts.items()} == BLOG_POSTS
    assert errors(tmp_path) == [("/private/draft/", "robots_disallowed")]
    assert ("/private/draft/", 200) not in served(site)

    polish = posts["/blog/2024/05/nowa-gra-planszowa/"]
    assert polish["title"] == "Starfall Arena w wersji planszowej podbija kawiarnie"
    assert polish["text"].startswith("W ostatnich tygodniach w warszawskich kawiarniach")
    assert "pierwszy nakład wyprzedał się" in polish["text"]
    for boilerplate in ("cookie", "Zobacz też", "Newsletter", "Strona główna", "prawa zastrzeżone"):
        assert boilerplate not in polish["text"]
    assert polish["date_estimated"] == 0
    chinese = posts["/blog/2024/06/xin-youxi/"]
    assert "首批一万套在电商平台上线不到三小时便全部售罄" in chinese["text"]
    assert "相关阅读" not in chinese["text"] and "版权所有" not in chinese["text"]
    # The sitemap listed the news page with utm_ parameters: stored without them.
    assert posts["/news/2024/06/starfall-arena-launch/"]["guid"] == site.url(
        "/news/2024/06/starfall-arena-launch/"
    )

    # Second run, nothing changed: robots.txt (Scrapy's check and ours) and a 304 for the
    # index; the sitemaps under it are listed with unchanged lastmod, so 3 requests in all.
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr
    assert served(site) == [("/robots.txt", 200), ("/robots.txt", 200), ("/sitemap_index.xml", 304)]
    assert "blog    not_modified" in result.stdout
    assert len(posts_by_path(tmp_path)) == 6

    # A post is edited: its sitemap lists a new lastmod, and only that page is fetched.
    page = site.root / "blog/2024/06/board-game-night/index.html"
    edited = page.read_text("utf-8").replace("an open question", "a settled question")
    page.write_text(edited, "utf-8")
    for sitemap in ("post-sitemap.xml", "sitemap_index.xml"):
        path = site.root / sitemap
        path.write_text(path.read_text("utf-8").replace("2024-06-10T18:45", "2024-06-11T09:00"))
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr
    pages = [path for path, _ in served(site) if not path.endswith((".txt", ".xml"))]
    assert pages == ["/blog/2024/06/board-game-night/"]
    assert ("/news-sitemap.xml.gz", 200) not in served(site)  # its lastmod did not change
    assert "1 updated, 0 unchanged" in result.stdout
    edited_post = posts_by_path(tmp_path)["/blog/2024/06/board-game-night/"]
    assert "a settled question" in edited_post["text"]


def test_failed_pages_and_broken_sitemaps_are_recorded_and_fetched_next_run(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    site = make_site(tmp_path, serve_dir)
    good_gzip = (site.root / "news-sitemap.xml.gz").read_bytes()
    (site.root / "news-sitemap.xml.gz").write_bytes(good_gzip[: len(good_gzip) // 2])
    site.routes["/blog/2024/05/tro-choi-moi/"] = Route(status=500, body=b"database error")
    (site.root / "page-sitemap.xml").write_text("<html><body>Not found</body></html>")
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "blog", "type": "sitemap", "url": site.url("/sitemap_index.xml")},
    )
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr  # partly failed, not failed entirely
    assert errors(tmp_path) == [
        ("/blog/2024/05/tro-choi-moi/", "http_500"),
        ("/news-sitemap.xml.gz", "unreadable_sitemap"),
        ("/page-sitemap.xml", "unreadable_sitemap"),
        ("/private/draft/", "robots_disallowed"),
    ]
    assert set(posts_by_path(tmp_path)) == set(BLOG_POSTS) - {
        "/blog/2024/05/tro-choi-moi/",
        "/news/2024/06/starfall-arena-launch/",
    }
    assert "blog    partial" in result.stdout

    # Fixed: the next run lists the sitemaps again and fetches exactly what is missing.
    del site.routes["/blog/2024/05/tro-choi-moi/"]
    (site.root / "news-sitemap.xml.gz").write_bytes(good_gzip)
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr
    pages = sorted(path for path, _ in served(site) if not path.endswith((".txt", ".xml", ".gz")))
    assert pages == ["/blog/2024/05/tro-choi-moi/", "/news/2024/06/starfall-arena-launch/"]
    assert set(posts_by_path(tmp_path)) == set(BLOG_POSTS)


def test_since_follow_and_max_pages_limit_what_is_fetched(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    site = make_site(tmp_path, serve_dir)
    config = write_sources(
        tmp_path / "sources.yml",
        {
            "name": "blog",
            "type": "sitemap",
            "url": site.url("/sitemap_index.xml"),
            "follow": "/blog/",
            "since": "2024-05-15",
            "max_pages": 2,
        },
    )
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr
    # Newest first, two per run; the page sitemap's lastmod is before `since`: not fetched.
    assert set(posts_by_path(tmp_path)) == {
        "/blog/2024/06/board-game-night/",
        "/blog/2024/06/xin-youxi/",
    }
    assert ("/page-sitemap.xml", 200) not in served(site)
    result = crawl(tmp_path, config, site)
    assert result.returncode == 0, result.stderr
    assert set(posts_by_path(tmp_path)) == {
        "/blog/2024/06/board-game-night/",
        "/blog/2024/06/xin-youxi/",
        "/blog/2024/05/tro-choi-moi/",  # the last one since 2024-05-15
    }


def test_home_page_given_as_a_feed_leads_to_the_feeds_it_announces(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    site = make_site(tmp_path, serve_dir)
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "plansza", "type": "feed", "url": site.url("/")},
        {"name": "about", "type": "feed", "url": site.url("/about/")},
    )
    result = crawl(tmp_path, config, site)
    db = sqlite_utils.Database(tmp_path / "t.db")
    posts = {row["title"]: row for row in db["posts"].rows}
    assert set(posts) == {
        "Starfall Arena w wersji planszowej podbija kawiarnie",
        "Podsumowanie sezonu 2023",
        "Komentarz do: Starfall Arena w wersji planszowej podbija kawiarnie",
    }
    comment = posts["Komentarz do: Starfall Arena w wersji planszowej podbija kawiarnie"]
    assert comment["author"] == "Kasia_gra" and comment["published_at"] == "2024-05-15T08:00:00Z"
    # A page that announces no feed is still an error, with a reason that says so.
    (error,) = db["crawl_errors"].rows
    assert error["error"] == "unreadable_feed" and "without feed links" in error["message"]
    assert result.returncode == 1 and "1 source(s) failed: about" in result.stderr

    # Next week: the home page answers 304, and the remembered feeds are asked for again.
    result = crawl(tmp_path, config, site)
    assert sorted(r for r in served(site) if r[0] != "/robots.txt") == [
        ("/", 304),
        ("/about/", 200),
        ("/comments/feed.atom", 304),
        ("/feed.xml", 304),
    ]
    assert db["posts"].count == 3


def test_real_corpus_pages_keep_their_gold_text_through_the_sitemap_spider(
    tmp_path: Path, serve_dir: Callable[..., LocalServer], shared_corpus: Path
) -> None:
    chosen = {
        "aeb_news_en_bbc_newsbeat_70cb2d5bca.html.gz",
        "aeb_blog_de_comwrap_57b4dafd18.html.gz",
        "aeb_news_ru_wday_3c6d3381ef.html.gz",
        "news_pl_dorzeczy_eurostat_bezrobocie.html",
        "news_pl_liberte_koncesjonowana_opozycja.html",
        "news_zh_xinhuanet_c_1125597921.html",
        "blog_mondediplo_turpitude_fr.html",
    }
    pages = [page for page in corpus_pages(shared_corpus) if page.name in chosen]
    assert len(pages) == len(chosen)
    root = tmp_path / "site"
    root.mkdir()
    server = serve_dir(root)
    urls = []
    for index, page in enumerate(pages):
        (root / f"page{index}.html").write_text(page.html, encoding="utf-8")
        urls.append(f"<url><loc>{server.url(f'/page{index}.html')}</loc></url>")
    (root / "sitemap.xml").write_text(URLSET.format("".join(urls)))
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "corpus", "type": "sitemap", "url": server.url("/sitemap.xml")},
    )
    result = crawl(tmp_path, config, server)
    assert result.returncode == 0, result.stderr
    stored = posts_by_path(tmp_path)
    for index, page in enumerate(pages):
        text = stored[f"/page{index}.html"]["text"]
        if page.gold_text:
            precision, recall = token_scores(text, page.gold_text)
            assert recall >= 0.95 and precision >= 0.9, (page.name, precision, recall)
        normal = " ".join(text.split())
        found = [s for s in page.with_snippets if " ".join(s.split()) in normal]
        assert len(found) >= len(page.with_snippets) - 1, (page.name, page.with_snippets)
        assert not [s for s in page.without_snippets if " ".join(s.split()) in normal]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {"type": "sitemap", "follow": "[unclosed"},
            "follow: '[unclosed' is not a valid regular expression",
        ),
        ({"type": "sitemap", "follow": [""]}, "follow: expected a URL pattern"),
        (
            {"type": "sitemap", "since": "last week"},
            "since: 'last week' is not a date; write it as YYYY-MM-DD",
        ),
        ({"type": "sitemap", "max_pages": 0}, "max_pages: expected a whole number from 1, found 0"),
        ({"type": "sitemap", "subreddit": "x"}, "subreddit: unknown key"),
        ({"type": "discourse", "category": "a b"}, "category: 'a b' is not a category"),
        ({"type": "reddit"}, "subreddit: missing or not a subreddit name"),
        ({"type": "reddit", "subreddit": "r/a"}, "'a' is not a subreddit name"),
        (
            {"type": "reddit", "subreddit": "boardgames", "comments": "yes"},
            "comments: expected true or false, found 'yes'",
        ),
        ({"type": "mastodon"}, "needs exactly one of 'hashtag: NAME' or 'account: USER'"),
        ({"type": "mastodon", "hashtag": "a", "account": "b"}, "needs exactly one of"),
        ({"type": "mastodon", "hashtag": "two words"}, "hashtag: 'two words' is not a hashtag"),
        ({"type": "mastodon", "account": "a@b@c"}, "'a@b@c' is not an account"),
    ],
)
def test_source_options_are_validated_with_one_clear_line(
    source: dict[str, Any], message: str
) -> None:
    entry = {"name": "x", "url": "https://example.com/", **source}
    with pytest.raises(ConfigError) as caught:
        parse_config({"sources": [entry]}, Path("sources.yml"))
    assert message in str(caught.value)
    assert str(caught.value).startswith("sources.yml: sources[0] (x)")


def test_valid_options_of_every_type_are_accepted() -> None:
    config = parse_config(
        {
            "sources": [
                {
                    "name": "a",
                    "type": "sitemap",
                    "url": "https://a.example/",
                    "follow": ["/blog/"],
                    "since": dt.date(2024, 1, 31),
                    "max_pages": 50,
                },
                {
                    "name": "b",
                    "type": "discourse",
                    "url": "https://b.example/",
                    "category": "feedback/2",
                    "since": "2024-01-31",
                },
                {
                    "name": "c",
                    "type": "reddit",
                    "url": "https://www.reddit.com",
                    "subreddit": "r/boardgames",
                    "comments": False,
                },
                {
                    "name": "d",
                    "type": "mastodon",
                    "url": "https://m.example",
                    "hashtag": "#StarfallArena",
                },
                {
                    "name": "e",
                    "type": "mastodon",
                    "url": "https://m.example",
                    "account": "@gamedev@other.example",
                },
            ]
        },
        Path("sources.yml"),
    )
    assert [s.type for s in config.sources] == ["sitemap", "discourse", "reddit", "mastodon"] + [
        "mastodon"
    ]


def test_a_bad_option_stops_the_crawl_with_one_line_and_exit_code_2(tmp_path: Path) -> None:
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "blog", "type": "sitemap", "url": "https://example.com/", "since": "soon"},
    )
    result = run_trendscout("crawl", "-c", str(config), "--db", str(tmp_path / "t.db"))
    assert result.returncode == 2
    assert "since: 'soon' is not a date" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def crawl_and_kill(config: Path, db: Path, posts_at_least: int) -> None:
    """Start ``trendscout crawl`` and SIGKILL it once ``db`` holds that many posts."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "crawl", "-c", str(config), "--db", str(db)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            with sqlite3.connect(db, timeout=1) as conn:
                if conn.execute("select count(*) from posts").fetchone()[0] >= posts_at_least:
                    break
        except sqlite3.OperationalError:
            continue  # not created yet, or being written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def stored_posts(db: Path) -> set[tuple[str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("select url, text, published_at from posts"))


def test_a_killed_sitemap_crawl_resumes_without_gaps_or_refetching_everything(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    root = tmp_path / "site"
    root.mkdir()
    server = serve_dir(root)
    pages = [p.read_text("utf-8") for p in sorted((SITE / "blog").rglob("index.html"))]
    for half in (0, 1):
        urls = []
        for i in range(half * 40, half * 40 + 40):
            html = pages[i % len(pages)].replace("</article>", f"<p>Wpis numer {i}.</p></article>")
            (root / f"p{i}.html").write_text(html, "utf-8")
            server.routes[f"/p{i}.html"] = Route(delay=0.05)  # the file, slowly
            urls.append(f"<url><loc>{server.url(f'/p{i}.html')}</loc></url>")
        (root / f"s{half}.xml").write_text(URLSET.format("".join(urls)), "utf-8")
    (root / "index.xml").write_text(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{server.url('/s0.xml')}</loc></sitemap>"
        f"<sitemap><loc>{server.url('/s1.xml')}</loc></sitemap></sitemapindex>",
        "utf-8",
    )
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "blog", "type": "sitemap", "url": server.url("/index.xml")},
        settings={"TRENDSCOUT_BATCH_SIZE": 5, "CONCURRENT_REQUESTS_PER_DOMAIN": 2},
    )
    reference = tmp_path / "reference.db"
    assert run_trendscout("crawl", "-c", str(config), "--db", str(reference)).returncode == 0
    expected = stored_posts(reference)
    assert len(expected) == 80

    killed = tmp_path / "killed.db"
    crawl_and_kill(config, killed, posts_at_least=20)
    assert 0 < len(stored_posts(killed)) < 80
    server.clear_log()
    result = run_trendscout("crawl", "-c", str(config), "--db", str(killed))
    assert result.returncode == 0, result.stderr
    assert stored_posts(killed) == expected
    refetched = [path for path, _ in served(server) if path.startswith("/p")]
    assert len(refetched) <= 80 - 20 + 5  # what was stored is not fetched again (±a batch)
