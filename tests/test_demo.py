"""The bundled demo: its data, `trendscout demo` end to end, and the pieces it is built from.

The end-to-end tests run the real program twice (`trendscout demo --no-serve`) against
the real demo server on 127.0.0.1 and check what lands in the database.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import feedparser
import pytest
import sqlite_utils

from pipelines.config import load_config
from pipelines.demo import (
    DEMO_DATA,
    FEED_PORT,
    free_port,
    later_steps,
    load_manifest,
)
from tests.conftest import REPO, run_trendscout

AS_OF = dt.date(2026, 11, 22)
RECENT_START = "2026-11-16"


def load_generator() -> ModuleType:
    path = REPO / "scripts" / "make_demo_feeds.py"
    spec = importlib.util.spec_from_file_location("make_demo_feeds", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


# --- the data ------------------------------------------------------------------------


def test_committed_demo_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    generator = load_generator()
    generator.write_all(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(DEMO_DATA) for p in DEMO_DATA.rglob("*") if p.is_file())
    assert written == committed
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (DEMO_DATA / relative).read_bytes(), (
            f"{relative} differs: run 'python scripts/make_demo_feeds.py' and commit the result"
        )
    assert sum((DEMO_DATA / r).stat().st_size for r in committed) < 2 * 1024 * 1024


def test_demo_feeds_mix_rss2_atom_and_rdf_in_four_languages() -> None:
    manifest = load_manifest()
    versions: dict[str, set[str]] = {}
    for source in manifest["sources"]:
        parsed = feedparser.parse((DEMO_DATA / source["path"]).read_bytes())
        assert not parsed.bozo, f"{source['path']}: {parsed.get('bozo_exception')}"
        assert parsed.entries
        versions.setdefault(source["language"], set()).add(parsed.version)
    assert set(versions) == {"pl", "vi", "zh", "en"}
    assert set().union(*versions.values()) == {"rss20", "atom10", "rss10"}
    assert all(len(v) >= 2 for v in versions.values()), versions


def test_demo_watch_list_names_the_planted_products_with_aliases() -> None:
    watch = {w["name"]: w["aliases"] for w in load_manifest()["watch"]}
    assert {"星落竞技场", "Gwiezdna Arena", "Đấu Trường Tinh Tú"} <= set(watch["Starfall Arena"])
    assert "Iron Legion" in watch and "Harvest Hollow" in watch and "Mech Rivals" in watch


# --- the pieces of `trendscout demo` ---------------------------------------------------


def test_later_steps_are_the_analysis_then_the_digest_for_the_demo_week(tmp_path: Path) -> None:
    steps = later_steps(tmp_path, tmp_path / "t.db", tmp_path / "s.yml", "2026-11-22")
    assert [s.args[0] for s in steps] == ["analyze", "digest"]
    for step in steps:
        args = list(step.args)
        assert args[args.index("--db") + 1] == str(tmp_path / "t.db")
        assert args[args.index("--as-of") + 1] == "2026-11-22"
    digest = list(steps[1].args)
    assert digest[digest.index("-o") + 1].endswith("digest-2026-11-22.html")


def test_free_port_keeps_the_preferred_port_or_picks_another_when_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        other = free_port("127.0.0.1", busy)
        assert other != busy
    assert free_port("127.0.0.1", other) == other


# --- `trendscout demo` end to end -----------------------------------------------------


class DemoRuns:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.db_path = workdir / "trendscout.db"
        self.results: list[subprocess.CompletedProcess[str]] = []
        self.posts_after_first = 0
        self.ids_after_first: set[str] = set()

    def run(self) -> subprocess.CompletedProcess[str]:
        result = run_trendscout("demo", "--no-serve", "--workdir", str(self.workdir), timeout=600)
        self.results.append(result)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        db = sqlite_utils.Database(self.db_path)
        try:
            return list(db.query(sql, params))
        finally:
            db.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRuns:
    """Two runs in one work folder; the second finds the feed server's usual port taken,
    so its feeds have other URLs: the posts must still be recognised."""
    runs = DemoRuns(tmp_path_factory.mktemp("demo") / "work")
    runs.run()
    runs.posts_after_first = runs.query("select count(*) as n from posts")[0]["n"]
    runs.ids_after_first = {r["id"] for r in runs.query("select id from posts")}
    with socket.socket() as holder:
        try:
            holder.bind(("127.0.0.1", FEED_PORT))
            holder.listen()
        except OSError:
            pass  # something else holds it: the second run moves elsewhere all the same
        runs.run()
    return runs


@pytest.mark.slow
def test_demo_prints_progress_and_the_crawl_summary(demo: DemoRuns) -> None:
    out = demo.results[0].stdout
    assert "[1/" in out and "Crawling them into" in out
    summary = re.search(r"crawl run 1: ok; 9 requests, (\d+) new", out)
    assert summary is not None, out
    assert int(summary.group(1)) == demo.posts_after_first
    assert re.search(r"crawl run 2: ok; 9 requests, 0 new", demo.results[1].stdout)
    assert "Done." in out


@pytest.mark.slow
def test_demo_crawls_feeds_in_all_four_languages(demo: DemoRuns) -> None:
    rows = demo.query(
        "select s.language, count(distinct s.id) as sources, count(p.id) as posts "
        "from sources s join posts p on p.source_id = s.id group by s.language"
    )
    by_lang = {r["language"]: r for r in rows}
    assert set(by_lang) == {"pl", "vi", "zh", "en"}
    for lang, row in by_lang.items():
        assert row["sources"] >= 2, lang
        assert row["posts"] >= 100, lang


@pytest.mark.slow
def test_demo_stores_hundreds_of_posts_over_ten_weeks(demo: DemoRuns) -> None:
    assert demo.posts_after_first > 300
    first, last = demo.query(
        "select min(published_at) as a, max(published_at) as b from posts where date_estimated = 0"
    )[0].values()
    span = dt.date.fromisoformat(last[:10]) - dt.date.fromisoformat(first[:10])
    assert first[:10] == "2026-09-14" and last[:10] == AS_OF.isoformat()
    assert span.days >= 63
    weeks = demo.query(
        "select distinct strftime('%W', published_at) as w from posts where date_estimated = 0"
    )
    assert len(weeks) == 10


@pytest.mark.slow
def test_demo_posts_have_distinct_authors_some_prolific(demo: DemoRuns) -> None:
    assert (
        demo.query("select count(*) as n from posts where coalesce(author, '') = ''")[0]["n"] == 0
    )
    authors = demo.query(
        "select source_id, author, count(*) as n from posts group by 1, 2 order by n desc"
    )
    assert len(authors) > 100
    assert authors[0]["n"] >= 10  # a prolific poster


@pytest.mark.slow
def test_demo_keeps_the_script_tag_post_as_text(demo: DemoRuns) -> None:
    rows = demo.query("select text from posts where instr(text, '<script>alert(1)</script>') > 0")
    assert len(rows) == 1
    assert "typed <script>alert(1)</script> into his" in rows[0]["text"]


@pytest.mark.slow
def test_demo_entries_without_a_date_are_marked_as_estimated(demo: DemoRuns) -> None:
    rows = demo.query("select title from posts where date_estimated = 1 order by title")
    assert [r["title"] for r in rows] == [
        "Regulamin działu — przeczytaj przed pisaniem",
        "Welcome! Please read before posting",
    ]


@pytest.mark.slow
def test_demo_planted_trends_reach_the_database(demo: DemoRuns) -> None:
    harvest = demo.query(
        "select s.language, count(*) as n from posts p join sources s on s.id = p.source_id "
        "where (p.text like '%Harvest Hollow%' or p.text like '%丰收谷%') "
        "and p.published_at >= ? and p.date_estimated = 0 group by 1",
        [RECENT_START],
    )
    assert {r["language"] for r in harvest} == {"pl", "vi", "zh", "en"}
    assert sum(r["n"] for r in harvest) >= 25
    before = demo.query(
        "select count(*) as n from posts where (text like '%Harvest Hollow%' or text like "
        "'%丰收谷%') and published_at < ? and date_estimated = 0",
        [RECENT_START],
    )[0]["n"]
    assert before <= 5  # a couple of teasers: the talk starts this week
    mech = demo.query(
        "select sum(published_at < '2026-10-12') as early, sum(published_at >= ?) as late "
        "from posts where text like '%Mech Rivals%' or text like '%机甲对决%'",
        [RECENT_START],
    )[0]
    assert mech["early"] >= 40 and mech["late"] == 0


def test_demo_analysis_finds_the_planted_audience_shift_and_not_the_control(
    demo: DemoRuns,
) -> None:
    shifts = {
        (r["subject"], r["segment"]): r
        for r in demo.query(
            "select * from audience_shifts where as_of = '2026-11-22' and subject_kind = 'entity'"
        )
    }
    starfall = shifts[("Starfall Arena", "female")]
    assert starfall["significant"] == 1 and starfall["direction"] == "up"
    assert starfall["p_adjusted"] < 0.01
    assert starfall["recent_share"] > 2 * starfall["baseline_share"]
    assert json.loads(starfall["evidence"])
    control = [r for (subject, _), r in shifts.items() if subject == "Iron Legion"]
    assert not any(r["significant"] for r in control)
    tagged = demo.query("select count(distinct post_id) as n from post_segments")[0]["n"]
    assert tagged == demo.query("select count(*) as n from posts")[0]["n"]


def test_demo_analysis_marks_the_planted_trends(demo: DemoRuns) -> None:
    status = {
        r["label"]: r["status"]
        for r in demo.query("select label, status from trends where kind = 'entity'")
    }
    assert status["Harvest Hollow"] == "emerging"
    assert status["Mech Rivals"] == "fading"
    assert status["Iron Legion"] == "steady"


def served_at(result: subprocess.CompletedProcess[str]) -> str:
    found = re.search(r"Demo sources: .* at (http://127\.0\.0\.1:\d+)/", result.stdout)
    assert found is not None, result.stdout
    return found.group(1)


@pytest.mark.slow
def test_second_demo_run_adds_no_rows_even_from_another_port(demo: DemoRuns) -> None:
    assert served_at(demo.results[0]) != served_at(demo.results[1])
    assert demo.query("select count(*) as n from posts")[0]["n"] == demo.posts_after_first
    assert {r["id"] for r in demo.query("select id from posts")} == demo.ids_after_first
    runs = demo.query("select posts_new, posts_updated from crawl_runs order by id")
    assert len(runs) == 2
    assert runs[1] == {"posts_new": 0, "posts_updated": 0}
    assert demo.query("select count(*) as n from sources")[0]["n"] == 9


@pytest.mark.slow
def test_demo_writes_a_valid_sources_yml_with_watch_list_and_contact(demo: DemoRuns) -> None:
    config = load_config(demo.workdir / "sources.yml")
    assert len(config.sources) == 9
    assert all(s.url.startswith("http://127.0.0.1:") for s in config.sources)
    starfall = next(w for w in config.watch if w.name == "Starfall Arena")
    assert "星落竞技场" in starfall.aliases
    assert config.contact and config.contact.startswith("https://")


@pytest.mark.slow
def test_demo_digest_block_is_accepted_by_the_digest(demo: DemoRuns) -> None:
    digest = pytest.importorskip("pipelines.digest", reason="the digest is not built yet")
    settings = digest.digest_settings(load_config(demo.workdir / "sources.yml"))
    assert settings.to == ("research-team@example.org",)
