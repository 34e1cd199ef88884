"""Faults and bad input: recorded in crawl_errors with the URL and reason; the crawl goes on.

Also: a crawl killed at any moment (SIGKILL) resumes and ends with the same posts.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import sqlite_utils

from pipelines.localserver import LocalServer, Route
from tests.conftest import REPO, run_trendscout

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{name}</title><link>http://{name}.example/</link>
<description>d</description>{items}</channel></rss>"""
ITEM = """<item><title>{name} post {i}</title><link>http://{name}.example/p/{i}</link>
<author>a{i}@{name}.example (Author {i})</author>
<pubDate>Mon, {day:02d} Nov 2026 10:00:00 GMT</pubDate>
<description>Post number {i} of {name}: players discuss season {i} and the new {name} map {i}.
</description></item>"""


def make_feeds(root: Path, count: int, items: int) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    names = []
    for n in range(count):
        name = f"site{n}"
        body = "".join(ITEM.format(name=name, i=i, day=1 + i % 28) for i in range(items))
        (root / f"{name}.xml").write_text(FEED.format(name=name, items=body), encoding="utf-8")
        names.append(name)
    return names


def write_config(
    path: Path, server: LocalServer, entries: list[tuple[str, str, str]], settings: str = ""
) -> Path:
    lines = ["sources:"]
    for name, file, extra in entries:
        lines.append(f"  - {{name: {name}, type: feed, url: '{server.url(file)}'{extra}}}")
    lines.append("settings: {DOWNLOAD_DELAY: 0, AUTOTHROTTLE_ENABLED: false" + settings + "}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def errors_by_source(db_path: Path) -> dict[str, tuple[str, str]]:
    db = sqlite_utils.Database(db_path)
    return {
        r["name"]: (r["error"], r["url"])
        for r in db.query(
            "select s.name, e.error, e.url from crawl_errors e join sources s on s.id = e.source_id"
        )
    }


def test_timeouts_redirect_loops_and_huge_pages_are_recorded(tmp_path: Path, serve_dir) -> None:
    make_feeds(tmp_path / "site", 1, 3)
    server = serve_dir(tmp_path / "site")
    server.routes["/slow.xml"] = Route(delay=3.0, body=b"<rss/>")
    server.routes["/loop.xml"] = Route(status=302, headers={"Location": "/loop.xml"})
    server.routes["/huge.xml"] = Route(body=b"<rss>" + b"x" * (2 * 1024 * 1024) + b"</rss>")
    server.routes["/badjson.xml"] = Route(
        body=b"\xff\xfe\x00garbage{{{",
        headers={"Content-Type": "application/rss+xml; charset=utf-8"},
    )
    config = write_config(
        tmp_path / "sources.yml",
        server,
        [
            ("good", "site0.xml", ""),
            ("slow", "slow.xml", ", settings: {DOWNLOAD_TIMEOUT: 1, RETRY_TIMES: 0}"),
            ("loop", "loop.xml", ""),
            ("huge", "huge.xml", ", settings: {DOWNLOAD_MAXSIZE: 1048576}"),
            ("garbage", "badjson.xml", ""),
        ],
    )
    result = run_trendscout("crawl", "-c", str(config), "--db", str(tmp_path / "t.db"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = errors_by_source(tmp_path / "t.db")
    assert errors["slow"] == ("timeout", server.url("slow.xml"))
    assert errors["loop"][0] == "redirect_loop"
    assert errors["huge"][0] == "too_large"
    assert errors["garbage"][0] == "unreadable_feed"
    assert "good" not in errors
    assert len(server.requests_for("/slow.xml")) == 1  # RETRY_TIMES: 0 for that source
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert db["posts"].count == 3
    stats = {
        r["name"]: r["status"]
        for r in db.query(
            "select s.name, c.status from crawl_source_stats c join sources s on s.id = c.source_id"
        )
    }
    assert stats == {
        "good": "ok",
        "slow": "failed",
        "loop": "failed",
        "huge": "failed",
        "garbage": "failed",
    }


def test_429_retry_after_is_honoured(tmp_path: Path, serve_dir) -> None:
    make_feeds(tmp_path / "site", 1, 2)
    server = serve_dir(tmp_path / "site")
    server.routes["/site0.xml"] = Route(status=429, headers={"Retry-After": "2"}, times=1)
    config = write_config(tmp_path / "sources.yml", server, [("busy", "site0.xml", "")])
    result = run_trendscout("crawl", "-c", str(config), "--db", str(tmp_path / "t.db"))
    assert result.returncode == 0, result.stderr
    first, second = server.requests_for("/site0.xml")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.9
    assert sqlite_utils.Database(tmp_path / "t.db")["posts"].count == 2


def test_too_long_retry_after_is_recorded_not_waited_for(tmp_path: Path, serve_dir) -> None:
    make_feeds(tmp_path / "site", 1, 2)
    server = serve_dir(tmp_path / "site")
    server.routes["/site0.xml"] = Route(status=503, headers={"Retry-After": "3600"})
    config = write_config(tmp_path / "sources.yml", server, [("down", "site0.xml", "")])
    started = time.monotonic()
    result = run_trendscout("crawl", "-c", str(config), "--db", str(tmp_path / "t.db"))
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    assert errors_by_source(tmp_path / "t.db")["down"][0] == "http_503"
    assert len(server.requests_for("/site0.xml")) == 1


def posts_of(db_path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db_path) as conn:
        return set(conn.execute("select id, content_hash from posts").fetchall())


def test_sigkill_at_any_moment_then_resume_gives_the_same_posts(tmp_path: Path, serve_dir) -> None:
    names = make_feeds(tmp_path / "site", 24, 15)
    server = serve_dir(tmp_path / "site")
    for name in names:  # slow enough that the kill lands mid-crawl
        server.routes[f"/{name}.xml"] = Route(delay=0.25)
    entries = [(name, f"{name}.xml", "") for name in names]
    config = write_config(
        tmp_path / "sources.yml",
        server,
        entries,
        ", CONCURRENT_REQUESTS_PER_DOMAIN: 2, TRENDSCOUT_BATCH_SIZE: 20",
    )

    reference = tmp_path / "reference.db"
    assert run_trendscout("crawl", "-c", str(config), "--db", str(reference)).returncode == 0
    expected = posts_of(reference)
    assert len(expected) == 24 * 15

    killed = tmp_path / "killed.db"
    # Kill early, then again in the middle of the resumed run: each kill waits until that run
    # has started (its crawl_runs row) and stored posts of its own, however many the run
    # before managed to store.
    for runs, wait_for_posts in ((1, 1), (2, 150)):
        before = len(posts_of(killed)) if killed.exists() else 0
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "crawl",
                "-c",
                str(config),
                "--db",
                str(killed),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if killed.exists():
                try:
                    with sqlite3.connect(killed, timeout=1) as conn:
                        posts = conn.execute("select count(*) from posts").fetchone()[0]
                        started = conn.execute("select count(*) from crawl_runs").fetchone()[0]
                    if started >= runs and posts >= max(wait_for_posts, before + 1):
                        break
                except sqlite3.OperationalError:
                    continue
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert 0 < len(posts_of(killed)) < len(expected)

    resumed = run_trendscout("crawl", "-c", str(config), "--db", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    assert posts_of(killed) == expected
    db = sqlite_utils.Database(killed)
    statuses = [r["status"] for r in db["crawl_runs"].rows_where(order_by="id")]
    assert statuses == ["interrupted", "interrupted", "ok"]
    assert (
        db.execute("select count(*) from posts where duplicate_of is not null").fetchone()[0] == 0
    )
