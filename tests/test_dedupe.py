"""Three layers of duplicate detection: canonical URL, exact content, near-duplicates."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlite_utils

from pipelines.dedupe import MIN_JACCARD, band_keys, jaccard, minhash, shingles
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
