"""The schema is created and upgraded by the program itself; old databases keep their data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
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


def test_link_tables_become_without_rowid_and_keep_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "m8.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before="m009_link_tables_without_rowid")
    old["sources"].insert({"id": 1, "name": "blog", "type": "feed", "url": "https://a.example/"})
    old["posts"].insert({"id": "p1", "source_id": 1, "url": "https://a.example/1", "text": "hi"})
    old["topics"].insert({"id": 7, "label": "games"})
    old["post_topics"].insert({"post_id": "p1", "topic_id": 7, "weight": 0.5})
    old["post_segments"].insert_all([
        {"post_id": "p1", "dimension": "gender", "segment": "female", "evidence": "as a girl",
         "about": "author"},
        {"post_id": "p1", "dimension": "age", "segment": "unknown", "evidence": "",
         "about": "author"},
    ])  # fmt: skip
    old.close()

    db = open_db(path)
    assert MIGRATIONS.pending(db) == []
    for table in ("post_topics", "post_segments"):
        assert "WITHOUT ROWID" in db[table].schema
    assert list(db.query("select * from post_topics")) == [
        {"post_id": "p1", "topic_id": 7, "weight": 0.5}
    ]
    assert db.execute("select count(*) from post_segments").fetchone()[0] == 2
    assert {i.name for i in db["post_topics"].indexes} >= {"idx_post_topics_topic_id"}
    assert "idx_post_topics_post_id" not in {i.name for i in db["post_topics"].indexes}
    assert db["post_segments"].pks == ["post_id", "dimension", "segment", "about"]
    with pytest.raises(sqlite3.IntegrityError):  # foreign keys still checked
        db.execute("insert into post_topics values ('no such post', 7, 1.0)")
