"""The feed spider, run for real against feeds served on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlite_utils

from pipelines.localserver import LocalServer, Route
from tests.conftest import FIXTURES, run_trendscout

FAST = "settings:\n  DOWNLOAD_DELAY: 0\n  AUTOTHROTTLE_ENABLED: false\n"


def write_sources(path: Path, server: LocalServer, feeds: dict[str, str], extra: str = "") -> Path:
    lines = ["sources:"]
    for name, file in feeds.items():
        lines += [f"  - name: {name}", "    type: feed", f"    url: {server.url(file)}"]
    path.write_text(
        "\n".join(lines) + "\n" + FAST + "contact: https://example.org/our-crawler\n" + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def site(tmp_path: Path, serve_dir) -> LocalServer:
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "feeds", root)
    return serve_dir(root)


def crawl(tmp_path: Path, config: Path, *extra: str):
    return run_trendscout("crawl", "-c", str(config), "--db", str(tmp_path / "t.db"), *extra)


FEEDS = {"pl blog": "blog_rss2.xml", "vn news": "news_atom.xml", "forum": "forum_rdf.xml"}


def test_rss_atom_and_rdf_posts_are_stored_clean(tmp_path: Path, site: LocalServer) -> None:
    config = write_sources(tmp_path / "sources.yml", site, FEEDS)
    result = crawl(tmp_path, config)
    assert result.returncode == 0, result.stderr
    assert "crawl run 1: ok; 3 requests, 6 new, 0 updated, 0 unchanged, 0 errors" in result.stdout
    db = sqlite_utils.Database(tmp_path / "t.db")
    posts = {row["title"]: row for row in db["posts"].rows}
    assert len(posts) == 6

    season = posts["Starfall Arena: nowy sezon"]
    # Relative link resolved against the feed URL, tracking parameters dropped.
    assert season["url"] == site.url("2026/11/starfall-sezon")
    # Full content preferred over the summary; scripts dropped; entities decoded.
    assert "Jako dziewczyna, która gra od lat" in season["text"]
    assert "Tryb kooperacji jest świetny & szybki." in season["text"]
    assert "steal()" not in season["text"] and "Krótko" not in season["text"]
    assert season["author"] == "Anna Kowalska"
    assert season["published_at"] == "2026-11-16T09:30:00Z"  # +01:00 normalised to UTC
    assert season["date_estimated"] == 0

    undated = posts["Bez daty"]
    assert undated["date_estimated"] == 1
    assert undated["published_at"] == undated["first_seen_at"]

    # An escaped <script> in a description is text, kept as text.
    assert "<script>alert(1)</script>" in posts["Skrypt w treści"]["text"]

    vn = posts["Đấu Trường Tinh Tú cập nhật"]
    assert vn["url"] == "http://news.example.vn/bai-viet/1"  # xml:base wins for Atom
    assert vn["text"] == "Là con gái, tôi rất thích chế độ chơi mới."
    assert vn["published_at"] == "2026-11-18T09:45:00Z"
    assert vn["author"] == "Nguyễn Thị Lan"
    assert posts["游戏新闻"]["published_at"] == "2026-11-19T01:00:00Z"  # updated when no published

    forum = posts["My daughter plays Iron Legion"]
    assert forum["author"] == "dad_of_two"
    assert forum["published_at"] == "2026-11-20T12:00:00Z"

    sources = {row["name"]: row for row in db["sources"].rows}
    assert set(sources) == set(FEEDS)
    assert all(row["last_crawled_at"] for row in sources.values())
    # Full-text search over title and text.
    hits = list(db["posts"].search("kooperacji"))
    assert [h["title"] for h in hits] == ["Starfall Arena: nowy sezon"]


def test_recrawl_sends_validators_gets_304_and_adds_nothing(
    tmp_path: Path, site: LocalServer
) -> None:
    config = write_sources(tmp_path / "sources.yml", site, FEEDS)
    assert crawl(tmp_path, config).returncode == 0
    site.clear_log()
    second = crawl(tmp_path, config)
    assert second.returncode == 0, second.stderr
    assert "0 new, 0 updated, 0 unchanged, 0 errors" in second.stdout
    feed_requests = [r for r in site.requests if r.path != "/robots.txt"]
    assert len(feed_requests) == 3
    assert all(r.status == 304 for r in feed_requests)
    assert all("If-None-Match" in r.headers for r in feed_requests)
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert db["posts"].count == 6
    stats = list(db.query("select status from crawl_source_stats where run_id = 2"))
    assert {s["status"] for s in stats} == {"not_modified"}


def test_changed_post_is_updated_in_place(tmp_path: Path, site: LocalServer) -> None:
    config = write_sources(tmp_path / "sources.yml", site, FEEDS)
    assert crawl(tmp_path, config).returncode == 0
    db = sqlite_utils.Database(tmp_path / "t.db")
    before = {row["id"]: row for row in db["posts"].rows}

    feed = site.root / "blog_rss2.xml"
    feed.write_text(
        feed.read_text(encoding="utf-8").replace("Tryb kooperacji", "Tryb rankingowy"),
        encoding="utf-8",
    )
    result = crawl(tmp_path, config)
    assert result.returncode == 0, result.stderr
    assert "0 new, 1 updated, 2 unchanged" in result.stdout
    after = {row["id"]: row for row in db["posts"].rows}
    assert set(after) == set(before)
    changed = [pid for pid in after if after[pid]["text"] != before[pid]["text"]]
    assert len(changed) == 1
    row = after[changed[0]]
    assert "Tryb rankingowy" in row["text"]
    assert row["first_seen_at"] == before[changed[0]]["first_seen_at"]
    # The undated post keeps its first-seen date across crawls.
    undated = [r for r in after.values() if r["date_estimated"]]
    assert undated[0]["published_at"] == before[undated[0]["id"]]["published_at"]


def test_robots_txt_is_obeyed_and_user_agent_names_contact(
    tmp_path: Path, site: LocalServer
) -> None:
    (site.root / "private").mkdir()
    shutil.copy(site.root / "forum_rdf.xml", site.root / "private" / "feed.xml")
    config = write_sources(
        tmp_path / "sources.yml", site, {"open": "forum_rdf.xml", "closed": "private/feed.xml"}
    )
    result = crawl(tmp_path, config)
    assert result.returncode == 1  # the closed source failed entirely
    assert "closed" in result.stderr
    assert not site.requests_for("/private/feed.xml")
    agents = {r.headers.get("User-Agent") for r in site.requests}
    assert agents == {"trendscout/0.1.0 (+https://example.org/our-crawler)"}
    db = sqlite_utils.Database(tmp_path / "t.db")
    errors = list(db["crawl_errors"].rows)
    assert [(e["error"], e["url"]) for e in errors] == [
        ("robots_disallowed", site.url("private/feed.xml"))
    ]
    assert db["posts"].count == 1


def test_unreadable_and_missing_feeds_are_recorded_and_others_still_run(
    tmp_path: Path, site: LocalServer
) -> None:
    (site.root / "page.html").write_text(
        "<!doctype html><html><body><h1>Parked domain</h1></body></html>", encoding="utf-8"
    )
    site.routes["/broken.xml"] = Route(status=500, body=b"oops")
    config = write_sources(
        tmp_path / "sources.yml",
        site,
        {"good": "news_atom.xml", "html": "page.html", "gone": "missing.xml", "err": "broken.xml"},
    )
    result = crawl(tmp_path, config)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "3 source(s) failed" in result.stderr
    db = sqlite_utils.Database(tmp_path / "t.db")
    kinds = {
        row["name"]: row["error"]
        for row in db.query(
            "select s.name, e.error from crawl_errors e join sources s on s.id = e.source_id"
        )
    }
    assert kinds == {"html": "unreadable_feed", "gone": "http_404", "err": "http_500"}
    assert db["posts"].count == 2
    run = db["crawl_runs"].get(1)
    assert run["status"] == "partial" and run["errors"] == 3 and run["finished_at"]
    # 500 is retried with backoff before it is recorded.
    assert len(site.requests_for("/broken.xml")) == 3


def test_only_one_source_can_be_crawled(tmp_path: Path, site: LocalServer) -> None:
    config = write_sources(tmp_path / "sources.yml", site, FEEDS)
    result = crawl(tmp_path, config, "--source", "forum")
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert db["posts"].count == 1
    unknown = crawl(tmp_path, config, "--source", "nope")
    assert unknown.returncode == 2 and "no source named 'nope'" in unknown.stderr


def test_sources_command_lists_last_crawl(tmp_path: Path, site: LocalServer) -> None:
    config = write_sources(tmp_path / "sources.yml", site, FEEDS)
    db = str(tmp_path / "t.db")
    before = run_trendscout("sources", "-c", str(config), "--db", db)
    assert before.returncode == 0
    assert before.stdout.count("never") == 3
    crawl(tmp_path, config, "--source", "forum")
    after = run_trendscout("sources", "-c", str(config), "--db", db)
    line = next(li for li in after.stdout.splitlines() if li.startswith("forum"))
    assert "never" not in line and " 1 " in line
    assert after.stdout.count("never") == 2


def test_scrapy_crawl_works_from_the_repo_root(tmp_path: Path, site: LocalServer) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO

    config = write_sources(tmp_path / "sources.yml", site, {"forum": "forum_rdf.xml"})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "feed",
            "-a",
            f"config={config}",
            "-a",
            f"db={tmp_path / 's.db'}",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(tmp_path / "s.db")
    assert db["posts"].count == 1
    run = db["crawl_runs"].get(1)
    assert run["status"] == "ok" and run["posts_new"] == 1
