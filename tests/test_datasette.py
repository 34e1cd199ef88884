"""Publishing in Datasette: `trendscout serve` on a crawled database with findings.

Most tests talk over HTTP to one real Datasette process (started through the real
`trendscout serve` command on a free 127.0.0.1 port) serving a database that a real
crawl of tests/fixtures/datasette/feed.xml filled, plus plausible findings from
tests/findings_fixture.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import csv
import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml
from datasette.app import Datasette

from nlp.tokens import Tokenizer
from pipelines import serve
from pipelines.db import open_db
from pipelines.localserver import LocalServer
from tests.conftest import FIXTURES, run_trendscout
from tests.findings_fixture import (
    HOSTILE_LABEL,
    Findings,
    build_findings_db,
    free_port,
    running_datasette,
)

METADATA = yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))
DB_METADATA = METADATA["databases"]["trendscout"]
QUERIES = DB_METADATA["queries"]
SCRIPT = "<script>alert(1)</script>"
FTS_SHADOW = ("_data", "_idx", "_docsize", "_config", "_content")


@dataclass
class Site:
    base: str
    db_path: Path
    findings: Findings | None = None

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], str]:
        """GET ``path`` (with ``kwargs`` as query string); status, headers, body."""
        url = self.base + path + ("?" + urllib.parse.urlencode(kwargs) if kwargs else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def json(self, path: str, **kwargs: Any) -> Any:
        status, _, body = self.get(path, **kwargs)
        assert status == 200, body[:500]
        return json.loads(body)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Crawl the fixture feed for real, add findings, serve it with `trendscout serve`."""
    tmp = tmp_path_factory.mktemp("datasette")
    db_path = tmp / "crawled.db"
    with LocalServer(FIXTURES / "datasette") as feeds:
        config = tmp / "sources.yml"
        config.write_text(
            "sources:\n  - name: Quokka Games Blog\n    type: feed\n"
            f"    url: {feeds.url('feed.xml')}\n    language: en\n",
            encoding="utf-8",
        )
        crawl = run_trendscout("crawl", "-c", str(config), "--db", str(db_path))
        assert crawl.returncode == 0, crawl.stderr
    findings = build_findings_db(db_path, hostile=True)
    with running_datasette(db_path) as base:
        yield Site(base, db_path, findings)


def crawled_post(db_path: Path, title_prefix: str) -> dict[str, Any]:
    db = sqlite_utils.Database(db_path)
    rows = list(db.query("select * from posts where title like ? || '%'", [title_prefix]))
    db.close()
    assert len(rows) == 1
    return rows[0]


# -- metadata: every table and column documented -------------------------------------------


def schema_tables(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Every table a fresh database has, with its columns, FTS indexes left out."""
    fts = {t for t in db.table_names() if db[t].schema.upper().find("USING FTS") != -1}
    return {
        name: [c.name for c in db[name].columns]
        for name in db.table_names()
        if name not in fts and not any(name.startswith(f) for f in fts)
    }


def test_every_table_and_column_in_the_schema_has_a_description(tmp_path: Path) -> None:
    db = open_db(tmp_path / "fresh.db")  # all migrations, as a new user gets them
    tables = schema_tables(db)
    db.close()
    described = DB_METADATA["tables"]
    missing = [
        f"{table}.{column}" if column else table
        for table, columns in tables.items()
        for column in [None, *columns]
        if not (
            (described.get(table) or {}).get("description")
            if column is None
            else ((described.get(table) or {}).get("columns") or {}).get(column)
        )
    ]
    assert {"posts", "trends", "audience_shifts", "crawl_runs"} <= tables.keys()
    assert not missing, (
        "describe these in datasette_config/metadata.yml (databases.trendscout.tables): "
        + ", ".join(missing)
    )
    stale = sorted(set(described) - set(tables))
    assert not stale, f"metadata describes tables the schema does not have: {stale}"


def test_site_metadata_has_title_description_license_and_source() -> None:
    for key in ("title", "description_html", "license", "source"):
        assert METADATA.get(key), key


def test_posts_search_does_not_pin_fts_columns() -> None:
    """Datasette finds the FTS index itself, so a migration may add indexed columns."""
    posts = DB_METADATA["tables"]["posts"]
    assert not {"fts_table", "fts_pk", "searchable_columns"} & posts.keys()


def test_search_uses_the_segmented_search_text_column(tmp_path: Path) -> None:
    """The FTS index gained ``search_text`` in a later migration; search keeps working."""
    db_path = tmp_path / "segmented.db"
    db = open_db(db_path)
    assert "search_text" in db["posts_fts"].columns_dict
    text = "星落竞技场新赛季开始了"
    db["sources"].insert({"id": 1, "name": "zh", "type": "feed", "url": "http://x.example/"})
    db["posts"].insert(
        {"id": "p1", "source_id": 1, "title": "新游戏", "text": text,
         "published_at": "2026-11-20T00:00:00Z", "search_text": Tokenizer().search_text(text, "zh")}
    )  # fmt: skip
    db.close()

    ds = Datasette([str(db_path)], metadata=METADATA, plugins_dir=str(serve.PLUGINS))

    async def search(term: str) -> list[str]:
        response = await ds.client.get(
            "/trendscout/posts.json?" + urllib.parse.urlencode({"_search": term, "_shape": "array"})
        )
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()]

    assert asyncio.run(search("竞技场")) == ["p1"]
    assert asyncio.run(search("新赛季开始")) == ["p1"]  # the query is split into words too
    assert asyncio.run(search("赛季结束")) == []


def test_fts_shadow_tables_are_hidden(site: Site) -> None:
    tables = {t["name"]: t for t in site.json("/trendscout.json")["tables"]}
    shadow = [name for name in tables if name.startswith("posts_fts")]
    assert shadow and all(tables[name]["hidden"] for name in shadow)
    assert not tables["posts"]["hidden"] and not tables["trends"]["hidden"]
    _, _, home = site.get("/")
    assert "posts_fts" not in home


# -- tables, search, facets ------------------------------------------------------------------


def test_posts_table_answers_newest_first_with_source_names(site: Site) -> None:
    data = site.json("/trendscout/posts.json", _shape="objects", _labels="on", _size="max")
    rows = data["rows"]
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    crawled = [r for r in rows if r["source_id"]["label"] == "Quokka Games Blog"]
    assert {r["title"] for r in crawled} >= {
        "Starfall Arena beta: first impressions",
        "Recenzja: Starfall Arena na konsoli przenośnej",
    }


def test_full_text_search_finds_a_crawled_post(site: Site) -> None:
    rows = site.json("/trendscout/posts.json", _search="marmoset", _shape="array")
    assert [r["title"] for r in rows] == ["Starfall Arena beta: first impressions"]
    polish = site.json("/trendscout/posts.json", _search="wytrzymuje", _shape="array")
    assert [r["title"] for r in polish] == ["Recenzja: Starfall Arena na konsoli przenośnej"]


@pytest.mark.parametrize(
    ("query", "lang", "needle"),
    [
        ("新赛季", "zh", "新赛季"),  # one run of Han: split into words like the posts
        ("星落竞技场 攻略", "zh", "星落竞技场"),
        ("quà tết", "vi", "quà tết"),
        ("giải đấu", "vi", "giải đấu"),
    ],
)
def test_search_finds_chinese_and_vietnamese_posts(
    site: Site, query: str, lang: str, needle: str
) -> None:
    rows = site.json("/trendscout/posts.json", _search=query, _shape="array", _size="max")
    assert rows
    assert all(r["lang"] == lang and needle.lower() in r["text"].lower() for r in rows)


def test_posts_are_faceted_by_source_language_week_and_month(site: Site) -> None:
    facets = site.json("/trendscout/posts.json")["facet_results"]
    by_type = {(f["name"], f["type"]): f for f in facets.values()}
    sources = {r["label"] for r in by_type[("source_id", "column")]["results"]}
    assert "Quokka Games Blog" in sources and "Vietnamese game news" in sources
    assert {r["value"] for r in by_type[("lang", "column")]["results"]} >= {"pl", "vi", "zh", "en"}
    for kind in ("week", "month"):
        values = [r["value"] for r in by_type[("published_at", kind)]["results"]]
        assert len(values) > 1
        assert values == sorted(values, reverse=True), f"{kind} facet must sort by date"
    week = by_type[("published_at", "week")]["results"][0]
    assert week["label"] == "2026-W47 (16 Nov)"


def test_choosing_a_week_lists_that_weeks_posts(site: Site) -> None:
    facets = site.json("/trendscout/posts.json")["facet_results"]
    week = next(f for f in facets.values() if f["type"] == "week")["results"][1]
    path = urllib.parse.urlsplit(week["toggle_url"])
    data = site.json(path.path + "?" + path.query + "&_shape=objects&_size=max")
    dates = [r["published_at"][:10] for r in data["rows"]]
    assert len(dates) == week["count"] == data["filtered_table_rows_count"]
    assert min(dates) >= week["value"] and max(dates) < "2026-11-16"  # the week before W47


def test_source_shows_its_name_not_its_number(site: Site) -> None:
    _, _, page = site.get("/trendscout/posts", _search="marmoset")
    assert re.search(r'<a href="/trendscout/sources/\d+">Quokka Games Blog</a>', page)
    # The column descriptions are there, folded under the search box and facets.
    assert "What the columns mean" in page and "Link to the original post." in page


# -- safe to share ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "insert into sources (name, type, url) values ('x', 'feed', 'http://x.example/')",
        "delete from posts",
        "with doomed as (select id from posts) delete from posts where id in doomed",
        "select 1; delete from posts",
        "pragma journal_mode = delete",
    ],
)
def test_write_sql_is_rejected(site: Site, sql: str) -> None:
    before = site.json("/trendscout/posts.json", _size="1")["filtered_table_rows_count"]
    status, _, body = site.get("/trendscout.json", sql=sql)
    assert status == 400, body[:300]
    assert json.loads(body)["ok"] is False
    after = site.json("/trendscout/posts.json", _size="1")["filtered_table_rows_count"]
    assert after == before


def test_script_in_a_post_shows_as_text(site: Site) -> None:
    post = crawled_post(site.db_path, "Comment spam")
    assert SCRIPT in post["text"]
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    pages = [
        site.get("/trendscout/posts", _search="spammers")[2],
        site.get(f"/trendscout/posts/{post['id']}")[2],
        site.get("/trendscout", sql="select title, text from posts where text like '%script%'")[2],
    ]
    for page in pages:
        assert escaped in page
        assert SCRIPT not in page


def test_html_in_a_finding_shows_as_text_on_every_page(site: Site) -> None:
    for path in ("/", "/trendscout/emerging_this_week", "/trendscout/trends"):
        _, _, page = site.get(path)
        assert "&lt;script&gt;alert(" in page, path
        assert HOSTILE_LABEL not in page, path


def test_robots_are_asked_to_stay_away(site: Site) -> None:
    status, _, robots = site.get("/robots.txt")
    assert status == 200 and "Disallow: /" in robots.splitlines()
    _, headers, home = site.get("/")
    assert "noindex" in {k.lower(): v for k, v in headers.items()}["x-robots-tag"]
    assert '<meta name="robots" content="noindex' in home


def test_rows_committed_while_serving_are_visible(site: Site) -> None:
    db = open_db(site.db_path)  # what a crawl running next to Datasette does (WAL)
    source_id = next(db.query("select id from sources limit 1"))["id"]
    db["posts"].insert(
        {"id": "late-post", "source_id": source_id, "title": "Late arrival",
         "text": "committed after Datasette started: quetzalcoatl",
         "published_at": "2026-11-22T23:00:00Z"}
    )  # fmt: skip
    try:
        rows = site.json("/trendscout/posts.json", _search="quetzalcoatl", _shape="array")
        assert [r["id"] for r in rows] == ["late-post"]
    finally:
        db["posts"].delete("late-post")
        db.close()


# -- findings: canned queries, exports, links, home page, dashboards ------------------------


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_canned_query_answers(site: Site, name: str) -> None:
    data = site.json(f"/trendscout/{name}.json", _shape="objects")
    assert data["ok"] and data["rows"], f"{name} returned no rows on the fixture"
    status, _, text = site.get(f"/trendscout/{name}.csv")
    assert status == 200
    header, *records = list(csv.reader(io.StringIO(text)))
    assert header == data["columns"] and len(records) == len(data["rows"])
    _, _, page = site.get(f"/trendscout/{name}")
    assert QUERIES[name]["title"] in page


@pytest.mark.parametrize(
    "table", ["trends", "audience_shifts", "topics", "topic_weeks", "post_segments", "posts"]
)
def test_findings_tables_export_as_csv_and_json(site: Site, table: str) -> None:
    rows = site.json(f"/trendscout/{table}.json", _shape="array", _size="max")
    status, headers, text = site.get(f"/trendscout/{table}.csv", _size="max", _dl="1")
    assert status == 200 and rows
    assert headers["content-type"].startswith("text/csv")
    header, *records = list(csv.reader(io.StringIO(text)))
    assert header == list(rows[0]) and len(records) == len(rows)


@pytest.mark.parametrize(
    ("name", "params", "check"),
    [
        ("emerging_this_week", {"language": "vi"},
         lambda rows: rows and all("vi" in r["languages"].split(", ") for r in rows)),
        ("emerging_this_week", {"kind": "entity"},
         lambda rows: [r["trend"] for r in rows] == ["Starfall Arena"]),
        ("emerging_this_week", {"as_of": "2020-01-01"}, lambda rows: rows == []),
        ("fading", {}, lambda rows: rows and all(r["growth"] < 1 for r in rows)),
        ("audience_shifts", {"entity": "Starfall Arena", "dimension": "gender"},
         lambda rows: [(r["segment"], r["change_points"]) for r in rows] == [("female", 23.0)]),
        ("topic_timeline", {"topic": "handheld / battery / student"},
         lambda rows: len(rows) == 12
         and {r["topic"] for r in rows} == {"handheld / battery / student"}),
        ("entity_timeline", {"entity": "星落竞技场"},
         lambda rows: rows and all(r["languages"] == "zh" for r in rows)),
        ("entity_timeline", {"entity": "starfall arena", "source": "Quokka Games Blog"},
         lambda rows: sum(r["posts"] for r in rows) == 2),
        ("posts_behind_a_trend", {"kind": "term", "label": "quà tết"},
         lambda rows: len(rows) == 9 and all(r["url"].startswith("https://") for r in rows)),
        ("crawl_health", {"source": "Chinese player forum"},
         lambda rows: [(r["last_status"], r["latest_error"][:7]) for r in rows]
         == [("failed", "timeout")]),
    ],
)  # fmt: skip
def test_canned_query_parameters_narrow_the_answer(
    site: Site, name: str, params: dict[str, str], check: Any
) -> None:
    rows = site.json(f"/trendscout/{name}.json", _shape="array", **params)
    assert check(rows), rows[:3]


def test_evidence_links_lead_to_the_original_posts(site: Site) -> None:
    _, _, page = site.get("/trendscout/emerging_this_week")
    links = re.findall(r'<a href="(/trendscout/posts_behind_a_trend\?[^"]+)">(\d+) posts</a>', page)
    assert links
    href, count = next((h, c) for h, c in links if "Starfall+Arena" in h and "entity" in h)
    href = href.replace("&amp;", "&")
    rows = site.json(
        href.replace("posts_behind_a_trend?", "posts_behind_a_trend.json?_shape=array&")
    )
    assert len(rows) == int(count) and all(r["trend"] == "Starfall Arena" for r in rows)
    _, _, evidence = site.get(href)
    assert f'<a href="{rows[0]["url"]}">' in evidence  # linked to the original

    _, _, shifts = site.get("/trendscout/audience_shifts")
    shift_links = re.findall(r'href="(/trendscout/posts_behind_a_shift\?[^"]+)"', shifts)
    assert any("segment=female" in h for h in shift_links)


def test_home_page_shows_this_weeks_trends_and_shifts_with_evidence(site: Site) -> None:
    status, _, home = site.get("/")
    assert status == 200
    assert "Emerging this week" in home and "Audience shifts" in home
    assert "Starfall Arena" in home and "quà tết" in home
    assert re.search(r'href="/trendscout/posts_behind_a_trend\?[^"]*Starfall\+Arena', home)
    assert re.search(r'href="/trendscout/posts_behind_a_shift\?[^"]*segment=female', home)
    assert "rose" in home and "from 18% to 41%" in home
    # Charts and scripts are served from this Datasette, never from the internet.
    sources = re.findall(r'<script[^>]+src="([^"]+)"', home)
    sources += re.findall(r'<link rel="stylesheet" href="([^"]+)"', home)
    assert sources and all(s.startswith("/") for s in sources), sources
    for src in sources:
        assert site.get(src.split("?")[0])[0] == 200, src


def test_every_dashboard_chart_query_answers(site: Site) -> None:
    dashboards = METADATA["plugins"]["datasette-dashboards"]
    for slug, dashboard in dashboards.items():
        assert site.get(f"/-/dashboards/{slug}")[0] == 200
        for chart_slug, chart in dashboard["charts"].items():
            sql = re.sub(r"\[\[.*?\]\]", "", chart["query"], flags=re.S)
            data = site.json("/trendscout.json", sql=sql, _shape="objects")
            assert data["rows"], f"{slug}/{chart_slug} has no data"
            # ... and with every filter set
            filled = re.sub(r"\[\[(.*?)\]\]", r"\1", chart["query"], flags=re.S)
            params = {
                "language": "vi",
                "source": "Vietnamese game news",
                "dimension": "gender",
                "topic": "handheld / battery / student",
                "entity": "Starfall Arena",
            }
            site.json("/trendscout.json", sql=filled, **params)


def test_serves_under_the_same_name_whatever_the_file_is_called(site: Site) -> None:
    assert site.db_path.stem != "trendscout"
    names = [d["name"] for d in site.json("/-/databases.json")]
    assert names == ["trendscout"]


# -- the serve command -----------------------------------------------------------------------


def test_datasette_args_use_our_config_and_this_environment(tmp_path: Path) -> None:
    db_path = tmp_path / "x.db"
    args = serve.datasette_args(db_path, "127.0.0.1", 9999)
    assert Path(args[0]).parent == Path(sys.executable).parent  # this venv's datasette
    joined = " ".join(args)
    for expected in (
        f"serve {db_path}",
        "--host 127.0.0.1 --port 9999",
        f"--metadata {serve.METADATA}",
        f"--template-dir {serve.TEMPLATES}",
        f"--plugins-dir {serve.PLUGINS}",
        "--setting allow_download off",
    ):
        assert expected in joined
    assert "-i" not in args
    immutable = serve.datasette_args(db_path, immutable=True)
    assert immutable[immutable.index("-i") + 1] == str(db_path)


def test_serve_without_a_database_says_how_to_make_one(tmp_path: Path) -> None:
    result = run_trendscout("serve", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert (
        "missing.db" in message and "trendscout crawl" in message and "trendscout demo" in message
    )


def test_serve_on_a_busy_port_says_so(tmp_path: Path) -> None:
    open_db(tmp_path / "ok.db").close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_trendscout("serve", "--db", str(tmp_path / "ok.db"), "--port", str(port))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"port {port}" in result.stderr and "--port" in result.stderr


def test_immutable_snapshot_includes_rows_still_in_the_write_ahead_log(tmp_path: Path) -> None:
    db_path = tmp_path / "snapshot.db"
    writer = open_db(db_path)
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the schema is in the file ...
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # ... new rows stay in the WAL
    writer["sources"].insert({"id": 1, "name": "s", "type": "feed", "url": "http://x.example/"})
    writer["posts"].insert_all(
        {"id": f"p{i}", "source_id": 1, "text": "t", "published_at": "2026-11-20"} for i in range(5)
    )

    def count_immutable() -> int:
        async def count() -> int:
            ds = Datasette(immutables=[str(db_path)])
            await ds.invoke_startup()
            name = next(n for n in ds.databases if n not in ("_internal", "_memory"))
            response = await ds.client.get(f"/{name}/posts.json?_size=1")
            return response.json()["filtered_table_rows_count"]

        return asyncio.run(count())

    assert count_immutable() == 0  # without the checkpoint the rows are invisible
    serve.checkpoint(db_path)
    assert count_immutable() == 5
    writer.close()


def test_password_from_the_environment_guards_every_page(tmp_path: Path) -> None:
    db_path = tmp_path / "private.db"
    open_db(db_path).close()
    with running_datasette(db_path, env={"TRENDSCOUT_PASSWORD": "correct horse"}) as base:
        no_redirects = urllib.request.build_opener(NoRedirect)
        for path in ("/", "/trendscout/posts", "/trendscout/emerging_this_week"):
            with pytest.raises(urllib.error.HTTPError) as denied:
                no_redirects.open(base + path, timeout=10)
            assert denied.value.code == 302 and denied.value.headers["location"] == "/-/login"
        with pytest.raises(urllib.error.HTTPError) as api:
            urllib.request.urlopen(base + "/trendscout/posts.json", timeout=10)
        assert api.value.code == 403

        token = base64.b64encode(b"trendscout:correct horse").decode()
        request = urllib.request.Request(
            base + "/trendscout/posts.json", headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = urllib.parse.urlencode({"username": "trendscout", "password": "correct horse"})
        browser.open(base + "/-/login", data=login.encode(), timeout=10)
        with browser.open(base + "/", timeout=10) as response:
            assert response.status == 200 and "Emerging this week" in response.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_datasette_environment_hashes_a_plain_password() -> None:
    env = serve.datasette_env({"TRENDSCOUT_PASSWORD": "s3cret", "PATH": "/bin"})
    assert "TRENDSCOUT_PASSWORD" not in env and env["PATH"] == "/bin"
    from datasette_auth_passwords.utils import verify_password

    assert verify_password("s3cret", env["TRENDSCOUT_PASSWORD_HASH"])
    assert serve.datasette_env({"PATH": "/bin"}) == {"PATH": "/bin"}


def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("shopping list\n" * 200)
    with pytest.raises(serve.ServeError, match="not a usable SQLite database"):
        serve.check_database(bogus)


@pytest.mark.slow
def test_every_canned_query_and_chart_answers_on_the_demo_database(tmp_path: Path) -> None:
    """The bundled demo, crawled and analysed for real, published: nothing errors."""
    demo = run_trendscout("demo", "--no-serve", "--workdir", str(tmp_path / "demo"))
    assert demo.returncode == 0, demo.stderr[-2000:]
    with running_datasette(tmp_path / "demo" / "trendscout.db") as base:
        site = Site(base, tmp_path / "demo" / "trendscout.db")
        for name in QUERIES:
            data = site.json(f"/trendscout/{name}.json", _shape="objects")
            assert data["ok"], name
        assert site.json("/trendscout/emerging_this_week.json", _shape="array")
        for dashboard in METADATA["plugins"]["datasette-dashboards"].values():
            for chart in dashboard["charts"].values():
                sql = re.sub(r"\[\[.*?\]\]", "", chart["query"], flags=re.S)
                assert site.json("/trendscout.json", sql=sql)["ok"]
        status, _, home = site.get("/")
        assert status == 200 and "Emerging this week" in home
        assert "&lt;script&gt;" in site.get("/trendscout/posts", _search="script")[2]


def test_stopping_serve_stops_datasette_too(tmp_path: Path) -> None:
    db_path = tmp_path / "stop.db"
    open_db(db_path).close()
    port = free_port()
    serving = subprocess.Popen(
        [sys.executable, "-m", "pipelines.serve", "--db", str(db_path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, cleaned up below if the test fails
    )
    url = f"http://127.0.0.1:{port}/-/versions.json"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "Datasette did not start"
                time.sleep(0.2)
        serving.terminate()  # SIGTERM to `trendscout serve` only, as a service manager does
        assert serving.wait(timeout=15) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serving.pid, signal.SIGKILL)
        serving.wait()
