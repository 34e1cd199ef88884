"""Every real-world feed in ../shared/corpus/feeds/, crawled in one run on 127.0.0.1.

None may crash the crawl; a feed that cannot be read is recorded in crawl_errors and the
others still run. Expectations per file sit in EXPECT below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlite_utils

from pipelines.localserver import LocalServer
from tests.conftest import SHARED_CORPUS, run_trendscout

FEEDS_DIR = SHARED_CORPUS / "feeds"
FEED_FILES = (
    sorted(p.name for p in FEEDS_DIR.glob("*") if p.is_file()) if FEEDS_DIR.is_dir() else []
)

# Not feeds at all: HTML pages, fragments or empty documents served at a feed URL.
UNREADABLE = {
    "zh_egoist_moe_atom_url_returns_html_fragment.xml",
    "zh_yx_bsh_me_feed_url_returns_html_page.xml",
    "ru_wappblog_feed_url_returns_parked_domain.xml",
    "feedparser_illformed_rss_empty_document.xml",
}
# feedparser test cases whose feed holds no entry with text: read fine, nothing to store.
NO_ENTRIES = {
    "feedparser_encoding_bozo_bogus_encoding.xml",
    "feedparser_encoding_bozo_invalid_bytes_with_bom.xml",
    "feedparser_illformed_chardet_big5_zh.xml",
    "feedparser_illformed_undeclared_namespace.xml",
    "feedparser_encoding_utf16le_bom.xml",
    "feedparser_illformed_http_high_bit_date.xml",
    "feedparser_illformed_rss_incomplete_cdata.xml",
    "feedparser_illformed_rss_item_link_corrupted_ampersands.xml",
    "rssparser_incomplete_fields.atom",
}
# A phrase that must appear, correctly decoded, in some stored post of that feed.
CONTAINS = {
    "miniflux_windows1251_ru.xml": re.compile(r"[а-яА-Я]{4,}"),
    "jn_pt_iso8859-1.rss": re.compile(r"[ãçéõá]"),
    "uol_noticias_pt_latin1_no_xmldecl.rss": re.compile(r"[ãçéõá]"),
    "miniflux_no_encoding_iso8859-1.xml": re.compile(r"[éèà]"),
    "feedparser_illformed_chardet_gb2312_zh.xml": re.compile(r"[\u4e00-\u9fff]"),
    "zh_ruanyifeng_blog_atom.xml": re.compile(r"[\u4e00-\u9fff]{4,}"),
    "miniflux_urdu_utf8.xml": re.compile(r"[\u0600-\u06ff]{3,}"),
}


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite_utils.Database]:
    if not FEEDS_DIR.is_dir():
        pytest.skip(
            f"shared corpus not found at {SHARED_CORPUS} (../shared/corpus beside the clone)"
        )
    tmp = tmp_path_factory.mktemp("corpus")
    with LocalServer(FEEDS_DIR) as server:
        lines = ["sources:"]
        for name in FEED_FILES:
            lines += [f"  - name: {name}", "    type: feed", f"    url: {server.url(name)}"]
        lines += ["settings:", "  DOWNLOAD_DELAY: 0", "  AUTOTHROTTLE_ENABLED: false"]
        config = tmp / "sources.yml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = run_trendscout("crawl", "-c", str(config), "--db", str(tmp / "c.db"))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1  # the unreadable ones failed; everything else ran
    yield sqlite_utils.Database(tmp / "c.db")


def _posts(db: sqlite_utils.Database, name: str) -> list[dict]:
    return list(
        db.query(
            "select p.* from posts p join sources s on s.id = p.source_id where s.name = ?", [name]
        )
    )


@pytest.mark.parametrize("name", FEED_FILES)
def test_each_real_feed_is_read_or_recorded(corpus_db: sqlite_utils.Database, name: str) -> None:
    posts = _posts(corpus_db, name)
    errors = list(
        corpus_db.query(
            "select e.error from crawl_errors e join sources s on s.id = e.source_id "
            "where s.name = ?",
            [name],
        )
    )
    if name in UNREADABLE:
        assert [e["error"] for e in errors] == ["unreadable_feed"]
        assert posts == []
        return
    assert errors == []
    if name in NO_ENTRIES:
        assert posts == []
        return
    assert posts, f"{name}: no posts stored"
    for post in posts:
        assert post["text"].strip()
        assert post["url"].startswith(("http://", "https://"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["published_at"])
        assert "\ufffd" not in post["text"] or name == "feedparser_encoding_bozo_linenoise.xml"
    if name in CONTAINS:
        assert any(CONTAINS[name].search(p["text"] + (p["title"] or "")) for p in posts)


def test_relative_links_in_real_atom_are_resolved_against_the_feed(
    corpus_db: sqlite_utils.Database,
) -> None:
    # The capture's links are root-relative (/blog/...) with no xml:base, so they resolve
    # against where the feed was fetched from: here, the local server.
    posts = _posts(corpus_db, "samruby_intertwingly_atom_relative_links.xml")
    assert len(posts) == 20
    assert all(re.match(r"http://127\.0\.0\.1:\d+/blog/20\d\d/", p["url"]) for p in posts)


def test_full_content_preferred_over_summary(corpus_db: sqlite_utils.Database) -> None:
    posts = _posts(corpus_db, "content_encoded_rss2.rss")
    assert posts and min(len(p["text"]) for p in posts) > 500


def test_a_bogus_dc_date_does_not_hide_the_valid_pubdate(
    corpus_db: sqlite_utils.Database,
) -> None:
    posts = {p["url"]: p for p in _posts(corpus_db, "feedjira_invalid_date_format.xml")}
    assert posts["http://example.com/item0"]["published_at"] == "2017-10-16T15:10:00Z"
    assert posts["http://example.com/item1"]["published_at"] == "2017-10-17T12:17:00Z"
    assert not any(p["date_estimated"] for p in posts.values())
