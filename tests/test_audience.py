"""The audience step of the analysis: posts are tagged once, re-tagged when they change."""

from __future__ import annotations

from pathlib import Path

from nlp.segments import SegmentTagger
from pipelines.audience import tag_posts, window_segments
from pipelines.db import open_db

POSTS = [
    ("p1", "en", "As a girl who games, I love the new season.", "h1"),
    ("p2", "pl", "Moja córka gra w to codziennie.", "h2"),
    ("p3", "en", "Patch notes are out.", "h3"),
]


def test_posts_are_tagged_once_and_again_only_when_their_text_changes(tmp_path: Path) -> None:
    db = open_db(tmp_path / "t.db")
    db["sources"].insert({"id": 1, "name": "s", "type": "feed", "url": "https://a.example/"})
    db["posts"].insert_all(
        {"id": pid, "source_id": 1, "lang": lang, "text": text, "content_hash": digest}
        for pid, lang, text, digest in POSTS
    )
    tagger = SegmentTagger()
    assert tag_posts(db, tagger) == 3
    found = window_segments(db, ["p1", "p2", "p3"])
    assert {(m.segment, m.about) for m in found["p1"]} == {("female", "author")}
    assert ("parent", "author") in {(m.segment, m.about) for m in found["p2"]}
    assert ("female", "other") in {(m.segment, m.about) for m in found["p2"]}
    assert "p3" not in found
    # Every post has rows, undisclosed dimensions as "unknown", so coverage can be read off.
    unknown = db.execute(
        "select count(*) from post_segments where post_id = 'p3' and segment = 'unknown'"
    ).fetchone()[0]
    assert unknown == len(tagger.dimensions)

    assert tag_posts(db, tagger) == 0  # nothing new
    db["posts"].update("p3", {"text": "I'm 15 and I play every day.", "content_hash": "h3b"})
    assert tag_posts(db, tagger) == 1
    assert {m.segment for m in window_segments(db, ["p3"])["p3"]} == {"teen"}
