"""The weekly run: steps, the runs table, exit codes, the lock, picking up after failures."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipelines.config import Config, load_config
from pipelines.db import open_db
from pipelines.digest import digest_settings
from pipelines.mail import SmtpSettings
from pipelines.run import (
    EXIT_LOCKED,
    EXIT_NOT_SENT,
    EXIT_OK,
    EXIT_SOURCE_FAILED,
    EXIT_STEP_FAILED,
    RunContext,
    RunLocked,
    StepFailed,
    StepOutcome,
    data_fingerprints,
    default_as_of,
    lock_path,
    run_lock,
    weekly_run,
)
from tests.conftest import FIXTURES, REPO
from tests.findings_fixture import AS_OF, build_findings_db, free_port
from tests.test_mail import SmtpSink

DIGEST_BLOCK = "digest:\n  to: [sales@example.com]\n  from: trends@example.org\n"


def _write_config(folder: Path, feeds: list[str]) -> Config:
    lines = ["sources:"]
    for i, url in enumerate(feeds):
        lines.append(f"  - {{name: feed{i}, type: feed, url: '{url}'}}")
    path = folder / "sources.yml"
    path.write_text("\n".join(lines) + "\n" + DIGEST_BLOCK, encoding="utf-8")
    return load_config(path)


def _context(
    config: Config, db: Path, *, send: bool = False, smtp: SmtpSettings | None = None
) -> RunContext:
    return RunContext(
        config=config,
        db_path=db,
        as_of=AS_OF,
        send=send,
        env={},
        digest=digest_settings(config),
        smtp=smtp,
    )


def _no_crawl(ctx: RunContext) -> StepOutcome:
    return StepOutcome({"posts_new": 0})


def _findings_already_there(ctx: RunContext) -> StepOutcome:
    return StepOutcome({"trends": 7})


def _runs(db_path: Path) -> list[dict]:
    db = open_db(db_path)
    rows = [
        dict(r, steps=json.loads(r["steps"])) for r in db.query("select * from runs order by id")
    ]
    db.close()
    return rows


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


# -- the lock --------------------------------------------------------------------------------


def test_a_held_lock_refuses_a_second_run_and_can_be_waited_for(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with run_lock(db):
        assert f"pid {os.getpid()}" in lock_path(db).read_text()
        started = time.monotonic()
        with pytest.raises(
            RunLocked, match=f"another trendscout run is working on .*pid {os.getpid()}"
        ):
            with run_lock(db):
                pass
        assert time.monotonic() - started < 1

    release = threading.Event()

    def holder() -> None:
        with run_lock(db):
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    time.sleep(0.2)
    threading.Timer(0.5, release.set).start()
    with run_lock(db, wait=10):  # waits for the holder, then gets it
        assert release.is_set()
    thread.join()


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pipelines.run import run_lock\n"
            "with run_lock(sys.argv[1]):\n print('locked', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLocked):
            with run_lock(db):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout:
            holder.stdout.close()
    with run_lock(db):  # no stale lock after a crash
        pass


class _HeldFeed:
    """An HTTP server whose feed answers 404 only once ``release`` is set: a crawl that
    takes exactly as long as the test needs."""

    def __init__(self) -> None:
        self.release = threading.Event()
        release = self.release

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path != "/robots.txt":
                    release.wait(25)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed.xml"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def held_feed() -> Iterator[_HeldFeed]:
    feed = _HeldFeed()
    yield feed
    feed.stop()


def _start_run(config: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "run",
            "-c",
            str(config),
            "--db",
            str(db),
            "--as-of",
            AS_OF.isoformat(),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.slow
def test_two_runs_at_once_the_second_refuses_with_exit_code_4(
    tmp_path: Path, held_feed: _HeldFeed
) -> None:
    config = _write_config(tmp_path, [held_feed.url])
    db = tmp_path / "t.db"
    first = _start_run(config.path, db)
    deadline = time.monotonic() + 60
    while "pid" not in (lock_path(db).read_text() if lock_path(db).exists() else ""):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.1)
    second = _start_run(config.path, db)
    _, second_err = second.communicate(timeout=60)
    held_feed.release.set()  # only now can the first run's crawl finish
    _, first_err = first.communicate(timeout=120)

    assert second.returncode == EXIT_LOCKED, second_err
    assert f"another trendscout run is working on {db} (pid {first.pid}" in second_err
    # The feed failed, so the first run stops after the crawl with "a step failed".
    assert first.returncode == EXIT_STEP_FAILED, first_err
    [run] = _runs(db)  # the refused run did nothing, not even a row
    assert run["pid"] == first.pid
    assert [s["name"] for s in run["steps"]] == ["crawl", "analyze", "digest"]
    assert [s["status"] for s in run["steps"]] == ["failed", "skipped", "skipped"]
    assert "no source could be read" in run["error"]
    log = (tmp_path / "trendscout.log").read_text(encoding="utf-8")
    assert "step crawl ..." in log and "http_404" in log  # the crawl's own output too
    assert "finished: failed (exit code 3)" in log and "exits without doing anything" in log


# -- steps, outcomes and the runs table ------------------------------------------------------


def test_a_full_run_crawls_analyses_writes_and_mails_the_digest(
    tmp_path: Path,
    serve_dir,
    smtp_server: SmtpSink,  # type: ignore[no-untyped-def]
) -> None:
    server = serve_dir(FIXTURES / "feeds")
    config = _write_config(tmp_path, [server.url("/blog_rss2.xml"), server.url("/news_atom.xml")])
    db_path = tmp_path / "t.db"

    def analysis(ctx: RunContext) -> StepOutcome:
        """Stands in for the analysis: the crawled Starfall posts make an emerging trend."""
        db = open_db(ctx.db_path)
        ids = [
            r["id"]
            for r in db.query(
                "select id from posts "
                "where text like '%Starfall%' or text like '%星落竞技场%' order by id"
            )
        ]
        db["trends"].insert(
            {
                "as_of": ctx.as_of.isoformat(),
                "kind": "entity",
                "label": "Starfall Arena",
                "score": 4.2,
                "recent_count": len(ids),
                "baseline_mean": 0.0,
                "growth": 3.0,
                "authors": len(ids),
                "p_value": 0.002,
                "status": "emerging",
                "languages": '["pl", "zh"]',
                "evidence": json.dumps(ids),
            }
        )
        db.close()
        return StepOutcome({"trends": 1})

    ctx = _context(config, db_path, send=True, smtp=smtp_server.settings)
    result = weekly_run(ctx, steps={"analyze": analysis})
    assert result.exit_code == EXIT_OK, result.steps

    [run] = _runs(db_path)
    assert (run["status"], run["exit_code"], run["as_of"], run["send"]) == (
        "ok",
        0,
        "2026-11-22",
        1,
    )
    steps = {s["name"]: s for s in run["steps"]}
    assert list(steps) == ["crawl", "analyze", "digest", "send"]
    assert all(s["status"] == "ok" and s["seconds"] >= 0 for s in steps.values())
    assert (
        steps["crawl"]["counts"]["posts_new"] == 5
        and steps["crawl"]["counts"]["failed_sources"] == []
    )
    assert (
        steps["digest"]["counts"]["emerging"] == 1
        and steps["digest"]["counts"]["outbox"] == "queued"
    )
    assert steps["send"]["counts"] == {"sent": ["2026-11-22"], "failed": [], "waiting": 0}
    versions = json.loads(run["versions"])
    assert versions["trendscout"] == run["program_version"]
    assert versions["libraries"]["scrapy"] and versions["python"]
    assert versions["data"] == data_fingerprints() and "nlp/data/segments" in versions["data"]

    html = Path(steps["digest"]["counts"]["files"][0]).read_text(encoding="utf-8")
    assert "Starfall Arena" in html and "16–22 Nov 2026" in html
    [message] = smtp_server.messages()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Starfall Arena" in text and "作为一个女生" in text
    assert server.url("/2026/11/starfall-sezon") in text  # linked to the source, tracking removed


def test_a_failed_step_stops_the_rest_and_the_next_run_picks_up(
    tmp_path: Path, smtp_server: SmtpSink
) -> None:
    db_path = tmp_path / "t.db"
    build_findings_db(db_path)
    config = _write_config(tmp_path, ["https://feeds.example.org/a.xml"])

    def broken(ctx: RunContext) -> StepOutcome:
        raise RuntimeError("disk full")

    ctx = _context(config, db_path, send=True, smtp=smtp_server.settings)
    failed = weekly_run(ctx, steps={"crawl": _no_crawl, "analyze": broken})
    assert failed.exit_code == EXIT_STEP_FAILED
    assert [(s.name, s.status) for s in failed.steps] == [
        ("crawl", "ok"),
        ("analyze", "failed"),
        ("digest", "skipped"),
        ("send", "ok"),
    ]
    assert smtp_server.envelopes == []
    assert _runs(db_path)[0]["error"] == "RuntimeError: disk full"

    picked_up = weekly_run(ctx, steps={"crawl": _no_crawl, "analyze": _findings_already_there})
    assert picked_up.exit_code == EXIT_OK
    assert len(smtp_server.envelopes) == 1
    again = weekly_run(ctx, steps={"crawl": _no_crawl, "analyze": _findings_already_there})
    assert again.exit_code == EXIT_OK
    assert again.steps[2].counts["outbox"] == "already_sent"
    assert len(smtp_server.envelopes) == 1  # the same week is never mailed twice
    assert [r["status"] for r in _runs(db_path)] == ["failed", "ok", "ok"]


def test_a_digest_not_sent_waits_and_goes_with_the_next_run_even_if_its_crawl_fails(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "t.db"
    build_findings_db(db_path)
    config = _write_config(tmp_path, ["https://feeds.example.org/a.xml"])
    port = free_port()
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5)
    ctx = _context(config, db_path, send=True, smtp=smtp)
    down = weekly_run(ctx, steps={"crawl": _no_crawl, "analyze": _findings_already_there})
    assert down.exit_code == EXIT_NOT_SENT
    assert "kept in the outbox" in (down.steps[-1].error or "")
    assert _runs(db_path)[0]["status"] == "partial"

    def crawl_fails(ctx: RunContext) -> StepOutcome:
        raise StepFailed("no source could be read (feed0)")

    sink = SmtpSink(port).start()
    try:
        later = weekly_run(ctx, steps={"crawl": crawl_fails})
        assert later.exit_code == EXIT_STEP_FAILED  # the crawl failed ...
        assert later.steps[-1].counts["sent"] == ["2026-11-22"]  # ... but the mail went out
        assert len(sink.envelopes) == 1
    finally:
        sink.stop()


def test_a_source_that_failed_gives_exit_code_1_and_a_partial_run(tmp_path: Path) -> None:
    db_path = tmp_path / "t.db"
    build_findings_db(db_path)
    config = _write_config(tmp_path, ["https://feeds.example.org/a.xml"])

    def partial_crawl(ctx: RunContext) -> StepOutcome:
        return StepOutcome({"failed_sources": ["feed0"]}, "partial")

    result = weekly_run(
        _context(config, db_path),
        steps={"crawl": partial_crawl, "analyze": _findings_already_there},
    )
    assert result.exit_code == EXIT_SOURCE_FAILED
    assert [s.status for s in result.steps] == ["partial", "ok", "ok"]
    assert _runs(db_path)[0]["status"] == "partial"


def test_a_run_killed_midway_is_marked_interrupted_by_the_next(tmp_path: Path) -> None:
    db_path = tmp_path / "t.db"
    build_findings_db(db_path)
    db = open_db(db_path)
    db["runs"].insert(
        {
            "as_of": "2026-11-15",
            "started_at": "2026-11-16T06:00:00Z",
            "status": "running",
            "steps": json.dumps([{"name": "crawl", "status": "running"}]),
        }
    )
    db.close()
    config = _write_config(tmp_path, ["https://feeds.example.org/a.xml"])
    weekly_run(
        _context(config, db_path), steps={"crawl": _no_crawl, "analyze": _findings_already_there}
    )
    assert [r["status"] for r in _runs(db_path)] == ["interrupted", "ok"]


def test_a_missing_week_fails_the_digest_instead_of_sending_an_old_one(tmp_path: Path) -> None:
    db_path = tmp_path / "t.db"
    build_findings_db(db_path)  # findings for 2026-11-22 only
    config = _write_config(tmp_path, ["https://feeds.example.org/a.xml"])
    ctx = _context(config, db_path)
    ctx.as_of = dt.date(2026, 11, 25)
    result = weekly_run(ctx, steps={"crawl": _no_crawl, "analyze": _findings_already_there})
    assert result.exit_code == EXIT_STEP_FAILED
    assert "no findings for the week ending 2026-11-25" in (result.steps[2].error or "")


def test_the_default_week_ends_yesterday() -> None:
    assert default_as_of(dt.date(2026, 11, 23)) == dt.date(2026, 11, 22)


@pytest.mark.slow
def test_the_weekly_run_on_the_demo_sources_mails_the_real_findings(
    tmp_path: Path, smtp_server: SmtpSink
) -> None:
    """End to end with nothing stood in: crawl the demo feeds, the real analysis, the digest,
    and the mail through a real SMTP server on 127.0.0.1."""
    from pipelines.demo import DEMO_DATA, demo_config, load_manifest
    from pipelines.localserver import LocalServer

    with LocalServer(DEMO_DATA) as server:
        config = tmp_path / "sources.yml"
        config.write_text(demo_config(load_manifest(), server.base_url), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "run", "-c", str(config), "--db",
             str(tmp_path / "t.db"), "--as-of", "2026-11-22", "--send"],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "PYTHONPATH": str(REPO), "TRENDSCOUT_SMTP_HOST": "127.0.0.1",
                 "TRENDSCOUT_SMTP_PORT": str(smtp_server.port),
                 "TRENDSCOUT_SMTP_SECURITY": "none"},
        )  # fmt: skip
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    [message] = smtp_server.messages()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Harvest Hollow" in text  # the planted emerging trend
    assert "Starfall Arena: women and girls" in text  # the planted audience shift
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Harvest Hollow" in html and "<script>alert(1)</script>" not in html
