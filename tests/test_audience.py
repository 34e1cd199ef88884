"""The audience step of the analysis: posts are tagged once, re-tagged when they change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlite_utils

from nlp.segments import SegmentTagger
from pipelines.analyze import AnalysisOptions, Progress, Step, prepare_posts, run_analysis
from pipelines.audience import tag_posts, window_segments
from pipelines.db import open_db
from tests.fixtures.segments.corpus import LANGUAGES, load_sentences

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


# ---------------------------------------------------------------------------------------------
# Tagging in the prepare pass: the same rows as the separate tagging pass


def _fixture_posts(count: int) -> list[dict[str, object]]:
    """Posts in four languages built from the tagger's fixture sentences (disclosures and
    traps), some without a title, a few without any text."""
    sentences = [(lang, s.text) for lang, items in load_sentences().items() for s in items]
    posts: list[dict[str, object]] = []
    for i in range(count):
        lang, text = sentences[i % len(sentences)]
        _, other = sentences[(7 * i + 3) % len(sentences)]
        title = None if i % 3 == 0 else f"Post {i}"
        body = "" if i % 97 == 0 else f"{text} {other if i % 2 else ''}".strip()
        posts.append(
            {"id": f"p{i:05d}", "source_id": 1 + LANGUAGES.index(lang), "title": title,
             "text": body, "content_hash": f"h{i}"}
        )  # fmt: skip
    return posts


def _segments_state(path: Path) -> tuple[list[tuple], list[tuple]]:
    db = sqlite_utils.Database(path)
    try:
        return (
            db.execute("select id, lang, segments_hash from posts order by id").fetchall(),
            db.execute(
                "select post_id, dimension, segment, about, evidence from post_segments "
                "order by post_id, dimension, segment, about"
            ).fetchall(),
        )
    finally:
        db.close()


def _copy_db(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return target


def _prepare(path: Path, processes: int) -> dict[str, object]:
    options = AnalysisOptions(processes=processes)
    run = run_analysis(None, path, as_of="2026-11-22", options=options,
                       steps=(Step("prepare", prepare_posts),), progress=_Quiet())  # fmt: skip
    return run.stats["steps"]["prepare"]


def _old_path(before: Path, target: Path) -> None:
    """What the analysis did before prepare tagged posts: prepare (languages and tokens,
    leaving the segments as they were), then the audience step's tag_posts."""
    _copy_db(before, target)
    _prepare(target, 1)
    db = sqlite_utils.Database(target)
    with db.conn:  # put back the segments as they were before prepare
        db.execute("attach database ? as before", [str(before)])
        db.execute("delete from post_segments")
        db.execute("insert into post_segments select * from before.post_segments")
        db.execute(
            "update posts set segments_hash = "
            "(select b.segments_hash from before.posts b where b.id = posts.id)"
        )
    db.execute("detach database before")
    db.close()
    with open_db(target) as db:
        assert tag_posts(db, SegmentTagger()) > 0


class _Quiet(Progress):
    def message(self, text: str) -> None:
        return None


@pytest.mark.parametrize("processes", [1, 2])
def test_prepare_tags_posts_as_the_separate_tagging_pass_did(
    tmp_path: Path, processes: int
) -> None:
    start = tmp_path / "start.db"
    db = open_db(start)
    db["sources"].insert_all(
        {"id": 1 + i, "name": f"{lang}-forum", "type": "feed", "url": f"https://{lang}.example/",
         "language": lang}
        for i, lang in enumerate(LANGUAGES)
    )  # fmt: skip
    db["posts"].insert_all(_fixture_posts(1200))
    db.close()

    new = _copy_db(start, tmp_path / "new.db")
    stats = _prepare(new, processes)
    assert stats["processes"] == processes and stats["tagged"] == 1200
    _old_path(start, tmp_path / "old.db")
    posts, segments = _segments_state(new)
    assert (posts, segments) == _segments_state(tmp_path / "old.db")
    assert all(digest == f"h{int(post_id[1:])}" for post_id, _, digest in posts)
    assert {segment for *_, segment, _, _ in segments} > {"unknown", "female", "parent"}
    with open_db(new) as db:
        assert tag_posts(db, SegmentTagger()) == 0  # nothing left for the audience step

    # A second round from there: edited posts (a disclosure added, one taken away, a language
    # changed) and one whose segments were never tagged (an older database).
    edits = [
        ("p00010", "As a girl who games, I love the new season."),
        ("p00011", "Patch notes are out."),
        ("p00012", "Moja córka gra w to codziennie."),
        ("p00013", "我是女生，我每天都玩这个游戏。"),
    ]
    db = sqlite_utils.Database(new)
    with db.conn:
        for post_id, text in edits:
            db.execute("update posts set text = ?, content_hash = ? where id = ?",
                       [text, f"edited {post_id}", post_id])  # fmt: skip
        db.execute("update posts set segments_hash = null where id = 'p00020'")
    db.close()
    second = _copy_db(new, tmp_path / "second.db")
    stats = _prepare(second, processes)
    # The language of the edited posts is detected again; p00020 is already prepared.
    assert (stats["posts"], stats["languages_detected"], stats["tagged"]) == (4, 4, 4)
    with open_db(second) as db:
        assert tag_posts(db, SegmentTagger()) == 1  # p00020, the catch-up
    _old_path(new, tmp_path / "second-old.db")
    assert _segments_state(second) == _segments_state(tmp_path / "second-old.db")
    found = window_segments(sqlite_utils.Database(second), [post_id for post_id, _ in edits])
    assert {m.segment for m in found["p00010"] if m.about == "author"} == {"female"}
    assert "p00011" not in found
