"""Three layers of duplicate detection: canonical URL, exact content, near-duplicates."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlite_utils

from crawler.items import PostItem
from pipelines.db import MIGRATIONS, open_db
from pipelines.dedupe import MIN_JACCARD, band_keys, jaccard, minhash, shingles
from pipelines.store import post_id, store_items
from tests.conftest import FIXTURES, run_trendscout

ORIGINAL = (FIXTURES / "feeds" / "dup_original.xml").read_text(encoding="utf-8")


def test_small_edits_stay_similar_and_other_text_does_not() -> None:
    text = ORIGINAL.split("<description>")[2].split("</description>")[0]
    edited = text.replace("to work", "to the office")
    other = "The esports league announced a new season with twelve teams from four countries."
    assert jaccard(shingles(text), shingles(edited)) >= MIN_JACCARD
    assert jaccard(shingles(text), shingles(other)) < 0.05
    a, b = minhash(shingles(text)), minhash(shingles(edited))
    assert a is not None and b is not None
    # Similar sets share most MinHash values, so they share LSH bands.
    assert set(band_keys(a)) & set(band_keys(b))


def test_short_texts_are_not_judged_and_cjk_is_shingled_by_character() -> None:
    assert minhash(shingles("too short to judge")) is None
    assert {"我 女 儿", "女 儿 玩"} <= shingles("我女儿玩星落竞技场")


def test_syndicated_copies_link_to_the_original(tmp_path: Path, serve_dir) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "feeds", root)
    server = serve_dir(root)
    config = tmp_path / "sources.yml"
    config.write_text(
        "sources:\n"
        f"  - {{name: original, type: feed, url: '{server.url('dup_original.xml')}'}}\n"
        f"  - {{name: aggregator, type: feed, url: '{server.url('dup_copies.xml')}'}}\n"
        "settings: {DOWNLOAD_DELAY: 0, AUTOTHROTTLE_ENABLED: false}\n",
        encoding="utf-8",
    )
    db_path = tmp_path / "t.db"
    # The original is crawled first, the aggregator later, as in real life.
    assert (
        run_trendscout(
            "crawl", "-c", str(config), "--db", str(db_path), "--source", "original"
        ).returncode
        == 0
    )
    result = run_trendscout("crawl", "-c", str(config), "--db", str(db_path))
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(db_path)
    rows = {(r["title"], r["url"]): r for r in db["posts"].rows}
    original = next(
        r
        for r in rows.values()
        if r["url"] == "http://original.example.com/handhelds" and r["source_id"] == 1
    )
    assert original["duplicate_of"] is None
    by_title = {title: r for (title, _), r in rows.items()}
    teaser = by_title["Handheld consoles are back (teaser)"]
    assert (teaser["duplicate_of"], teaser["duplicate_kind"]) == (original["id"], "url")
    assert teaser["url"] == "http://original.example.com/handhelds"  # tracking params gone
    copy = next(r for r in rows.values() if r["url"] == "http://aggregator.example.net/copy/1")
    assert (copy["duplicate_of"], copy["duplicate_kind"]) == (original["id"], "exact")
    edited = by_title["Why handheld consoles are back"]
    assert (edited["duplicate_of"], edited["duplicate_kind"]) == (original["id"], "near")
    assert by_title["A different story"]["duplicate_of"] is None
    # Nothing is lost: every post keeps its row.
    assert db["posts"].count == 5


def test_bands_stored_before_the_without_rowid_upgrade_still_find_near_duplicates(
    tmp_path: Path,
) -> None:
    text = ORIGINAL.split("<description>")[2].split("</description>")[0]
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before="m008_lsh_bands_without_rowid")  # bands in a rowid table
    old["sources"].insert_all(
        [
            {"id": 1, "name": "original", "type": "feed", "url": "https://a.example/"},
            {"id": 2, "name": "aggregator", "type": "feed", "url": "https://b.example/"},
        ]
    )
    ids = {"original": 1, "aggregator": 2}
    first = PostItem(source="original", url="https://a.example/1", title="Handhelds", text=text,
                     published_at="2026-11-02T08:00:00Z")  # fmt: skip
    store_items(old, [first], None, ids)
    stored = {tuple(r) for r in old.execute("select band, value, post_id from lsh_bands")}
    assert len(stored) == 16
    old.close()

    db = open_db(path)
    assert "WITHOUT ROWID" in db["lsh_bands"].schema
    assert {tuple(r) for r in db.execute("select band, value, post_id from lsh_bands")} == stored
    assert ["post_id"] in [index.columns for index in db["lsh_bands"].indexes]
    edited = text.replace("to work", "to the office")
    copy = PostItem(source="aggregator", url="https://b.example/9", title="Handhelds",
                    text=edited, published_at="2026-11-03T08:00:00Z")  # fmt: skip
    store_items(db, [copy], None, ids)
    row = db["posts"].get(post_id("aggregator", copy.url))
    assert (row["duplicate_of"], row["duplicate_kind"]) == (post_id("original", first.url), "near")
    assert db.execute("select count(*) from lsh_bands").fetchone()[0] == 32
