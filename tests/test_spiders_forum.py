"""The forum spider (phpbb, vbulletin, xenforo, forum), run for real against boards on 127.0.0.1.

tests/fixtures/forums/ holds five small boards rendered by ``make_boards.py`` in the
stock markup of phpBB 3.3 (Polish), XenForo 2.2 (Vietnamese), vBulletin 4 (Polish,
ISO-8859-2), vBulletin 5 (English) and Forumotion (German, through ``type: forum`` and
selectors), each with two pages of topics and topics of up to three pages.
``expected.json`` beside them lists every post a crawl must store. The boards are
served under their real URL shapes (``viewtopic.php?t=11&start=3``,
``/threads/slug.21/page-2``), with the HTTP Date the relative times were written for.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils
from parsel import Selector

from crawler.forum_presets import SELECTOR_FIELDS
from crawler.spiders.forum import (
    DateContext,
    extract_topic_page,
    forum_url,
    infer_date_order,
    parse_forum_date,
    parse_topic_list,
    source_presets,
    timezone_from_text,
)
from pipelines.config import FORUM_SELECTORS, ConfigError, parse_config
from pipelines.localserver import LocalServer, Route
from tests.conftest import FIXTURES, run_trendscout
from tests.test_spiders_sitemap import write_sources

BOARDS = FIXTURES / "forums"
SID_PATTERN = re.compile(r"sid=[0-9a-f]{32}")
EXPECTED: dict[str, Any] = json.loads((BOARDS / "expected.json").read_text("utf-8"))
# The selectors a researcher would write for the Forumotion board (and that also read
# the real Forumotion page in the shared corpus): CSS, XPath and lists of both.
FORUMOTION = {
    "topic_row": "ul.topiclist.topics > li",
    "topic_links": "a.topictitle",
    "topic_marker": ['.//dd[@class="posts"]', 'dd.lastpost a[href*="#"]::attr(href)'],
    "next_page": '//a[img[@alt="Nächste"]]',
    "topic_next_page": '//a[img[@alt="Nächste"]]',
    "post": 'div.post[id^="p"]',
    "author": "div.postprofile-head strong",
    "date": "p.author",
    "text": "div.post-entry > div",
    "permalink": "h3 a::attr(href)",
}
SOURCES: dict[str, dict[str, Any]] = {
    "phpbb": {"type": "phpbb"},
    "xenforo": {"type": "xenforo"},
    "vbulletin4": {"type": "vbulletin", "date_order": "dmy"},  # the board writes 10-11-2026
    "vbulletin5": {"type": "vbulletin"},
    "generic": {"type": "forum", "timezone": "Europe/Berlin", "selectors": FORUMOTION},
}


def load_make_boards() -> ModuleType:
    """tests/fixtures/forums/make_boards.py (a script beside its pages, not a package)."""
    name = "forum_fixture_boards"
    spec = importlib.util.spec_from_file_location(name, BOARDS / "make_boards.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


make_boards = load_make_boards()


def serve_pages(server: LocalServer) -> None:
    """Answer every board URL (query strings included) with its page and the pinned Date."""
    manifest = json.loads((server.root / "routes.json").read_text("utf-8"))
    for url, page in manifest["routes"].items():
        body = (server.root / page["file"]).read_bytes()
        headers = {"Content-Type": page["content_type"], "Date": manifest["date"]}
        server.routes[url] = Route(body=body, headers=headers)


def start_boards(root: Path, serve: Callable[..., LocalServer]) -> LocalServer:
    shutil.copytree(BOARDS, root)
    server = serve(root)
    serve_pages(server)
    return server


def rerender(server: LocalServer, board: Any) -> None:
    """Write a changed board over the served copy and serve its pages again."""
    routes = make_boards.write_board(board, server.root)
    manifest = json.loads((server.root / "routes.json").read_text("utf-8"))
    manifest["routes"].update(routes)
    (server.root / "routes.json").write_text(json.dumps(manifest), "utf-8")
    serve_pages(server)


def sources_yml(path: Path, server: LocalServer, boards: list[str]) -> Path:
    """A sources.yml with one source per board, named after it."""
    sources = [{"name": k, "url": server.url(EXPECTED[k]["start"]), **SOURCES[k]} for k in boards]
    return write_sources(path, *sources)


def crawl(db: Path, config: Path, server: LocalServer, *args: str) -> Any:
    server.clear_log()
    return run_trendscout("crawl", "-c", str(config), "--db", str(db), *args)


def fetched(server: LocalServer) -> Counter[str]:
    """How often each page was requested (robots.txt aside)."""
    return Counter(r.path for r in server.requests if r.path != "/robots.txt")


def local(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def stored(db: Path) -> dict[str, dict[str, Any]]:
    return {local(row["url"]): row for row in sqlite_utils.Database(db)["posts"].rows}


def all_pages(boards: list[str]) -> set[str]:
    manifest = json.loads((BOARDS / "routes.json").read_text("utf-8"))
    return {url for url in manifest["routes"] if url.split("/")[1] in boards}


def list_pages(boards: list[str]) -> Counter[str]:
    return Counter(url for key in boards for url in EXPECTED[key]["list_pages"])


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, Path, Any]]:
    """All five boards crawled once, in one `trendscout crawl`."""
    tmp = tmp_path_factory.mktemp("boards")
    servers: list[LocalServer] = []

    def serve(root: Path) -> LocalServer:
        servers.append(LocalServer(root).start())
        return servers[-1]

    server = start_boards(tmp / "site", serve)
    config = sources_yml(tmp / "sources.yml", server, list(SOURCES))
    result = crawl(tmp / "t.db", config, server)
    yield server, tmp / "t.db", result
    for started in servers:
        started.stop()


# -- one crawl of every type ------------------------------------------------------------


def test_every_post_of_every_board_is_stored_with_author_utc_time_and_permalink(
    crawled: tuple[LocalServer, Path, Any],
) -> None:
    server, db, result = crawled
    assert result.returncode == 0, result.stderr
    total = sum(len(board["posts"]) for board in EXPECTED.values())
    assert total == 57
    assert f"{total} new, 0 updated, 0 unchanged, 0 errors" in result.stdout
    posts = stored(db)
    wanted = {post["url"]: post for board in EXPECTED.values() for post in board["posts"]}
    assert set(posts) == set(wanted)
    for url, want in wanted.items():
        row = posts[url]
        assert row["author"] == want["author"], url
        assert row["published_at"] == want["published_at"], url
        assert row["date_estimated"] == 0
        assert local(row["thread_url"]) == want["thread_url"], url
        assert row["title"] == want["title"], url
        assert " ".join(row["text"].split()) == want["text"], url
    # Replies are rows of their own, on every page of a topic.
    phpbb_topic = [
        p for p in posts.values() if local(p["thread_url"]) == "/phpbb/viewtopic.php?t=11"
    ]
    assert len(phpbb_topic) == 7
    assert {p["url"] for p in phpbb_topic} >= {server.url("/phpbb/viewtopic.php?p=117#p117")}


def test_quotes_signatures_and_session_ids_stay_out_of_what_is_stored(
    crawled: tuple[LocalServer, Path, Any],
) -> None:
    _, db, _ = crawled
    posts = stored(db)
    quoting = [p for board in EXPECTED.values() for p in board["posts"] if p["quote"]]
    assert {want["url"].split("/")[1] for want in quoting} == set(SOURCES)  # on every board
    for want in quoting:
        assert want["quote"] not in " ".join(posts[want["url"]]["text"].split())
    # The quoted post itself is stored, once.
    assert sum("kooperacja to najmocniejsza" in p["text"] for p in posts.values()) == 1
    kasia = posts["/phpbb/viewtopic.php?p=111#p111"]["text"]
    assert "twitch.example" not in kasia  # her signature
    assert not any("sid=" in p["url"] or "sid=" in p["thread_url"] for p in posts.values())


def test_each_board_page_is_fetched_exactly_once_and_nothing_else_is(
    crawled: tuple[LocalServer, Path, Any],
) -> None:
    server, _, _ = crawled
    # Four crawlers share the phpbb/xenforo/vbulletin/forum types: no source twice,
    # and no member list, search, login or "similar threads" link followed.
    assert fetched(server) == Counter(all_pages(list(SOURCES)))
    assert all(r.status == 200 for r in server.requests)


def test_each_topic_remembers_its_marker_and_last_page(
    crawled: tuple[LocalServer, Path, Any],
) -> None:
    server, db, _ = crawled
    state = {
        row["key"]: json.loads(row["value"])
        for row in sqlite_utils.Database(db)["crawl_state"].rows
        if row["key"].startswith("forum:")
    }
    topics = {local(p["thread_url"]) for board in EXPECTED.values() for p in board["posts"]}
    assert len(state) == len(topics) == 19
    starfall = state[f"forum:phpbb:{server.url('/phpbb/viewtopic.php?t=11')}"]
    assert starfall["last_page"] == server.url("/phpbb/viewtopic.php?t=11&start=6")
    assert starfall["pages"] == 3
    assert "viewtopic.php?p=117#p117" in starfall["marker"]
    assert SID_PATTERN.search(starfall["marker"]) is None


# -- incremental ------------------------------------------------------------------------


def test_recrawl_fetches_only_topic_lists_and_then_only_the_last_pages_of_changed_topics(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    server = start_boards(tmp_path / "site", serve_dir)
    config = sources_yml(tmp_path / "sources.yml", server, list(SOURCES))
    db = tmp_path / "t.db"
    assert crawl(db, config, server).returncode == 0

    second = crawl(db, config, server)
    assert second.returncode == 0, second.stderr
    assert fetched(server) == list_pages(list(SOURCES))  # 10 requests for 5 boards
    assert "crawl run 2: ok; 10 requests, 0 new, 0 updated, 0 unchanged, 0 errors" in second.stdout
    assert len(stored(db)) == 57

    # phpBB: topic 11 gains a post on its last page, topic 12 three posts and a new
    # page; every view counter goes up. XenForo: thread 24 gains a page.
    phpbb = make_boards.phpbb_board()
    t11, t12 = phpbb.list_pages[0][1], phpbb.list_pages[0][2]
    now = make_boards.NOW
    t11.posts.append(make_boards.Post(118, "kasia_gra", now, ["Premiera potwierdzona na marzec!"]))
    for number, author in [(125, "Tomek_PL"), (126, "ania_w"), (127, "marek1987")]:
        t12.posts.append(make_boards.Post(number, author, now, [f"Post {number}: polecam pad."]))
    for topic in phpbb.topics:
        topic.views += 50
    rerender(server, phpbb)
    xenforo = make_boards.xenforo_board()
    t24 = xenforo.list_pages[1][1]
    t24.posts += [
        make_boards.Post(n, "Hoàng Nam", now, [f"Cập nhật {n}."]) for n in (245, 246, 247)
    ]
    rerender(server, xenforo)

    third = crawl(db, config, server)
    assert third.returncode == 0, third.stderr
    topic_pages = fetched(server) - list_pages(list(SOURCES))
    assert topic_pages == Counter(
        [
            "/phpbb/viewtopic.php?t=11&start=6",  # its remembered last page, now with 118
            "/phpbb/viewtopic.php?t=12&start=3",  # remembered last page: 124, 125, 126
            "/phpbb/viewtopic.php?t=12&start=6",  # and the new one: 127
            "/xenforo/threads/laptop-choi-game.24/page-2",  # 244 and two new ones
            "/xenforo/threads/laptop-choi-game.24/page-3",
        ]
    )
    assert "7 new, 0 updated, 3 unchanged, 0 errors" in third.stdout
    posts = stored(db)
    assert len(posts) == 64
    new = posts["/phpbb/viewtopic.php?p=118#p118"]
    assert new["thread_url"] == server.url("/phpbb/viewtopic.php?t=11")
    assert new["published_at"] == "2026-11-20T12:00:00Z"
    assert posts["/xenforo/threads/laptop-choi-game.24/post-247"]["author"] == "Hoàng Nam"


# -- faults -----------------------------------------------------------------------------


def test_truncated_page_and_server_error_are_recorded_and_the_rest_is_crawled(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    server = start_boards(tmp_path / "site", serve_dir)
    server.routes["/phpbb/viewtopic.php?t=12"] = Route(status=500, body=b"database error")
    page = server.routes["/phpbb/viewtopic.php?t=11&start=3"]
    assert page.body is not None
    cut = page.body.index(b'<div id="p116"') + 300  # in the middle of the third post
    server.routes["/phpbb/viewtopic.php?t=11&start=3"] = Route(
        body=page.body[:cut], headers=page.headers
    )
    config = sources_yml(tmp_path / "sources.yml", server, ["phpbb"])
    db = tmp_path / "t.db"
    result = crawl(db, config, server)
    assert result.returncode == 0, result.stderr  # partial, not failed
    rows = list(sqlite_utils.Database(db)["crawl_errors"].rows)
    assert sorted((local(r["url"]), r["error"]) for r in rows) == [
        ("/phpbb/viewtopic.php?t=11&start=3", "truncated_html"),
        ("/phpbb/viewtopic.php?t=12", "http_500"),
    ]
    posts = stored(db)
    # Topic 11: 114 and 115 from the cut page, 116 (cut off) not; its next page was
    # still found (from the pagination above the posts) and read.
    topic_11 = {u for u in posts if u.startswith("/phpbb/viewtopic.php?p=11")}
    assert topic_11 == {f"/phpbb/viewtopic.php?p={n}#p{n}" for n in (111, 112, 113, 114, 115, 117)}
    assert not any(u.startswith("/phpbb/viewtopic.php?p=12") for u in posts)
    assert len(posts) == 1 + 6 + 2 + 4  # sticky, topic 11, topics 14 and 15
    assert re.search(r"^phpbb\s+partial\s", result.stdout, re.MULTILINE), result.stdout

    # Both topics are not remembered as read, so the next run reads them again.
    serve_pages(server)
    again = crawl(db, config, server)
    assert again.returncode == 0, again.stderr
    assert set(fetched(server)) == set(list_pages(["phpbb"])) | {
        "/phpbb/viewtopic.php?t=11",
        "/phpbb/viewtopic.php?t=11&start=3",
        "/phpbb/viewtopic.php?t=11&start=6",
        "/phpbb/viewtopic.php?t=12",
        "/phpbb/viewtopic.php?t=12&start=3",
    }
    assert len(stored(db)) == 18


def test_forum_source_with_a_bad_selector_is_refused_with_one_line(tmp_path: Path) -> None:
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "Board", "type": "forum", "url": "http://127.0.0.1:9/f1",
         "selectors": {**FORUMOTION, "post": "div..post"}},
    )  # fmt: skip
    result = run_trendscout("crawl", "-c", str(config), "--db", str(tmp_path / "t.db"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "sources[0] (Board).selectors.post: 'div..post' is not a valid CSS selector" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"type": "forum"}, "sources[0] (B).selectors: missing; a 'forum' source needs"),
        (
            {"type": "forum", "selectors": {"post": "div.post", "text": "div.content"}},
            "sources[0] (B).selectors.topic_links: missing; add a CSS or XPath",
        ),
        (
            {"type": "forum", "selectors": {**FORUMOTION, "text": "//div[@class="}},
            "sources[0] (B).selectors.text: '//div[@class=' is not a valid XPath selector",
        ),
        (
            {"type": "phpbb", "selectors": {"posts": "div.post"}},
            "sources[0] (B).selectors.posts: unknown key (did you mean 'post'?)",
        ),
        ({"type": "xenforo", "selectors": {"author": []}}, "selectors.author: expected a CSS"),
        (
            {"type": "vbulletin", "timezone": "Europe/Warschau"},
            "unknown time zone 'Europe/Warschau'",
        ),
        ({"type": "vbulletin", "date_order": "dd.mm.yyyy"}, "date_order: 'dd.mm.yyyy' is not dmy"),
        ({"type": "phpbb", "max_list_pages": 0}, "max_list_pages: expected a whole number"),
        ({"type": "phpbb", "since": "last week"}, "since: 'last week' is not a date"),
        (
            {"type": "phpbb", "selector": {}},
            "(B).selector: unknown key (did you mean 'selectors'?)",
        ),
    ],
)
def test_forum_options_are_checked_with_one_line_errors(
    source: dict[str, Any], message: str
) -> None:
    data = {"sources": [{"name": "B", "url": "https://forum.example.pl/", **source}]}
    with pytest.raises(ConfigError) as raised:
        parse_config(data, Path("sources.yml"))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_without_topic_row_a_topic_is_read_from_the_list_item_around_its_link() -> None:
    page = (BOARDS / "generic" / "f1-allgemeines.html").read_text("utf-8")
    presets = source_presets("forum", {"selectors": {"topic_links": "a.topictitle"}})
    base = "http://127.0.0.1:8000/generic/f1-allgemeines"
    listing = parse_topic_list(Selector(text=page), base, presets[0])
    assert [local(t.url) for t in listing.topics] == [
        "/generic/t7-neues-starfall-update",
        "/generic/t8-vorstellung",
    ]
    # The marker is then the whole row (replies, views, last post): a topic is read
    # again when any of it changes, views included; topic_marker narrows it.
    assert listing.topics[0].marker == (
        "Neues Starfall-Update: eure Meinung? von lupa 2 512 Heute um 09:15 von Nachteule"
    )
    # Forumotion's next link has no rel="next": without a next_page selector, one page.
    assert listing.next_url is None


def test_every_selector_sources_yml_accepts_is_a_preset_field() -> None:
    assert set(SELECTOR_FIELDS) == FORUM_SELECTORS


def test_preset_types_need_only_a_url_and_accept_selector_overrides() -> None:
    data = {
        "sources": [
            {"name": "a", "type": "phpbb", "url": "https://forum.example.pl/viewforum.php?f=2"},
            {"name": "b", "type": "xenforo", "url": "https://voz.example.vn/f/17/",
             "selectors": {"text": [".message-body .bbWrapper", "/html//article"]},
             "timezone": "Asia/Ho_Chi_Minh", "since": "2024-01-31", "max_list_pages": 3},
        ]
    }  # fmt: skip
    config = parse_config(data, Path("sources.yml"))
    assert [s.type for s in config.sources] == ["phpbb", "xenforo"]
    assert config.sources[1].options["selectors"]["text"][1] == "/html//article"


# -- limits -----------------------------------------------------------------------------


def test_since_skips_old_topics_and_max_list_pages_stops_the_topic_list(
    tmp_path: Path, serve_dir: Callable[..., LocalServer]
) -> None:
    server = start_boards(tmp_path / "site", serve_dir)
    config = write_sources(
        tmp_path / "sources.yml",
        {"name": "phpbb", "url": server.url(EXPECTED["phpbb"]["start"]), "type": "phpbb"},
        {"name": "xenforo", "url": server.url(EXPECTED["xenforo"]["start"]), "type": "xenforo",
         "max_list_pages": 1},
    )  # fmt: skip
    db = tmp_path / "t.db"
    result = crawl(db, config, server, "--since", "2026-11-10")
    assert result.returncode == 0, result.stderr
    pages = set(fetched(server))
    # phpBB: both list pages (the first has recent topics); only topics active since
    # Nov 10 (11 and 12), not the sticky rules from January nor topics 14 and 15.
    assert {p for p in pages if p.startswith("/phpbb/")} == {
        "/phpbb/viewforum.php?f=2",
        "/phpbb/viewforum.php?f=2&start=3",
        "/phpbb/viewtopic.php?t=11",
        "/phpbb/viewtopic.php?t=11&start=3",
        "/phpbb/viewtopic.php?t=11&start=6",
        "/phpbb/viewtopic.php?t=12",
        "/phpbb/viewtopic.php?t=12&start=3",
    }
    # XenForo: one page of topics, the rules thread (older) skipped.
    assert {p for p in pages if p.startswith("/xenforo/forums/")} == {
        "/xenforo/forums/thao-luan-chung.2/"
    }
    assert "/xenforo/threads/noi-quy-dien-dan.20/" not in pages
    posts = stored(db)
    assert all(p["published_at"] >= "2026-11-10" for p in posts.values())
    assert len([u for u in posts if u.startswith("/phpbb/")]) == 11


# -- dates ------------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # a Friday
UTC = dt.UTC
WARSAW, BERLIN = ZoneInfo("Europe/Warsaw"), ZoneInfo("Europe/Berlin")
SAIGON, LA, NEW_YORK = (
    ZoneInfo("Asia/Ho_Chi_Minh"),
    ZoneInfo("America/Los_Angeles"),
    ZoneInfo("America/New_York"),
)


@pytest.mark.parametrize(
    ("text", "tz", "order", "expected"),
    [
        # machine-readable
        ("1538052669", UTC, "dmy", "2018-09-27T12:51:09Z"),
        ("2018-09-27T14:51:09+0200", UTC, "dmy", "2018-09-27T12:51:09Z"),
        ("2023-11-16T08:30:00+00:00", WARSAW, "dmy", "2023-11-16T08:30:00Z"),
        ("2014-10-24T09:00:03", NEW_YORK, "mdy", "2014-10-24T13:00:03Z"),  # no zone: board's
        # today, yesterday, weekdays, "ago"
        ("Dzisiaj, 10:15", WARSAW, "dmy", "2026-11-20T09:15:00Z"),
        ("Wczoraj, 22:01", WARSAW, "dmy", "2026-11-19T21:01:00Z"),
        ("Today at 10:15 AM", UTC, "mdy", "2026-11-20T10:15:00Z"),
        ("Yesterday at 9:05 PM", UTC, "mdy", "2026-11-19T21:05:00Z"),
        ("Heute um 10:15 Uhr", BERLIN, "dmy", "2026-11-20T09:15:00Z"),
        ("Gestern, 23:30", BERLIN, "dmy", "2026-11-19T22:30:00Z"),
        ("Hôm nay lúc 10:15", SAIGON, "dmy", "2026-11-20T03:15:00Z"),
        ("Hôm qua lúc 22:01", SAIGON, "dmy", "2026-11-19T15:01:00Z"),
        ("Monday at 4:15 PM", UTC, "mdy", "2026-11-16T16:15:00Z"),
        ("Freitag um 08:00", BERLIN, "dmy", "2026-11-13T07:00:00Z"),  # today is Friday
        ("Środa o 18:00", WARSAW, "dmy", "2026-11-18T17:00:00Z"),
        ("Thứ Hai lúc 09:00", SAIGON, "dmy", "2026-11-16T02:00:00Z"),
        ("5 minutes ago", UTC, "mdy", "2026-11-20T11:55:00Z"),
        ("an hour ago", UTC, "mdy", "2026-11-20T11:00:00Z"),
        ("vor 2 Stunden", BERLIN, "dmy", "2026-11-20T10:00:00Z"),
        ("vor einem Tag", BERLIN, "dmy", "2026-11-19T12:00:00Z"),
        ("3 dni temu", WARSAW, "dmy", "2026-11-17T12:00:00Z"),
        ("godzinę temu", WARSAW, "dmy", "2026-11-20T11:00:00Z"),
        ("5 phút trước", SAIGON, "dmy", "2026-11-20T11:55:00Z"),
        ("Just now", UTC, "mdy", "2026-11-20T12:00:00Z"),
        ("przed chwilą", WARSAW, "dmy", "2026-11-20T12:00:00Z"),
        # month names: English, German, Polish (genitive and short), Vietnamese
        ("Wed Nov 15, 2023 3:15 am", UTC, "dmy", "2023-11-15T03:15:00Z"),
        ("Sep 18, 2020 at 8:56 AM", LA, "mdy", "2020-09-18T15:56:00Z"),
        ("15. November 2023 um 14:51 Uhr", BERLIN, "dmy", "2023-11-15T13:51:00Z"),
        ("3. März 2024, 09:00", BERLIN, "dmy", "2024-03-03T08:00:00Z"),
        ("15 listopada 2023, 10:15", WARSAW, "dmy", "2023-11-15T09:15:00Z"),
        ("15 lis 2023, 10:15", WARSAW, "dmy", "2023-11-15T09:15:00Z"),
        ("15 lipca 2024, 10:15", WARSAW, "dmy", "2024-07-15T08:15:00Z"),  # summer time
        ("3 marca 2024 o 18:22", WARSAW, "dmy", "2024-03-03T17:22:00Z"),
        ("ngày 15 tháng 11 năm 2023 lúc 10:15", SAIGON, "dmy", "2023-11-15T03:15:00Z"),
        ("15 Tháng 11, 2023", UTC, "dmy", "2023-11-15T00:00:00Z"),
        ("15 thg 11, 2023 10:15 CH", SAIGON, "dmy", "2023-11-15T15:15:00Z"),
        ("15 Nov, 10:15", UTC, "dmy", "2026-11-15T10:15:00Z"),  # no year: this year...
        ("24 Dec 10:15", UTC, "dmy", "2025-12-24T10:15:00Z"),  # ...unless still to come
        # numeric, in the board's order unless a part above 12 says otherwise
        ("Beitrag von r23 » 21.01.2009, 05:42", BERLIN, "dmy", "2009-01-21T04:42:00Z"),
        ("von heute_fan » 21.01.2009, 05:42", BERLIN, "dmy", "2009-01-21T04:42:00Z"),
        ("by today_gamer » Yesterday, 10:00", UTC, "dmy", "2026-11-19T10:00:00Z"),
        ("01-15-2012, 10:15 PM", UTC, "mdy", "2012-01-15T22:15:00Z"),
        ("10-11-2026, 21:40", ZoneInfo("Etc/GMT-1"), "dmy", "2026-11-10T20:40:00Z"),
        ("10-11-2026, 21:40", UTC, "mdy", "2026-10-11T21:40:00Z"),
        ("15/11/2023 10:15", SAIGON, "mdy", "2023-11-15T03:15:00Z"),
        ("am 26/10/13, 03:48 pm", UTC, "dmy", "2013-10-26T15:48:00Z"),
        ("2023/11/15 10:15", UTC, "dmy", "2023-11-15T10:15:00Z"),
        # not dates
        ("", UTC, "dmy", None),
        ("Beiträge: 1.024", UTC, "dmy", None),
        ("Mitglied seit", UTC, "dmy", None),
    ],
)
def test_forum_dates_in_four_languages_become_utc(
    text: str, tz: dt.tzinfo, order: str, expected: str | None
) -> None:
    when = parse_forum_date(text, DateContext(tz=tz, now=NOW, order=order))
    assert (when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None) == expected


def test_date_order_of_a_page_follows_its_unambiguous_dates() -> None:
    assert infer_date_order(["03-11-2026", "15-11-2026"], "mdy") == "dmy"
    assert infer_date_order(["11-03-2026, 10:00", "11-15-2026"], "dmy") == "mdy"
    assert infer_date_order(["03-04-2026", "2026-11-15"], "mdy") == "mdy"


@pytest.mark.parametrize(
    ("footer", "offset_in_november"),
    [
        ("Alle Zeiten sind Europa/Berlin", 60),
        ("Wszystkie czasy w strefie Europa/Warszawa", 60),
        ("Alle Zeiten sind UTC+02:00", 120),
        ("Strefa czasowa GMT +1. Teraz jest 13:00.", 60),
        ("All times are UTC - 5 hours [ DST ]", -240),
        ("All times are GMT-5. This page was generated at 07:00 AM.", -300),
        ("All times are UTC", 0),
    ],
)
def test_board_time_zone_is_read_from_the_footer(footer: str, offset_in_november: int) -> None:
    zone = timezone_from_text(footer)
    assert zone is not None
    offset = NOW.astimezone(zone).utcoffset()
    assert offset == dt.timedelta(minutes=offset_in_november)


def test_footer_without_a_time_zone_names_none() -> None:
    assert timezone_from_text("Powered by phpBB® Forum Software © phpBB Limited") is None


def test_forum_urls_lose_session_ids_and_keep_their_query_as_written() -> None:
    base = "http://Forum.Example.pl:80/board/index.php"
    sid = "0f3c8a9b2d4e6f708192a3b4c5d6e7f8"
    assert (
        forum_url(f"./viewtopic.php?f=2&t=5&sid={sid}&start=10", base)
        == "http://forum.example.pl/board/viewtopic.php?f=2&t=5&start=10"
    )
    assert (
        forum_url(f"showthread.php?123-Iron-Legion&s={sid}&utm_source=x", base)
        == "http://forum.example.pl/board/showthread.php?123-Iron-Legion"
    )
    assert forum_url("./viewtopic.php?p=453#p453", base, keep_fragment=True).endswith("?p=453#p453")
    assert forum_url("./viewtopic.php?p=453#p453", base).endswith("?p=453")


# -- the real pages of the shared corpus ------------------------------------------------

CORPUS_PAGES = [
    # file, URL (the gold key), source type, options, posts on the page
    ("forum_phpbb_myoos_viewtopic_de.html",
     "https://foren.myoos.de/viewtopic.php?f=4&t=167&sid=58428beaa14598c2e02d93ad5c773e4d",
     "phpbb", {}, 1),
    ("forum_xenforo_katzen_forum_thread_de.html",
     "https://www.katzen-forum.net/threads/jede-nacht-verliert-pepe-soviel-dreck-aus-dem-fell.230143/",
     "xenforo", {}, 18),
    ("forum_xenforo_villagersandheroes_patchnotes_en.html",
     "https://villagersandheroes.com/forums/threads/patchnotes-4-47-4-tagundnachtgleiche-bugfix-build.3976/",
     "xenforo", {}, 9),
    ("forum_forumotion_wolfsrebellen_rules_de.html",
     "https://wolfsrebellen-netz.forumieren.com/t7-forums-regeln",
     "forum", {"selectors": FORUMOTION}, 3),
]  # fmt: skip


@pytest.mark.parametrize(("file", "url", "source_type", "options", "count"), CORPUS_PAGES)
def test_presets_read_posts_authors_and_dates_from_real_forum_pages(
    shared_corpus: Path,
    file: str,
    url: str,
    source_type: str,
    options: dict[str, Any],
    count: int,
) -> None:
    html = (shared_corpus / "html" / file).read_text("utf-8", errors="replace")
    gold = json.loads((shared_corpus / "html" / "trafilatura_evaldata.json").read_text("utf-8"))[
        url
    ]
    page = extract_topic_page(html, url, source_type, options=options)
    assert len(page.posts) == count
    assert all(p.author and p.published_at and p.text for p in page.posts)
    first = page.posts[0]
    assert first.author == gold["author"]
    assert first.published_at[:10] == gold["date"]
    text = "\n".join(p.text for p in page.posts)
    folded = " ".join(text.split())
    assert [s for s in gold["with"] if " ".join(s.split()) not in folded] == []
    assert [s for s in gold["without"] if s.strip() in text] == []
    assert not page.truncated
    assert len({p.url for p in page.posts}) == count  # a permalink each


def test_a_quote_on_a_real_xenforo_page_counts_once(shared_corpus: Path) -> None:
    file, url = CORPUS_PAGES[1][:2]
    html = (shared_corpus / "html" / file).read_text("utf-8")
    page = extract_topic_page(html, url, "xenforo")
    quoted = "yellowkitty die Ohren sind total sauber"
    assert [p.url.rsplit("-", 1)[1] for p in page.posts if quoted in p.text] == ["6331459"]
    assert page.posts[0].published_at == "2018-09-27T12:51:09Z"  # +0200 on the page
