"""The schema is created and upgraded by the program itself; old databases keep their data."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from pipelines.db import MIGRATIONS, open_db


def test_new_database_has_every_table(tmp_path: Path) -> None:
    db = open_db(tmp_path / "t.db")
    expected = {
        "sources",
        "posts",
        "crawl_runs",
        "crawl_source_stats",
        "crawl_errors",
        "fetch_state",
        "crawl_state",
        "topics",
        "post_topics",
        "topic_weeks",
        "trends",
        "post_segments",
        "audience_shifts",
        "analysis_runs",
    }
    assert expected <= set(db.table_names())
    assert db["posts"].detect_fts() == "posts_fts"
    assert {
        "id",
        "source_id",
        "url",
        "thread_url",
        "title",
        "text",
        "author",
        "published_at",
        "lang",
        "content_hash",
        "fetched_at",
    } <= set(db["posts"].columns_dict)
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    open_db(tmp_path / "t.db").close()
    db = open_db(tmp_path / "t.db")
    names = [m.name for m in MIGRATIONS.applied(db)]
    assert len(names) == len(set(names)) >= 2
    assert MIGRATIONS.pending(db) == []


def test_old_database_is_upgraded_in_place_and_keeps_its_posts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    first = MIGRATIONS._migrations[0].name
    second = MIGRATIONS._migrations[1].name
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before=second)  # a database from the first release
    assert [m.name for m in MIGRATIONS.applied(old)] == [first]
    old["sources"].insert({"id": 1, "name": "blog", "type": "feed", "url": "https://a.example/"})
    old["posts"].insert(
        {
            "id": "p1",
            "source_id": 1,
            "url": "https://a.example/1",
            "title": "Hello",
            "text": "kept across upgrades",
        }
    )
    old.close()

    db = open_db(path)
    assert MIGRATIONS.pending(db) == []
    assert "trends" in db.table_names()
    assert db["posts"].get("p1")["text"] == "kept across upgrades"
    assert [r["title"] for r in db["posts"].search("upgrades")] == ["Hello"]
