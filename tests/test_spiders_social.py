"""The Reddit and Mastodon spiders, run for real against their JSON APIs on 127.0.0.1.

tests/fixtures/reddit/ mimics Reddit's public listings: two pages of r/boardgames/new.json
linked by ``after``, comment trees with nested replies, a removed comment, a "load more"
stub answered by /api/morechildren.json and a "continue this thread" stub.
tests/fixtures/mastodon/ mimics the Mastodon API: a hashtag timeline in two pages (the
``Link`` header pages it), an account lookup and an account's statuses with a boost.
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
from tests.test_spiders_sitemap import crawl, served, write_sources

JSON = {"Content-Type": "application/json; charset=utf-8"}

# -- Reddit ---------------------------------------------------------------------------------

NEW = "/r/boardgames/new.json?limit=100&raw_json=1"
NEW_PAGE_2 = NEW + "&after=t3_1d4kq03"
THREAD = "/r/boardgames/comments/1d4kq01/starfall_arena_board_game_with_my_8yo_-_/"


def make_reddit(tmp_path: Path, serve_dir: Callable[..., LocalServer]) -> LocalServer:
    root = tmp_path / "reddit"
    shutil.copytree(FIXTURES / "reddit", root)
    server = serve_dir(root)
    server.routes[NEW_PAGE_2] = Route(body=(root / "new_page2.json").read_bytes(), headers=JSON)
    return server


def rows(tmp_path: Path) -> dict[str, dict[str, Any]]:
    db = sqlite_utils.Database(tmp_path / "t.db")
    return {row["guid"]: row for row in db["posts"].rows}


def edit_json(path: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def test_subreddit_posts_and_flattened_comment_trees_are_stored(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    reddit = make_reddit(tmp_path, serve_dir)
    config = write_sources(
        tmp_path / "sources.yml",
        {
            "name": "r/boardgames",
            "type": "reddit",
            "url": reddit.url("/"),
            "subreddit": "boardgames",
        },
    )
    result = crawl(tmp_path, config, reddit, "--verbose")
    assert result.returncode == 0, result.stderr
    posts = rows(tmp_path)
    # 5 posts; 7 comments: 3 nested, 2 behind "load more"; the removed one is left out.
    assert len(posts) == 12
    assert "reddit:t1_l6a0004" not in posts

    question = posts["reddit:t3_1d4kq01"]
    assert question["url"] == reddit.url(THREAD)
    assert question["title"] == "Starfall Arena board game with my 8yo - worth it?"
    assert question["author"] == "meeple_mom"
    assert question["published_at"] == "2024-06-03T16:00:00Z"
    assert question["text"] == (
        "My daughter is 8 and loves the video game. Is the board game version too long for "
        "her?\n\nWe usually play Ticket to Ride together & she gets bored after 45 minutes."
    )
    thread = [p for p in posts.values() if p["thread_url"] == question["url"]]
    assert {p["author"] for p in thread} == {
        "tabletop_tom",
        "dad_of_two",
        "meeple_mom",
        "grandma_games",
        "teen_gamer",
    }
    deepest = posts["reddit:t1_l6a0003"]
    assert deepest["text"] == "Thanks! We'll try the short setup first."
    assert deepest["url"] == reddit.url(THREAD + "l6a0003/")
    assert deepest["title"] is None and deepest["published_at"] == "2024-06-03T18:06:40Z"
    assert posts["reddit:t1_l6a0006"]["author"] == "teen_gamer"  # from morechildren

    link_post = posts["reddit:t3_1d4kq02"]
    assert link_post["text"] == "https://news.example.com/starfall-expansion"
    assert "skipped a 'continue this thread' link" in result.stderr
    assert posts["reddit:t3_1d3vn04"]["text"].startswith("Cả nhà tôi chơi vào tối thứ bảy")
    assert posts["reddit:t3_1d3zh05"]["title"] == "星落竞技场桌游版开箱"

    # Unchanged: the first listing page, every post on it already seen: 1 request.
    result = crawl(tmp_path, config, reddit)
    assert result.returncode == 0, result.stderr
    assert served(reddit) == [("/robots.txt", 200), (NEW, 200)]
    assert len(rows(tmp_path)) == 12

    # A new comment: its post's num_comments changed, so only that thread is read.
    comment = json.loads((reddit.root / "comments/1d4kq01.json").read_text())[1]["data"]
    new_comment = json.loads(json.dumps(comment["children"][0]))
    new_comment["data"].update(
        id="l6a0009",
        name="t1_l6a0009",
        author="ojciec_gracz",
        replies="",
        body="Gramy od tygodnia z synem, polecam!",
        body_html="<p>Gramy od tygodnia z synem, polecam!</p>",
        permalink=THREAD + "l6a0009/",
        created_utc=1717500000.0,
    )

    def add_comment(thread: Any) -> None:
        thread[0]["data"]["children"][0]["data"]["num_comments"] = 7
        thread[1]["data"]["children"].append(new_comment)

    def count_comment(listing: Any) -> None:
        listing["data"]["children"][0]["data"]["num_comments"] = 7

    edit_json(reddit.root / "comments/1d4kq01.json", add_comment)
    edit_json(reddit.root / "r/boardgames/new.json", count_comment)
    result = crawl(tmp_path, config, reddit)
    assert result.returncode == 0, result.stderr
    paths = [path.split("?")[0] for path, _ in served(reddit)]
    assert paths == [
        "/robots.txt",
        "/r/boardgames/new.json",
        "/comments/1d4kq01.json",
        "/api/morechildren.json",
    ]
    added = rows(tmp_path)["reddit:t1_l6a0009"]
    assert added["author"] == "ojciec_gracz" and added["thread_url"] == question["url"]
    assert "crawl run 3: ok" in result.stdout and " 1 new," in result.stdout


def test_reddit_faults_are_recorded_and_what_they_hid_is_fetched_next_run(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    reddit = make_reddit(tmp_path, serve_dir)
    reddit.routes[NEW_PAGE_2] = Route(status=500, body=b"upstream timed out")
    reddit.routes["/comments/1d4kq02.json"] = Route(body=b'[{"kind": "Listing", "da', headers=JSON)
    config = write_sources(
        tmp_path / "sources.yml",
        {
            "name": "r/boardgames",
            "type": "reddit",
            "url": reddit.url("/"),
            "subreddit": "r/boardgames",
            "comments": True,
        },
    )
    result = crawl(tmp_path, config, reddit)
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(tmp_path / "t.db")
    assert sorted(
        (r["url"].split("?")[0].split("/", 3)[3], r["error"]) for r in db["crawl_errors"].rows
    ) == [
        ("comments/1d4kq02.json", "malformed_json"),
        ("r/boardgames/new.json", "http_500"),
    ]
    assert len(rows(tmp_path)) == 8  # page 1's posts and their comments but 1d4kq02's

    # Fixed: page 1 has nothing new, but the last run did not finish, so page 2 is read.
    reddit.routes.clear()
    reddit.routes[NEW_PAGE_2] = Route(
        body=(reddit.root / "new_page2.json").read_bytes(), headers=JSON
    )
    result = crawl(tmp_path, config, reddit)
    assert result.returncode == 0, result.stderr
    reads = sorted(path for path, _ in served(reddit) if path != "/robots.txt")
    assert reads == [
        "/comments/1d3vn04.json?raw_json=1",
        "/comments/1d4kq02.json?raw_json=1",
        NEW,
        NEW_PAGE_2,
    ]
    assert len(rows(tmp_path)) == 12


# -- Mastodon -------------------------------------------------------------------------------

TAG = "/api/v1/timelines/tag/starfallarena?limit=40"
TAG_PAGE_2 = TAG + "&max_id=112588000000000103"


def tag_page(server: LocalServer, name: str, next_max_id: str | None, newest: str) -> Route:
    """A timeline page as Mastodon answers it, with its ``Link`` header."""
    link = f'<{server.url(TAG)}&min_id={newest}>; rel="prev"'
    if next_max_id:
        link = f'<{server.url(TAG)}&max_id={next_max_id}>; rel="next", ' + link
    body = (FIXTURES / "mastodon" / name).read_bytes()
    return Route(body=body, headers={**JSON, "Link": link})


def make_mastodon(serve_dir: Callable[..., LocalServer]) -> LocalServer:
    server = serve_dir(FIXTURES / "mastodon")
    server.routes[TAG] = tag_page(
        server, "tag_page1.json", "112588000000000103", "112588000000000105"
    )
    server.routes[TAG_PAGE_2] = tag_page(
        server, "tag_page2.json", "112588000000000101", "112588000000000102"
    )
    server.routes[TAG + "&max_id=112588000000000101"] = Route(body=b"[]", headers=JSON)
    return server


def test_hashtag_timeline_is_paged_by_link_header_and_resumed_by_since_id(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    mastodon = make_mastodon(serve_dir)
    config = write_sources(
        tmp_path / "sources.yml",
        {
            "name": "#starfallarena",
            "type": "mastodon",
            "url": mastodon.url("/"),
            "hashtag": "#StarfallArena",
        },
    )
    mastodon.routes[TAG.replace("starfallarena", "StarfallArena")] = mastodon.routes[TAG]
    result = crawl(tmp_path, config, mastodon)
    assert result.returncode == 0, result.stderr
    posts = {row["author"]: row for row in rows(tmp_path).values()}
    # Four statuses with words; a photo without any is left out. Local accounts get the
    # instance name, so an author is the same whichever instance is read.
    assert set(posts) == {
        "ania_gra@mastodon.example",
        "lan@mastodon.vn.example",
        "wei@m.cn.example",
        "tom@fosstodon.example",
    }
    ania = posts["ania_gra@mastodon.example"]
    assert ania["text"] == (
        "Piątkowy wieczór z córką: #StarfallArena w trybie kooperacji. "
        "Pierwszy raz wygrałyśmy z ostatnim bossem! 🎉"
    )
    assert ania["published_at"] == "2024-06-12T19:05:11Z"
    assert ania["url"] == "https://mastodon.example/@ania_gra/112588000000000105"
    assert ania["guid"] == "https://mastodon.example/users/ania_gra/statuses/112588000000000105"
    chinese = posts["wei@m.cn.example"]["text"]
    assert chinese.endswith("https://news.example.com/starfall-expansion-autumn")  # whole link
    tom = posts["tom@fosstodon.example"]["text"]
    assert tom.startswith("Spoilers for the final boss\n\nHonest take")  # content warning kept

    # Next run asks only for statuses newer than the newest seen: one request, [].
    since = TAG.replace("starfallarena", "StarfallArena") + "&since_id=112588000000000105"
    mastodon.routes[since] = Route(body=b"[]", headers=JSON)
    result = crawl(tmp_path, config, mastodon)
    assert result.returncode == 0, result.stderr
    assert served(mastodon) == [("/robots.txt", 200), (since, 200)]
    assert len(rows(tmp_path)) == 4


def test_account_timeline_skips_boosts_and_remembers_the_account_id(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    mastodon = make_mastodon(serve_dir)
    fixture = FIXTURES / "mastodon"
    statuses = "/api/v1/accounts/109311000000000042/statuses?limit=40&exclude_reblogs=true"
    mastodon.routes["/api/v1/accounts/lookup?acct=starfall"] = Route(
        body=(fixture / "account_lookup.json").read_bytes(), headers=JSON
    )
    mastodon.routes[statuses] = Route(
        body=(fixture / "account_statuses.json").read_bytes(),
        headers={
            **JSON,
            "Link": f'<{mastodon.url(statuses)}&max_id=112588000000000199>; rel="next"',
        },
    )
    mastodon.routes[statuses + "&max_id=112588000000000199"] = Route(body=b"[]", headers=JSON)
    # The tag timeline's second page is broken: recorded, and the rest is kept.
    mastodon.routes[TAG_PAGE_2] = Route(body=b"{not json", headers=JSON)
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "studio", "type": "mastodon", "url": mastodon.url("/"), "account": "@starfall"},
        {"name": "tag", "type": "mastodon", "url": mastodon.url("/"), "hashtag": "starfallarena"},
        {"name": "nobody", "type": "mastodon", "url": mastodon.url("/"), "account": "ghost"},
    )
    result = crawl(tmp_path, config, mastodon)
    assert result.returncode == 1 and "1 source(s) failed: nobody" in result.stderr
    db = sqlite_utils.Database(tmp_path / "t.db")
    studio = [p for p in db["posts"].rows if p["author"] == "starfall@mastodon.example"]
    assert [p["text"][:16] for p in studio] == ["Dodatek jesienny"]  # the boost is not theirs
    assert sorted((r["url"].split("/api/v1/")[1], r["error"]) for r in db["crawl_errors"].rows) == [
        ("accounts/lookup?acct=ghost", "http_404"),
        ("timelines/tag/starfallarena?limit=40&max_id=112588000000000103", "malformed_json"),
    ]
    assert db["posts"].count == 1 + 3  # the tag's first page

    # Next run: no lookup (the id is remembered), since_id for the account; the tag
    # timeline is read from the top again (its last run did not finish) and completed.
    mastodon.routes[TAG_PAGE_2] = tag_page(
        mastodon, "tag_page2.json", "112588000000000101", "112588000000000102"
    )
    since = statuses + "&since_id=112588000000000200"
    mastodon.routes[since] = Route(body=b"[]", headers=JSON)
    result = crawl(tmp_path, config, mastodon)
    paths = [path for path, _ in served(mastodon)]
    assert "/api/v1/accounts/lookup?acct=starfall" not in paths and since in paths
    assert TAG in paths and TAG_PAGE_2 in paths
    assert db["posts"].count == 1 + 4
