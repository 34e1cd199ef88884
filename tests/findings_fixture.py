"""A small, plausible trendscout database with findings, and a real Datasette to serve it.

The analysis that fills the findings tables is written separately; until the demo
database has real findings, this builds twelve weeks of multilingual posts (Polish,
Vietnamese, Chinese, English) with a crawl log, topics, trends, audience segments and
shifts, through :func:`pipelines.db.open_db` and sqlite-utils. Deterministic: the same
arguments always give the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nlp.tokens import Tokenizer
from pipelines.db import open_db
from pipelines.store import content_hash, post_id

AS_OF = dt.date(2026, 11, 22)  # a Sunday: the analysed week is 16-22 Nov 2026 (2026-W47)
WEEKS = 12
HOSTILE_LABEL = "<script>alert('label')</script>"

SOURCES = [
    ("Polish gaming blog", "pl", "https://gry.example.pl/feed/"),
    ("Vietnamese game news", "vi", "https://tingame.example.vn/rss"),
    ("Chinese player forum", "zh", "https://bbs.example.cn/forum.php?mod=rss"),
    ("English indie blog", "en", "https://indie.example.com/atom.xml"),
]

# Theme → texts per language. {w} is a varying word so that texts differ.
THEMES: dict[str, dict[str, list[str]]] = {
    "starfall": {
        "pl": [
            "Starfall Arena: nowy sezon i ranking {w}",
            "Jako mama gram w Starfall Arena z córką, {w} tryb jest świetny",
            "Starfall Arena dostała patch {w}, balans postaci wreszcie ok",
        ],
        "vi": [
            "Starfall Arena mùa mới: đội hình {w} mạnh nhất",
            "Là mẹ hai con, tôi vẫn chơi Starfall Arena mỗi tối {w}",
            "Giải đấu Starfall Arena tuần này {w}",
        ],
        "zh": [
            "星落竞技场 (Starfall Arena) 新赛季 {w} 攻略",
            "作为妈妈，我和女儿一起玩星落竞技场 Starfall Arena {w}",
            "Starfall Arena 国服 {w} 活动上线",
        ],
        "en": [
            "Starfall Arena season 3 tier list {w}",
            "As a mom I finally found a game we all play: Starfall Arena {w}",
            "Starfall Arena ranked changes explained {w}",
        ],
    },
    "handheld": {
        "pl": ["Konsola przenośna i bateria: test {w}", "Jako student gram w pociągu, bateria {w}"],
        "vi": ["Máy chơi game cầm tay pin {w} giờ", "Là sinh viên, tôi cần máy cầm tay {w}"],
        "zh": ["掌机续航测试 {w} 小时", "作为学生，掌机续航 {w} 很重要"],
        "en": ["Handheld PC battery life test {w}", "As a student I game on a handheld {w}"],
    },
    "farming": {
        "pl": [
            "Gry o farmie na jesień {w}",
            "Spokojna gra o farmie {w} dla dzieci, mój syn ją kocha",
        ],
        "vi": ["Game nông trại thư giãn {w}", "Con trai tôi thích game nông trại {w}"],
        "zh": ["休闲种田游戏推荐 {w}", "我儿子喜欢种田游戏 {w}"],
        "en": ["Cozy farming games for autumn {w}", "My son loves this farming game {w}"],
    },
    "tet": {
        "vi": ["Quà Tết cho game thủ {w}", "Gợi ý quà Tết: tay cầm {w}"],
        "en": ["Lunar New Year gaming gifts {w}"],
        "zh": ["春节游戏礼物推荐 {w}"],
    },
}
WORDS = ["alpha", "beta", "nova", "zen", "orbit", "pixel", "ember", "delta", "comet", "echo"]


@dataclass(frozen=True)
class Findings:
    """What :func:`build_findings_db` wrote, for tests to ask about."""

    path: Path
    as_of: str
    emerging_entity: str
    topic_labels: list[str]
    posts: int


def _weekly_volume(theme: str, weeks_ago: int) -> int:
    """Posts per language and week: starfall rises, farming fades, tet is new."""
    if theme == "starfall":
        return 1 if weeks_ago > 2 else 4 if weeks_ago == 2 else 9 if weeks_ago == 1 else 14
    if theme == "farming":
        return 5 if weeks_ago > 3 else 2 if weeks_ago > 0 else 1
    if theme == "tet":
        return 3 if weeks_ago == 0 else 0
    return 3


def _segments(text: str, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(dimension, segment, evidence, about) found in one of the fixture texts."""
    found = []
    for phrase, seg in [
        ("mama", "female"),
        ("mẹ", "female"),
        ("妈妈", "female"),
        ("mom", "female"),
    ]:
        if phrase in text:
            found += [("gender", seg, phrase, "author"), ("role", "parent", phrase, "author")]
    for phrase in ("student", "sinh viên", "学生"):
        if phrase in text:
            found.append(("role", "student", phrase, "author"))
    for phrase in ("syn", "Con trai", "儿子", "son"):
        if phrase in text:
            found.append(("age", "child", phrase, "other"))
    if not any(d == "gender" for d, *_ in found) and rng.random() < 0.4:
        found.append(("gender", "male", rng.choice(["as a dad", "jako facet", "anh em"]), "author"))
    return found


def build_findings_db(path: str | Path, *, hostile: bool = False) -> Findings:
    """Write the fixture database at ``path`` (created or extended) and describe it.

    ``hostile`` adds a trend whose label is HTML, to check that pages escape it.
    """
    rng = random.Random(7)
    db = open_db(path)
    now = f"{AS_OF.isoformat()}T21:00:00Z"
    known = {r["name"] for r in db["sources"].rows}
    db["sources"].insert_all(
        {"name": name, "type": "feed", "url": url, "language": lang, "options": "{}",
         "added_at": "2026-08-01T08:00:00Z", "last_crawled_at": now}
        for name, lang, url in SOURCES
        if name not in known
    )  # fmt: skip
    source_ids = {r["name"]: r["id"] for r in db["sources"].rows}

    segmenter = Tokenizer()
    posts, segments, theme_posts = [], [], {t: [] for t in THEMES}
    for weeks_ago in range(WEEKS - 1, -1, -1):
        week_start = AS_OF - dt.timedelta(days=6 + 7 * weeks_ago)
        for theme, by_lang in THEMES.items():
            for lang, texts in by_lang.items():
                source = next(s for s in SOURCES if s[1] == lang)[0]
                for i in range(_weekly_volume(theme, weeks_ago)):
                    text = texts[i % len(texts)].format(w=rng.choice(WORDS))
                    day = week_start + dt.timedelta(days=rng.randrange(7))
                    guid = f"{theme}-{lang}-{weeks_ago}-{i}"
                    pid = post_id(source, guid)
                    posts.append(
                        {
                            "id": pid,
                            "source_id": source_ids[source],
                            "url": f"https://example.org/{lang}/{guid}",
                            "title": text.split(":")[0][:60],
                            "text": text,
                            "author": f"{lang}-user-{rng.randrange(40)}",
                            "published_at": f"{day.isoformat()}T{rng.randrange(24):02d}:15:00Z",
                            "date_estimated": 0,
                            "lang": lang,
                            "lang_confidence": 0.97,
                            "content_hash": content_hash(None, text),
                            # what the analysis writes, so Chinese words are searchable
                            "search_text": segmenter.search_text(text, lang)
                            if lang == "zh"
                            else None,
                            "guid": guid,
                            "fetched_at": now,
                            "first_seen_at": now,
                            "updated_at": now,
                        }
                    )
                    theme_posts[theme].append((weeks_ago, pid))
                    segments += [
                        {"post_id": pid, "dimension": d, "segment": s, "evidence": e, "about": a}
                        for d, s, e, a in _segments(text, rng)
                    ]
    with db.atomic():
        db["posts"].upsert_all(posts, pk="id", alter=True)
        db["post_segments"].upsert_all(segments, pk=("post_id", "dimension", "segment", "about"))
        _crawl_log(db, source_ids)
        topic_labels = _topics(db, theme_posts)
        _trends(db, theme_posts, hostile)
        _shifts(db, theme_posts)
        db["analysis_runs"].insert(
            {"as_of": AS_OF.isoformat(), "started_at": now, "finished_at": now,
             "status": "ok", "posts": len(posts), "stats": json.dumps({"coverage": 0.93})}
        )  # fmt: skip
    count = db["posts"].count
    db.close()
    return Findings(Path(path), AS_OF.isoformat(), "Starfall Arena", topic_labels, count)


def _crawl_log(db, source_ids: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    for run in range(1, 4):
        started = (AS_OF - dt.timedelta(days=7 * (3 - run))).isoformat() + "T06:00:00Z"
        run_id = db["crawl_runs"].insert(
            {"started_at": started, "finished_at": started.replace("06:00", "06:04"),
             "status": "partial" if run == 3 else "ok", "sources": len(source_ids),
             "requests": 9, "posts_new": 40 * run, "posts_updated": run, "posts_unchanged": 12,
             "errors": 1 if run == 3 else 0}
        ).last_pk  # fmt: skip
        for name, sid in source_ids.items():
            failed = run == 3 and name == "Chinese player forum"
            db["crawl_source_stats"].insert(
                {"run_id": run_id, "source_id": sid, "requests": 1 if failed else 2,
                 "not_modified": 0, "posts_new": 0 if failed else 10 * run, "posts_updated": 0,
                 "posts_unchanged": 3, "errors": int(failed),
                 "status": "failed" if failed else "ok"}
            )  # fmt: skip
            if failed:
                db["crawl_errors"].insert(
                    {"run_id": run_id, "source_id": sid, "url": SOURCES[2][2], "error": "timeout",
                     "message": "no answer within 30 s", "occurred_at": started}
                )  # fmt: skip


def _iso_week(weeks_ago: int) -> str:
    year, week, _ = (AS_OF - dt.timedelta(days=7 * weeks_ago)).isocalendar()
    return f"{year}-W{week:02d}"


def _topics(db, theme_posts: dict[str, list[tuple[int, str]]]) -> list[str]:  # type: ignore[no-untyped-def]
    labels = {
        "starfall": "starfall arena / season / ranked",
        "handheld": "handheld / battery / student",
        "farming": "farming / cozy / autumn",
        "tet": "tết / gifts / new year",
    }
    for topic_id, (theme, label) in enumerate(labels.items(), start=1):
        members = theme_posts[theme]
        db["topics"].upsert(
            {"id": topic_id, "label": label, "top_terms": json.dumps(label.split(" / ")),
             "size": len(members), "languages": json.dumps(sorted(THEMES[theme])),
             "first_seen": "2026-09-06", "last_seen": AS_OF.isoformat(), "centroid": b"\0" * 16},
            pk="id",
        )  # fmt: skip
        db["post_topics"].upsert_all(
            [{"post_id": pid, "topic_id": topic_id, "weight": 0.8} for _, pid in members],
            pk=("post_id", "topic_id"),
        )
        per_week: dict[int, int] = {}
        for weeks_ago, _ in members:
            per_week[weeks_ago] = per_week.get(weeks_ago, 0) + 1
        db["topic_weeks"].upsert_all(
            [{"topic_id": topic_id, "week": _iso_week(w), "posts": n, "authors": max(1, n - 1)}
             for w, n in per_week.items()],
            pk=("topic_id", "week"),
        )  # fmt: skip
    return list(labels.values())


def _trends(db, theme_posts: dict[str, list[tuple[int, str]]], hostile: bool) -> None:  # type: ignore[no-untyped-def]
    def evidence(theme: str) -> str:
        return json.dumps([pid for w, pid in theme_posts[theme] if w == 0][:20])

    rows = [
        ("entity", "Starfall Arena", 6.8, 56, 4.1, 13.7, "emerging", "starfall", 1),
        (
            "topic",
            "starfall arena / season / ranked",
            5.9,
            56,
            4.3,
            13.0,
            "emerging",
            "starfall",
            1,
        ),
        ("term", "quà tết", 4.4, 9, 0.0, 9.0, "new", "tet", None),
        ("term", "tier list", 2.6, 4, 1.2, 3.3, "emerging", "starfall", None),
        ("topic", "handheld / battery / student", 0.3, 24, 24.0, 1.0, "steady", "handheld", 2),
        ("topic", "farming / cozy / autumn", -2.9, 7, 18.5, 0.38, "fading", "farming", 3),
        ("term", "farming game", -2.2, 4, 11.0, 0.36, "fading", "farming", None),
    ]
    if hostile:
        rows.append(("term", HOSTILE_LABEL, 3.1, 5, 1.0, 5.0, "emerging", "tet", None))
    db["trends"].upsert_all(
        [
            {"as_of": AS_OF.isoformat(), "kind": kind, "label": label, "score": score,
             "recent_count": recent, "recent_posts": recent + recent // 4,
             "baseline_mean": base, "expected": base * 1.1, "growth": growth,
             "authors": recent + int(base * WEEKS), "p_value": 0.001 if score > 2 else 0.4,
             "p_adjusted": 0.004 if score > 2 else 0.6,
             "status": status, "languages": json.dumps(sorted(THEMES[theme])),
             "evidence": evidence(theme), "topic_id": topic_id}
            for kind, label, score, recent, base, growth, status, theme, topic_id in rows
        ],
        pk=("as_of", "kind", "label"),
    )  # fmt: skip


def _shifts(db, theme_posts: dict[str, list[tuple[int, str]]]) -> None:  # type: ignore[no-untyped-def]
    recent = [pid for w, pid in theme_posts["starfall"] if w == 0]
    female = [
        r["post_id"]
        for r in db.query(
            "select s.post_id from post_segments s join json_each(?) j on j.value = s.post_id "
            "where s.segment = 'female' order by j.key",
            [json.dumps(recent)],
        )
    ]
    base = {"as_of": AS_OF.isoformat(), "subject_kind": "entity", "subject": "Starfall Arena"}
    db["audience_shifts"].upsert_all(
        [
            {**base, "dimension": "gender", "segment": "female", "baseline_share": 0.18,
             "recent_share": 0.41, "baseline_n": 38, "recent_n": 51, "baseline_posts": 52,
             "recent_posts": 56, "lift": 0.23, "ci_low": 0.07, "ci_high": 0.38,
             "p_value": 0.004, "p_adjusted": 0.012, "significant": 1, "direction": "up",
             "evidence": json.dumps(female)},
            {**base, "dimension": "role", "segment": "parent", "baseline_share": 0.12,
             "recent_share": 0.30, "baseline_n": 30, "recent_n": 44, "baseline_posts": 52,
             "recent_posts": 56, "lift": 0.18, "ci_low": 0.02, "ci_high": 0.33,
             "p_value": 0.02, "p_adjusted": 0.04, "significant": 1, "direction": "up",
             "evidence": json.dumps(female)},
            {**base, "subject_kind": "topic", "subject": "farming / cozy / autumn",
             "dimension": "age", "segment": "child", "baseline_share": 0.45,
             "recent_share": 0.30, "baseline_n": 22, "recent_n": 6, "baseline_posts": 60,
             "recent_posts": 7, "lift": -0.15, "ci_low": -0.52, "ci_high": 0.21,
             "p_value": 0.5, "p_adjusted": 0.7, "significant": 0, "direction": "down",
             "evidence": json.dumps([pid for w, pid in theme_posts["farming"] if w == 0])},
        ],
        pk=("as_of", "subject_kind", "subject", "dimension", "segment"),
    )  # fmt: skip


# -- a real `trendscout serve` process ----------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_datasette(
    db_path: str | Path, *, env: dict[str, str] | None = None, timeout: float = 60
) -> Iterator[str]:
    """Run ``trendscout serve`` (a real Datasette) on a free port; yields its base URL.

    Started as ``python -m pipelines.serve`` (the same click command; the full program
    also imports the analysis libraries, which only slows the start).

    Stopped (SIGTERM, then SIGKILL) when the block ends.
    """
    port = free_port()
    repo = Path(__file__).resolve().parent.parent
    # Datasette logs a long traceback for every rejected query: a file, never a pipe that
    # nobody reads (a full pipe would block the server).
    log = tempfile.TemporaryFile(mode="w+", prefix="datasette-", suffix=".log")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.serve", "--db", str(db_path), "--port", str(port)],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the datasette child is stopped with it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"trendscout serve exited early:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers (e.g. 403 behind a password): it is up
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"Datasette did not answer on {base} in {timeout} s"
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
