"""The Discourse spider, run for real against a forum's JSON API served on 127.0.0.1.

tests/fixtures/discourse/ mimics Discourse's public API (shapes as in the real
/latest.json, /t/{id}.json and /t/{id}/posts.json answers): two pages of latest topics
linked by ``more_topics_url``, a pinned welcome topic, a Polish topic of 25 posts (20 in
/t/1001.json, 5 more through posts.json, one a moderator action), a Vietnamese topic with
a quote, and Chinese and old Polish topics on the second page.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from pipelines.localserver import LocalServer, Route
from tests.conftest import FIXTURES
from tests.test_spiders_sitemap import crawl, crawl_and_kill, served, stored_posts, write_sources

JSON = {"Content-Type": "application/json; charset=utf-8"}
PAGE_2 = "/latest.json?no_definitions=true&page=1"


def make_forum(tmp_path: Path, serve_dir: Callable[..., LocalServer]) -> LocalServer:
    root = tmp_path / "forum"
    shutil.copytree(FIXTURES / "discourse", root)
    server = serve_dir(root)
    serve_page_2(server)
    return server


def serve_page_2(server: LocalServer) -> None:
    body = (server.root / "latest-page1.json").read_bytes()
    server.routes[PAGE_2] = Route(body=body, headers=JSON)


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def stored(tmp_path: Path) -> dict[str, dict[str, Any]]:
    db = sqlite_utils.Database(tmp_path / "t.db")
    return {row["url"].split("/t/", 1)[1]: row for row in db["posts"].rows}


def test_every_post_of_every_topic_is_stored_with_thread_author_and_utc_time(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    forum = make_forum(tmp_path, serve_dir)
    config = write_sources(
        tmp_path / "sources.yml", {"name": "forum", "type": "discourse", "url": forum.url("/")}
    )
    result = crawl(tmp_path, config, forum)
    assert result.returncode == 0, result.stderr
    posts = stored(tmp_path)
    # 1 welcome + 24 of 25 in topic 1001 (one is a moderator action) + 3 + 2 + 2.
    assert len(posts) == 32
    topic_1001 = {k: v for k, v in posts.items() if k.startswith("tryb-kooperacji-co-sadzicie/")}
    assert len(topic_1001) == 24
    assert "tryb-kooperacji-co-sadzicie/1001/25" in topic_1001  # beyond the first 20
    assert "tryb-kooperacji-co-sadzicie/1001/12" not in topic_1001  # "pinned.disabled"
    assert {p["thread_url"] for p in topic_1001.values()} == {
        forum.url("/t/tryb-kooperacji-co-sadzicie/1001")
    }
    first = topic_1001["tryb-kooperacji-co-sadzicie/1001/1"]
    assert first["title"] == "Tryb kooperacji – co sądzicie?"
    assert first["author"] == "kasia_gra"
    assert first["published_at"] == "2024-06-01T18:00:00Z"
    # The image's file name and size are not text anyone wrote.
    assert first["text"] == (
        "Od tygodnia gramy w nowy tryb kooperacji. Jak wrażenia? Mnie najbardziej cieszy, "
        "że mogę wreszcie grać z dziećmi bez kłótni o ranking."
    )
    reply = topic_1001["tryb-kooperacji-co-sadzicie/1001/3"]
    assert reply["title"] is None  # replies carry no title; their thread_url links them
    # A quoted post is the quoted author's words, not the replier's.
    assert reply["text"] == (
        "My daughter and I play co-op every Sunday now, she picks the healer every time."
    )
    with_preview = topic_1001["tryb-kooperacji-co-sadzicie/1001/6"]
    assert with_preview["text"].endswith("Więcej tutaj:")  # the link preview is dropped

    vietnamese = posts["ban-tieng-viet-da-co/1002/2"]
    assert vietnamese["author"] == "minh.tran"
    assert vietnamese["text"] == (
        "Dịch rất tự nhiên, em gái tôi mười hai tuổi cũng hiểu hết cốt truyện.\n\n"
        "Lồng tiếng hay\n\nGiá gói vật phẩm hơi cao"
    )
    assert posts["topic/1003/2"]["published_at"] == "2024-05-30T06:20:00Z"
    assert posts["topic/1003/1"]["title"] == "桌游版值得买吗？"

    # Unchanged forum: one look at /latest.json, every topic on it unchanged, stop.
    result = crawl(tmp_path, config, forum)
    assert result.returncode == 0, result.stderr
    assert served(forum) == [("/robots.txt", 200), ("/latest.json", 200)]
    assert len(stored(tmp_path)) == 32

    # A 26th post in topic 1001: its topic and only the new post id are fetched.
    last_post = json.loads((forum.root / "t/1001/posts.json").read_text())["post_stream"]
    new_post = {
        **last_post["posts"][-1],
        "id": 10026,
        "post_number": 26,
        "username": "xiaoyu",
        "created_at": "2024-06-12T20:00:00.000Z",
        "cooked": "<p>我也在玩合作模式！</p>",
    }

    def add_to_topic(topic: Any) -> None:
        topic["post_stream"]["stream"].append(10026)
        topic["posts_count"] = 26
        topic["last_posted_at"] = "2024-06-12T20:00:00.000Z"

    def add_to_listing(listing: Any) -> None:
        for topic in listing["topic_list"]["topics"]:
            if topic["id"] == 1001:
                topic.update(posts_count=26, last_posted_at="2024-06-12T20:00:00.000Z")

    edit_json(forum.root / "t/1001.json", add_to_topic)
    edit_json(forum.root / "latest.json", add_to_listing)
    edit_json(forum.root / "t/1001/posts.json", lambda d: d["post_stream"].update(posts=[new_post]))
    result = crawl(tmp_path, config, forum)
    assert result.returncode == 0, result.stderr
    # Page 2 is looked at because page 1 had a change; all of it is unchanged: stop.
    assert sorted(path for path, _ in served(forum)) == [
        "/latest.json",
        PAGE_2,
        "/robots.txt",
        "/t/1001.json",
        "/t/1001/posts.json?post_ids%5B%5D=10026",
    ]
    assert "1 new, 0 updated, 19 unchanged" in result.stdout  # the first 20, less an action
    assert stored(tmp_path)["tryb-kooperacji-co-sadzicie/1001/26"]["author"] == "xiaoyu"


def test_malformed_json_and_server_errors_are_recorded_and_the_rest_goes_on(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    forum = make_forum(tmp_path, serve_dir)
    # Both faults are on the second page of the listing.
    truncated = (forum.root / "t/1003.json").read_bytes()[:300]
    forum.routes["/t/1003.json"] = Route(body=truncated, headers=JSON)
    forum.routes["/t/1004.json"] = Route(status=500, body=b"Internal Server Error")
    forum.routes["/rate-limited/latest.json"] = Route(
        body=b"<!DOCTYPE html><html><body>Slow down, too many requests</body></html>",
        headers={"Content-Type": "text/html"},
    )
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "forum", "type": "discourse", "url": forum.url("/")},
        {"name": "limited", "type": "discourse", "url": forum.url("/rate-limited/")},
    )
    result = crawl(tmp_path, config, forum)
    assert result.returncode == 1  # "limited" failed entirely
    assert "1 source(s) failed: limited" in result.stderr
    db = sqlite_utils.Database(tmp_path / "t.db")
    errors = sorted(
        (row["url"].split("/", 3)[3], row["error"], row["message"])
        for row in db["crawl_errors"].rows
    )
    assert [(url, kind) for url, kind, _ in errors] == [
        ("rate-limited/latest.json", "malformed_json"),
        ("t/1003.json", "malformed_json"),
        ("t/1004.json", "http_500"),
    ]
    assert errors[0][2].startswith("an HTML page")
    assert errors[1][2].startswith("not JSON")
    topics = {url.split("/")[0] for url in stored(tmp_path)}
    assert topics == {
        "witamy-na-forum-zasady",
        "tryb-kooperacji-co-sadzicie",
        "ban-tieng-viet-da-co",
    }

    # Fixed. Page 1 is all unchanged, but the last run did not finish cleanly, so the
    # listing is paged on and the two failed topics are fetched; nothing else is.
    forum.routes.clear()
    serve_page_2(forum)
    result = crawl(tmp_path, config, forum)
    topic_reads = sorted(path for path, _ in served(forum) if path.startswith("/t/"))
    assert topic_reads == ["/t/1003.json", "/t/1004.json"]
    assert len(stored(tmp_path)) == 32

    # And once a run finished cleanly, an unchanged forum costs one listing page again.
    result = crawl(tmp_path, config, forum)
    assert [path for path, _ in served(forum) if "latest" in path] == [
        "/latest.json",
        "/rate-limited/latest.json",
    ]


def test_category_and_since_limit_the_topics_fetched(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    forum = make_forum(tmp_path, serve_dir)
    forum.routes["/c/wsparcie/4/l/latest.json"] = Route(
        body=(forum.root / "latest.json").read_bytes(), headers=JSON
    )
    source = {"name": "forum", "type": "discourse", "url": forum.url("/")}
    config = write_sources(
        tmp_path / "sources.yml", {**source, "category": "wsparcie/4", "since": "2024-06-05"}
    )
    result = crawl(tmp_path, config, forum)
    assert result.returncode == 0, result.stderr
    paths = [path for path, _ in served(forum)]
    assert paths[1] == "/c/wsparcie/4/l/latest.json"
    # The pinned 2023 topic is passed over without ending the listing; page 2 starts with
    # a topic last active before `since`, so paging stops there.
    assert "/t/7.json" not in paths and "/t/1004.json" not in paths
    assert {p["published_at"] >= "2024-06-05" for p in stored(tmp_path).values()} == {True}
    assert {url.split("/")[1] for url in stored(tmp_path)} == {"1001", "1002"}


def synthetic_forum(server: LocalServer, topics: int, per_page: int) -> None:
    """A forum of ``topics`` three-post topics, listed ``per_page`` a page, answered slowly."""
    template = json.loads((FIXTURES / "discourse/t/1002.json").read_text("utf-8"))
    listing = json.loads((FIXTURES / "discourse/latest.json").read_text("utf-8"))
    row = listing["topic_list"]["topics"][1]
    rows = []
    for n in range(topics):
        topic_id = 5000 + n
        last = f"2024-06-{1 + n % 28:02d}T{n % 24:02d}:00:00.000Z"
        topic = json.loads(json.dumps(template))
        topic.update(id=topic_id, slug=f"temat-{n}", title=f"Temat {n}", last_posted_at=last)
        for post in topic["post_stream"]["posts"]:
            post.update(
                id=topic_id * 10 + post["post_number"],
                topic_id=topic_id,
                cooked=f"<p>Post {post['post_number']} w temacie {n}.</p>",
            )
        topic["post_stream"]["stream"] = [p["id"] for p in topic["post_stream"]["posts"]]
        body = json.dumps(topic).encode()
        server.routes[f"/t/{topic_id}.json"] = Route(body=body, headers=JSON, delay=0.05)
        rows.append({**row, "id": topic_id, "slug": f"temat-{n}", "last_posted_at": last})
    rows.sort(key=lambda r: r["last_posted_at"], reverse=True)
    for page in range(0, topics // per_page):
        chunk = rows[page * per_page : (page + 1) * per_page]
        more = f"/latest?page={page + 1}" if (page + 1) * per_page < topics else None
        body = {
            **listing,
            "topic_list": {**listing["topic_list"], "topics": chunk, "more_topics_url": more},
        }
        if page:
            server.routes[f"/latest.json?page={page}"] = Route(
                body=json.dumps(body).encode(), headers=JSON
            )
        else:  # a file: a route for the bare path would answer every page's request
            (server.root / "latest.json").write_text(json.dumps(body), "utf-8")


def test_a_killed_discourse_crawl_resumes_without_gaps(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    (tmp_path / "empty").mkdir()
    forum = serve_dir(tmp_path / "empty")
    synthetic_forum(forum, topics=40, per_page=10)
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "forum", "type": "discourse", "url": forum.url("/")},
        settings={"TRENDSCOUT_BATCH_SIZE": 5, "CONCURRENT_REQUESTS_PER_DOMAIN": 2},
    )
    reference = tmp_path / "reference.db"
    assert crawl(tmp_path, config).returncode == 0
    shutil.move(tmp_path / "t.db", reference)
    expected = stored_posts(reference)
    assert len(expected) == 40 * 3

    killed = tmp_path / "t.db"
    crawl_and_kill(config, killed, posts_at_least=45)
    assert 0 < len(stored_posts(killed)) < 120
    result = crawl(tmp_path, config, forum)
    assert result.returncode == 0, result.stderr
    assert stored_posts(killed) == expected
    # The resumed run paged the whole listing (the killed run had not finished) but read
    # only topics not stored yet.
    assert sum(path.startswith("/t/") for path, _ in served(forum)) < 40 - 10
