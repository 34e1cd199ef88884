"""The weekly digest: what it says, in every format, read from a database of findings."""

from __future__ import annotations

import datetime as dt
import json
import struct
import zlib
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.config import ConfigError, parse_config
from pipelines.db import open_db
from pipelines.digest import (
    SPARK_COLOURS,
    DigestError,
    DigestSettings,
    build_email,
    digest_settings,
    gather_digest,
    markdown_escape,
    render,
    spark_text,
    sparkline_png,
)
from pipelines.store import post_id
from tests.findings_fixture import AS_OF, build_findings_db

HOSTILE_POST = "Fajny mod <script>steal(document.cookie)</script> do Starfall Arena"


@pytest.fixture(scope="module")
def findings_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture database, plus a hostile post in the top trend's evidence and an
    earlier analysed week (2026-11-15) with different findings."""
    path = tmp_path_factory.mktemp("digest") / "findings.db"
    build_findings_db(path, hostile=True)
    db = open_db(path)
    source_id = db.execute("select id from sources where language = 'pl'").fetchone()[0]
    hostile_id = post_id("Polish gaming blog", "hostile-1")
    db["posts"].insert(
        {
            "id": hostile_id,
            "source_id": source_id,
            "url": "https://gry.example.pl/mod?a=1&b=<2>",
            "title": "",
            "text": HOSTILE_POST,
            "author": "troll",
            "lang": "pl",
            "published_at": "2026-11-20T10:00:00Z",
        }
    )
    row = db["trends"].get((AS_OF.isoformat(), "entity", "Starfall Arena"))
    db["trends"].update(
        (AS_OF.isoformat(), "entity", "Starfall Arena"),
        {"evidence": json.dumps([hostile_id, *json.loads(row["evidence"])])},
    )
    db["trends"].insert(
        {
            "as_of": "2026-11-15",
            "kind": "term",
            "label": "handheld battery",
            "score": 3.2,
            "recent_count": 12,
            "baseline_mean": 3.0,
            "growth": 3.25,
            "authors": 12,
            "p_value": 0.004,
            "status": "emerging",
            "languages": '["en", "pl"]',
            "evidence": "[]",
        }
    )
    db.close()
    return path


@pytest.fixture
def digest(findings_db: Path):  # type: ignore[no-untyped-def]
    db = open_db(findings_db)
    result = gather_digest(db, AS_OF, DigestSettings(top=5, examples=3))
    db.close()
    return result


def test_the_week_shows_rising_new_fading_and_audience_shifts(digest) -> None:  # type: ignore[no-untyped-def]
    assert digest.as_of == "2026-11-22" and digest.week == "2026-W47"
    assert digest.period == "16–22 Nov 2026"
    assert [t.label for t in digest.emerging][:2] == [
        "Starfall Arena",
        "starfall arena / season / ranked",
    ]
    assert digest.emerging[0].headline == (
        "56 people wrote about it this week, 13.7× the usual (about 4.1 a week before)."
    )
    assert [t.label for t in digest.new] == ["quà tết"]
    assert digest.new[0].headline.startswith("New: 9 people")
    assert [t.label for t in digest.fading] == ["farming / cozy / autumn", "farming game"]
    assert "62% fewer than usual" in digest.fading[0].headline
    # Only convincing shifts (the fixture's farming/child shift is not significant).
    assert [(s.subject, s.segment) for s in digest.shifts] == [
        ("Starfall Arena", "female"),
        ("Starfall Arena", "parent"),
    ]
    female = digest.shifts[0]
    assert (female.baseline_share, female.recent_share) == (0.18, 0.41)
    assert (female.ci_low_points, female.ci_high_points) == (7.0, 38.0)
    assert "rose from 18% to 41% (+23 points; likely between +7 and +38 points)" in female.headline
    assert "51 people this week and 38 people before" in female.basis
    assert female.confidence == "Confidence: good (p = 0.012)"
    assert digest.key_points[0].startswith("Rising: Starfall Arena")
    assert digest.summary.startswith("82 posts this week from 4 sources, in ")


def test_example_posts_come_in_their_own_languages_with_links(digest) -> None:  # type: ignore[no-untyped-def]
    starfall = digest.emerging[0]
    assert len(starfall.posts) == 3
    # The evidence lists Polish posts first, then Vietnamese: one per language before repeats.
    assert [p.lang for p in starfall.posts] == ["pl", "vi", "pl"]
    assert starfall.posts[0].title == HOSTILE_POST  # no title: the text stands in
    assert all(p.url and p.url.startswith("https://") for p in starfall.posts)
    assert all(p.source for p in starfall.posts)
    female = digest.shifts[0]
    phrases = {p.lang: p.evidence for p in female.posts}
    assert phrases.get("pl") == "mama" and phrases.get("vi") == "mẹ"
    assert any("星落竞技场" in p.title for p in female.posts)


def test_sparklines_follow_the_weekly_counts(digest) -> None:  # type: ignore[no-untyped-def]
    topic = digest.emerging[1]  # a topic: from topic_weeks
    assert topic.spark is not None and len(topic.spark.counts) == 12
    assert topic.spark.weeks[-1] == "2026-W47" and topic.spark.counts[-1] == max(topic.spark.counts)
    entity = digest.emerging[0]  # an entity: posts mentioning its name, per week
    assert entity.spark is not None and entity.spark.counts[-1] > entity.spark.counts[0]
    assert digest.fading[0].spark.tone == "down"
    assert spark_text([0, 1, 2, 4, 8]) == "▁▂▃▅█"


def _decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body)
        chunks[tag] = chunks.get(tag, b"") + body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + width * 3
    rows = [raw[i * stride + 1 : (i + 1) * stride] for i in range(height)]
    assert all(raw[i * stride] == 0 for i in range(height))
    return width, height, rows


def test_sparkline_png_is_a_valid_image_with_bars_in_proportion() -> None:
    width, height, rows = _decode_png(sparkline_png([0, 5, 10], "up", size=(30, 20)))
    assert (width, height) == (30, 20)

    def pixel(x: int, y: int) -> tuple[int, ...]:
        return tuple(rows[y][x * 3 : x * 3 + 3])

    top, middle, bottom = 2, height // 2 + 1, height - 1  # bars leave a 2-pixel margin on top
    assert pixel(25, top) == SPARK_COLOURS["up"]  # the last (tallest) bar reaches the top
    assert pixel(25, top - 1) == SPARK_COLOURS["background"]
    assert pixel(15, top) == SPARK_COLOURS["background"]  # half-height bar does not
    assert pixel(15, middle) == SPARK_COLOURS["past"]
    assert pixel(5, bottom) == SPARK_COLOURS["stub"]  # an empty week: a faint stub
    assert pixel(5, middle) == SPARK_COLOURS["background"]


def test_html_escapes_hostile_labels_and_posts(digest) -> None:  # type: ignore[no-untyped-def]
    page = render(digest, "html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in page
    assert "&lt;script&gt;steal(document.cookie)&lt;/script&gt;" in page
    assert 'href="https://gry.example.pl/mod?a=1&amp;b=&lt;2&gt;"' in page
    assert page.count('src="data:image/png;base64,') == len(digest.images)
    assert 'lang="zh"' in page and 'lang="vi"' in page


def test_markdown_cannot_carry_raw_html_or_markup(digest) -> None:  # type: ignore[no-untyped-def]
    text = render(digest, "markdown")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "## Rising this week" in text and "### Starfall Arena (watched product)" in text
    assert markdown_escape("a *b* [c](d) <i>") == "a \\*b\\* \\[c\\](d) &lt;i&gt;"


def test_text_and_json_say_the_same_as_the_html(digest) -> None:  # type: ignore[no-untyped-def]
    text = render(digest, "text")
    assert digest.emerging[0].headline in text.replace("\n  ", " ")
    assert "Starfall Arena: women and girls 18% -> 41%" in text
    assert digest.emerging[1].spark.text in text
    data = json.loads(render(digest, "json"))
    assert data["as_of"] == "2026-11-22"
    assert data["emerging"][0]["label"] == "Starfall Arena"
    assert data["shifts"][0]["ci_low_points"] == 7.0
    assert data["emerging"][1]["spark"]["counts"] == digest.emerging[1].spark.counts


def test_eml_is_multipart_with_cid_images(digest) -> None:  # type: ignore[no-untyped-def]
    settings = DigestSettings(
        to=("a@example.com",), sender="Trends <t@example.org>", subject="Week {week}: {top}"
    )
    message = message_from_bytes(build_email(digest, settings).as_bytes(), policy=policy.default)
    assert message["Subject"] == "Week 2026-W47: Starfall Arena is rising"
    assert [p.get_content_type() for p in message.walk()][:4] == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
    ]
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == len(digest.images)
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in images:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
    assert "data:image" not in html


def test_earlier_weeks_can_be_regenerated(findings_db: Path) -> None:
    db = open_db(findings_db)
    earlier = gather_digest(db, dt.date(2026, 11, 15))
    assert [t.label for t in earlier.emerging] == ["handheld battery"]
    assert earlier.period == "9–15 Nov 2026"
    # A date inside an analysed week's following days shows that week ...
    assert gather_digest(db, dt.date(2026, 11, 18)).as_of == "2026-11-15"
    # ... unless the exact week is required (the weekly run).
    with pytest.raises(DigestError, match="no findings for the week ending 2026-11-18"):
        gather_digest(db, dt.date(2026, 11, 18), exact=True)
    with pytest.raises(DigestError, match="analysed weeks: 2026-11-22, 2026-11-15"):
        gather_digest(db, dt.date(2026, 10, 1))
    assert gather_digest(db).as_of == "2026-11-22"  # default: the newest
    db.close()


def test_a_database_without_findings_says_what_to_run(tmp_path: Path) -> None:
    db = open_db(tmp_path / "empty.db")
    with pytest.raises(DigestError, match="run 'trendscout analyze'"):
        gather_digest(db)


def _config(digest: object) -> object:
    return parse_config(
        {"sources": [{"name": "s", "type": "feed", "url": "https://e.org/f"}], "digest": digest},
        Path("sources.yml"),
    )


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            {"to": ["a@example.com", "not-an-address"]},
            "sources.yml: digest.to[1]: 'not-an-address' is not an e-mail address",
        ),
        ({"to": "a@example.com", "from": "me at home"}, "sources.yml: digest.from: 'me at home'"),
        ({"to": ["a@example.com"], "cc": ["b@example.com"]}, "sources.yml: digest.cc: unknown key"),
        ({"subject": "Trends {wek}"}, "sources.yml: digest.subject: unknown placeholder {wek}"),
        ({"subject": "Trends {"}, "sources.yml: digest.subject:"),
        ({"top": 0}, "sources.yml: digest.top: expected a whole number from 1 to 50"),
        ("everyone", "sources.yml: digest: expected to, from and subject"),
    ],
)
def test_digest_block_mistakes_are_one_line_naming_the_entry(block: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        digest_settings(_config(block))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_digest_block_is_read() -> None:
    settings = digest_settings(
        _config(
            {
                "to": "Sales <sales@example.com>",
                "from": "t@example.org",
                "subject": "{start}–{end}: {top}",
                "examples": 2,
            }
        )
    )
    assert settings.to == ("Sales <sales@example.com>",)
    assert (settings.sender, settings.examples, settings.top) == ("t@example.org", 2, 5)


def test_digest_command_writes_the_file_and_explains_mistakes(
    findings_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "week.html"
    runner = CliRunner()
    done = runner.invoke(
        cli, ["digest", "--db", str(findings_db), "--as-of", "2026-11-22", "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "16–22 Nov 2026" in done.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    shown = runner.invoke(cli, ["digest", "--db", str(findings_db), "-f", "markdown"])
    assert shown.exit_code == 0 and shown.stdout.startswith("# What changed, 16–22 Nov 2026")
    bad = runner.invoke(cli, ["digest", "--db", str(findings_db), "--as-of", "22.11.2026"])
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "Error: --as-of '22.11.2026' is not a date; write it as YYYY-MM-DD"
    missing = runner.invoke(cli, ["digest", "--db", str(tmp_path / "nope.db")])
    assert missing.exit_code == 2 and "no such database" in missing.stderr


def test_new_topics_are_listed_only_once_the_database_has_history(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    build_findings_db(path)
    db = open_db(path)
    db["topics"].update(4, {"first_seen": AS_OF.isoformat()})  # "tết / gifts / new year"
    db["topics"].update(3, {"first_seen": AS_OF.isoformat()})  # farming: its trend says fading
    # The first analysis of a database: every topic is "first seen", none is news.
    assert [t.label for t in gather_digest(db, AS_OF).new] == ["quà tết"]
    db["analysis_runs"].insert({"as_of": "2026-11-15", "status": "ok"})
    new = gather_digest(db, AS_OF).new
    assert [(t.label, t.kind_word) for t in new] == [
        ("quà tết", "phrase"),
        ("tết / gifts / new year", "new topic"),
    ]
    assert new[1].spark is not None and new[1].spark.counts[-1] > 0
    assert {p.lang for p in new[1].posts} == {"vi", "en", "zh"}
    db.close()
