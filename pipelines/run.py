"""The weekly job: crawl → analyze → digest (→ send), one command for cron or systemd.

``trendscout run`` takes an OS-level lock next to the database (``DB.run.lock``, held with
``flock`` and released by the kernel if the process dies), so two runs never overlap.
The crawl runs as a child process (Scrapy's reactor runs once per process); the analysis
and the digest run in this process. Every step is idempotent: the crawl fetches only what
is new, the analysis replaces its own ``as_of`` rows, the digest reads them and queues
one mail per week and recipients. So a run that fails half-way leaves a consistent
database, and the next run simply does the steps again and sends what is still waiting
in the outbox. Each run is one row of the ``runs`` table: steps with timings and counts,
the outcome, and the versions of the program, its libraries and its lexicons.

Exit codes (also in ``trendscout run --help``):

====  ===================================================================================
0     everything worked
1     at least one source could not be read at all (the rest was crawled and analysed)
2     a usage or configuration mistake (nothing was done)
3     a step failed (crawl, analyze or digest); the log and the ``runs`` table say which
4     another run holds the lock on this database
5     the digest could not be mailed; it waits in the outbox for the next run
130   interrupted (Ctrl-C or SIGTERM)
====  ===================================================================================
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import click
import sqlite_utils

from pipelines.config import Config, ConfigError
from pipelines.db import open_db, utcnow
from pipelines.digest import (
    DigestError,
    DigestSettings,
    digest_settings,
    gather_digest,
    queue_digest,
    render,
)
from pipelines.mail import MailError, SmtpSettings, load_env_file, send_pending, smtp_settings
from pipelines.options import config_option, db_option, env_file_option

log = logging.getLogger("trendscout.run")

EXIT_OK = 0
EXIT_SOURCE_FAILED = 1
EXIT_USAGE = 2
EXIT_STEP_FAILED = 3
EXIT_LOCKED = 4
EXIT_NOT_SENT = 5
EXIT_INTERRUPTED = 130

LOG_NAME = "trendscout.log"
LOG_BYTES = 2_000_000
LOG_BACKUPS = 5
VERSIONED_PACKAGES = (
    "scrapy",
    "feedparser",
    "spacy",
    "scikit-learn",
    "lingua-language-detector",
    "jieba",
    "pyvi",
    "sqlite-utils",
    "jinja2",
)


class RunLocked(Exception):
    """Another run holds the lock on this database."""


class StepFailed(Exception):
    """A step of the run failed; the message is one line for the log and the runs table."""


# -- the lock --------------------------------------------------------------------------------


def lock_path(db_path: str | Path) -> Path:
    """The run lock of a database: ``trendscout.db`` → ``trendscout.db.run.lock``.

    Not ``trendscout.db.lock``: :func:`pipelines.db.open_db` briefly locks that one while
    it migrates, and this process opens the database while it holds the run lock.
    """
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".run.lock")


@contextmanager
def run_lock(db_path: str | Path, wait: float = 0.0) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on the database's lock file for the block.

    Waits up to ``wait`` seconds for another run to finish, then raises :class:`RunLocked`
    naming the holder. The kernel releases the lock when the holder dies, so a crashed
    run never blocks the next one. The file stays (removing it would race).
    """
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown process"
                    raise RunLocked(
                        f"another trendscout run is working on {db_path} ({holder})"
                    ) from None
                time.sleep(0.25)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {utcnow()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing the descriptor releases the flock


# -- logging ---------------------------------------------------------------------------------


def setup_logging(log_file: Path | None, verbose: bool = False) -> list[logging.Handler]:
    """Log to the console and to ``log_file`` (rotated at 2 MB, five old files kept)."""
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(message)s"))
    console.setLevel(logging.DEBUG if verbose else logging.INFO)
    handlers.append(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
        file_handler.setFormatter(fmt)
        file_handler.setLevel(logging.DEBUG)
        handlers.append(file_handler)
    # On the root logger, so in-process steps (the analysis) land in the file too.
    root = logging.getLogger()
    if root.level > logging.INFO:
        root.setLevel(logging.INFO)
    logging.getLogger("trendscout").setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    return handlers


def remove_logging(handlers: list[logging.Handler]) -> None:
    """Detach and close the handlers :func:`setup_logging` added."""
    root = logging.getLogger()
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()


# -- versions --------------------------------------------------------------------------------


def data_fingerprints() -> dict[str, str]:
    """sha256 (first 16 hex digits) of each folder of models/lexicons under ``nlp/data``."""
    root = Path(str(resources.files("nlp"))) / "data"
    groups: dict[str, hashlib._Hash] = {}
    if root.is_dir():
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = file.relative_to(root)
            group = relative.parts[0] if len(relative.parts) > 1 else "."
            digest = groups.setdefault(f"nlp/data/{group}".rstrip("/."), hashlib.sha256())
            digest.update(str(relative).encode() + b"\0" + file.read_bytes() + b"\0")
    return {name: h.hexdigest()[:16] for name, h in sorted(groups.items())}


def program_versions() -> dict[str, Any]:
    """The program, Python, the libraries that shape results, and the data fingerprints."""
    libraries = {}
    for name in VERSIONED_PACKAGES:
        try:
            libraries[name] = version(name)
        except PackageNotFoundError:
            libraries[name] = None
    return {
        "trendscout": _own_version(),
        "python": sys.version.split()[0],
        "libraries": libraries,
        "data": data_fingerprints(),
    }


def _own_version() -> str:
    try:
        return version("trendscout")
    except PackageNotFoundError:
        return "unknown"


# -- steps -----------------------------------------------------------------------------------


@dataclass
class StepRecord:
    """One step of a run, as stored in ``runs.steps``."""

    name: str
    status: str  # ok | partial | failed | skipped
    started_at: str | None = None
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunContext:
    """What every step gets: the project, the week, and where to log."""

    config: Config
    db_path: Path
    as_of: dt.date
    send: bool
    env: Mapping[str, str]
    digest: DigestSettings
    smtp: SmtpSettings | None
    run_id: int = 0
    output_dir: Path | None = None


@dataclass
class StepOutcome:
    counts: dict[str, Any]
    status: str = "ok"  # ok | partial (e.g. a source failed, the rest went through)


Step = Callable[[RunContext], StepOutcome]


def crawl_step(ctx: RunContext) -> StepOutcome:
    """Run ``trendscout crawl`` as a child process, its output into the log."""
    db = open_db(ctx.db_path)
    before = db.execute("select coalesce(max(id), 0) from crawl_runs").fetchone()[0]
    db.close()
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "crawl",
        "-c",
        str(ctx.config.path),
        "--db",
        str(ctx.db_path),
    ]
    code, tail = run_child(command, "crawl")
    db = open_db(ctx.db_path)
    row = db.execute(
        "select id, status, requests, posts_new, posts_updated, posts_unchanged, errors "
        "from crawl_runs where id > ? order by id desc limit 1",
        [before],
    ).fetchone()
    counts: dict[str, Any] = {}
    if row:
        keys = (
            "crawl_run",
            "crawl_status",
            "requests",
            "posts_new",
            "posts_updated",
            "posts_unchanged",
            "errors",
        )
        counts = dict(zip(keys, row, strict=True))
        counts["failed_sources"] = [
            r[0]
            for r in db.execute(
                "select s.name from crawl_source_stats c join sources s on s.id = c.source_id "
                "where c.run_id = ? and c.status = 'failed' order by s.name",
                [row[0]],
            ).fetchall()
        ]
    db.close()
    if code == 0:
        return StepOutcome(counts)
    if code == 1 and counts.get("failed_sources"):
        total = len(ctx.config.sources)
        if len(counts["failed_sources"]) >= total:
            raise StepFailed(f"no source could be read ({', '.join(counts['failed_sources'])})")
        return StepOutcome(counts, "partial")
    raise StepFailed(f"the crawl exited with code {code}: {tail or 'no output'}")


def run_child(command: list[str], name: str) -> tuple[int, str]:
    """Run ``command``, logging its output line by line; returns (exit code, last line).

    On Ctrl-C or SIGTERM the child gets SIGINT (the crawl then stops cleanly and records
    where it was), then SIGKILL if it has not stopped within 60 s.
    """
    child_log = logging.getLogger(f"trendscout.{name}")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        bufsize=1,
    )
    last = ""
    try:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            if line:
                child_log.info("%s", line)
                last = line
        return process.wait(), last
    except BaseException:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise
    finally:
        if process.stdout:
            process.stdout.close()


def analyze_step(ctx: RunContext) -> StepOutcome:
    """Analyse the week ending ``as_of`` in this process (``pipelines.analyze.run_analysis``),
    its progress lines into the log; as a child process if that module is missing."""
    try:
        from pipelines.analyze import AnalysisError, Progress, run_analysis
    except ImportError:
        command = [sys.executable, "-m", "pipelines.cli", "analyze", "--db", str(ctx.db_path),
                   "-c", str(ctx.config.path), "--as-of", ctx.as_of.isoformat()]  # fmt: skip
        code, tail = run_child(command, "analyze")
        if code != 0:
            raise StepFailed(
                f"the analysis exited with code {code}: {tail or 'no output'}"
            ) from None
    else:
        progress = Progress(_LogWriter(logging.getLogger("trendscout.analyze")))  # type: ignore[arg-type]
        try:
            run_analysis(ctx.config, ctx.db_path, as_of=ctx.as_of, progress=progress)
        except AnalysisError as exc:
            raise StepFailed(str(exc)) from None
    db = open_db(ctx.db_path)
    day = ctx.as_of.isoformat()
    counts = {
        kind: db.execute(f"select count(*) from {table} where as_of = ?{extra}", [day]).fetchone()[
            0
        ]
        for kind, table, extra in (
            ("trends", "trends", ""),
            ("emerging", "trends", " and status in ('emerging', 'new')"),
            ("fading", "trends", " and status = 'fading'"),
            ("audience_shifts", "audience_shifts", " and significant = 1"),
        )
    }
    counts["topics"] = db["topics"].count
    db.close()
    return StepOutcome(counts)


class _LogWriter:
    """A text stream that logs each line written to it (for progress printed to a file)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.buffer = ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            if line.strip():
                self.logger.info("%s", line.rstrip())
        return len(text)

    def flush(self) -> None:
        return None


def digest_step(ctx: RunContext) -> StepOutcome:
    """Make this week's digest: files next to the database, and the mail in the outbox."""
    db = open_db(ctx.db_path)
    try:
        try:
            digest = gather_digest(
                db, ctx.as_of, ctx.digest, config=ctx.config, exact=True, db_label=str(ctx.db_path)
            )
        except DigestError as exc:
            raise StepFailed(str(exc)) from None
        folder = ctx.output_dir or ctx.db_path.resolve().parent / "digests"
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for fmt, suffix in (("html", "html"), ("text", "txt")):
            target = folder / f"digest-{digest.as_of}.{suffix}"
            target.write_text(render(digest, fmt), encoding="utf-8")
            files.append(str(target))
        counts: dict[str, Any] = {
            "emerging": len(digest.emerging),
            "new": len(digest.new),
            "fading": len(digest.fading),
            "shifts": len(digest.shifts),
            "files": files,
        }
        if ctx.send:
            counts["outbox"] = queue_digest(db, digest, ctx.digest, run_id=ctx.run_id)
        log.info(
            "digest of %s: %d rising, %d new, %d audience shifts, %d fading; %s",
            digest.period,
            len(digest.emerging),
            len(digest.new),
            len(digest.shifts),
            len(digest.fading),
            files[0],
        )
        return StepOutcome(counts)
    finally:
        db.close()


def send_step(ctx: RunContext) -> StepOutcome:
    """Mail every digest waiting in the outbox (this week's and any earlier failures)."""
    assert ctx.smtp is not None
    db = open_db(ctx.db_path)
    try:
        results = send_pending(db, ctx.smtp)
        waiting = db.execute("select count(*) from outbox where status = 'pending'").fetchone()[0]
    finally:
        db.close()
    counts = {
        "sent": [r.as_of for r in results if r.status == "sent"],
        "failed": [r.as_of for r in results if r.status == "failed"],
        "waiting": waiting,
    }
    failures = [r.error for r in results if r.status == "failed"]
    if failures:
        raise StepFailed(f"not sent, kept in the outbox for the next run: {failures[0]}")
    return StepOutcome(counts)


STEPS: dict[str, Step] = {
    "crawl": crawl_step,
    "analyze": analyze_step,
    "digest": digest_step,
    "send": send_step,
}


# -- the run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    run_id: int
    status: str
    exit_code: int
    steps: list[StepRecord]


def weekly_run(
    ctx: RunContext, *, steps: Mapping[str, Step] | None = None, wait: float = 0.0
) -> RunResult:
    """Crawl, analyse, make the digest and (with ``ctx.send``) mail it, under the lock.

    ``steps`` replaces step functions by name (tests use it). Raises :class:`RunLocked`.
    A step that fails stops the steps that depend on it; sending what already waits in
    the outbox still happens.
    """
    chosen = {**STEPS, **(steps or {})}
    with run_lock(ctx.db_path, wait):
        db = open_db(ctx.db_path)
        stale = _close_stale_runs(db)
        versions = program_versions()
        ctx.run_id = (
            db["runs"]
            .insert(
                {
                    "as_of": ctx.as_of.isoformat(),
                    "started_at": utcnow(),
                    "status": "running",
                    "send": int(ctx.send),
                    "steps": "[]",
                    "program_version": versions["trendscout"],
                    "versions": json.dumps(versions),
                    "pid": os.getpid(),
                }
            )
            .last_pk
        )
        waiting = db.execute("select count(*) from outbox where status = 'pending'").fetchone()[0]
        db.close()
        if waiting and not ctx.send:
            log.warning(
                "%d digest(s) wait in the outbox; run with --send "
                "(or 'trendscout outbox --send') to mail them",
                waiting,
            )
        for run_id in stale:
            log.warning(
                "run %s had stopped without finishing; this run does its work again", run_id
            )
        log.info(
            "run %s: the week ending %s%s",
            ctx.run_id,
            ctx.as_of,
            ", mailing the digest" if ctx.send else "",
        )

        records: list[StepRecord] = []
        interrupted = False
        try:
            plan = ["crawl", "analyze", "digest"] + (["send"] if ctx.send else [])
            blocked = False
            for name in plan:
                if blocked and name != "send":
                    records.append(StepRecord(name, "skipped"))
                    continue
                record = StepRecord(name, "running", started_at=utcnow())
                records.append(record)
                _save_steps(ctx, records)
                _do_step(record, chosen[name], ctx)
                _save_steps(ctx, records)
                if record.status == "failed" and name != "send":
                    blocked = True
        except KeyboardInterrupt:
            interrupted = True
            for record in records:
                if record.status == "running":
                    record.status, record.error = "interrupted", "interrupted"
            log.warning("run %s interrupted", ctx.run_id)
        status, code = _outcome(records, interrupted)
        db = open_db(ctx.db_path)
        first_error = next((r.error for r in records if r.error), None)
        db["runs"].update(
            ctx.run_id,
            {
                "finished_at": utcnow(),
                "status": status,
                "exit_code": code,
                "steps": json.dumps([asdict(r) for r in records], ensure_ascii=False),
                "error": first_error,
            },
        )
        db.close()
        log.info("run %s finished: %s (exit code %d)", ctx.run_id, status, code)
        return RunResult(ctx.run_id, status, code, records)


def _do_step(record: StepRecord, step: Step, ctx: RunContext) -> None:
    """Run one step, filling in ``record``; only KeyboardInterrupt escapes."""
    started = time.monotonic()
    log.info("step %s ...", record.name)
    try:
        outcome = step(ctx)
        record.status, record.counts = outcome.status, outcome.counts
    except StepFailed as exc:
        record.status, record.error = "failed", str(exc)
    except Exception as exc:  # a bug or an unexpected failure: keep the run's record
        log.exception("step %s failed", record.name)
        record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        record.seconds = round(time.monotonic() - started, 3)
    level = logging.WARNING if record.status != "ok" else logging.INFO
    log.log(
        level,
        "step %s: %s in %.1f s%s",
        record.name,
        record.status,
        record.seconds,
        f" ({record.error})" if record.error else "",
    )


def _save_steps(ctx: RunContext, records: list[StepRecord]) -> None:
    """Write the steps so far, so a killed run still shows how far it got."""
    db = open_db(ctx.db_path)
    db["runs"].update(
        ctx.run_id, {"steps": json.dumps([asdict(r) for r in records], ensure_ascii=False)}
    )
    db.close()


def _close_stale_runs(db: sqlite_utils.Database) -> list[int]:
    """Runs still marked running: we hold the lock, so they died. Mark them interrupted."""
    stale = [r["id"] for r in db.query("select id from runs where status = 'running'")]
    for run_id in stale:
        db["runs"].update(
            run_id,
            {"status": "interrupted", "error": "the process stopped before the run finished"},
        )
    return stale


def _outcome(records: list[StepRecord], interrupted: bool) -> tuple[str, int]:
    """The run's status and exit code from its steps (see the module docstring)."""
    if interrupted:
        return "interrupted", EXIT_INTERRUPTED
    by_name = {r.name: r for r in records}
    if any(r.status == "failed" for r in records if r.name != "send"):
        return "failed", EXIT_STEP_FAILED
    if by_name.get("send") and by_name["send"].status == "failed":
        return "partial", EXIT_NOT_SENT
    if any(r.status == "partial" for r in records):
        return "partial", EXIT_SOURCE_FAILED
    return "ok", EXIT_OK


# -- trendscout run --------------------------------------------------------------------------


def default_as_of(today: dt.date | None = None) -> dt.date:
    """Yesterday: the last complete day, so the week has seven full days."""
    return (today or dt.date.today()) - dt.timedelta(days=1)


@click.command(
    epilog="Exit codes: 0 ok; 1 a source could not be read at all; 2 usage or "
    "configuration error; 3 a step failed; 4 another run holds the lock; 5 the "
    "digest could not be mailed (it waits in the outbox); 130 interrupted."
)
@config_option(help="The project file.")
@db_option()
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Last day of the week to analyse (YYYY-MM-DD); default: yesterday.",
)
@click.option("--send", is_flag=True, help="Mail the digest to digest.to in sources.yml.")
@env_file_option()
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Where to log (default: {LOG_NAME} next to the database).",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="If another run holds the lock, wait this long for it before giving up.",
)
@click.option("--verbose", "-v", is_flag=True, help="Show debug messages on the console.")
def run_command(
    config_path: Path,
    db_path: Path,
    as_of: str | None,
    send: bool,
    env_file: Path | None,
    log_file: Path | None,
    wait: float,
    verbose: bool,
) -> None:
    """The weekly job: crawl, analyse, write the digest and (with --send) mail it.

    Made for cron (see 'trendscout schedule'): one run at a time per database, every run
    recorded in the runs table, the log in trendscout.log next to the database. A run
    that fails part-way is picked up by the next one; a digest that could not be sent
    waits in the outbox and goes out with the next run, never twice.
    """
    from pipelines.cli import UsageError, read_config
    from pipelines.digest import parse_day

    day = parse_day(as_of, "--as-of") if as_of else default_as_of()
    config = read_config(config_path)
    try:
        env = {**os.environ, **(load_env_file(env_file) if env_file else {})}
        settings = digest_settings(config)
        smtp = smtp_settings(config, env) if send else None
        if send and not settings.to:
            raise UsageError(
                f"{config_path}: digest.to: missing; list who gets the digest, "
                "e.g. 'digest: {to: [team@example.com], from: trends@example.com}'"
            )
        if send and not settings.sender:
            raise UsageError(f"{config_path}: digest.from: missing; add the sender address")
    except (ConfigError, MailError) as exc:
        raise UsageError(str(exc)) from None

    handlers = setup_logging(log_file or db_path.resolve().parent / LOG_NAME, verbose)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        ctx = RunContext(
            config=config,
            db_path=db_path,
            as_of=day,
            send=send,
            env=env,
            digest=settings,
            smtp=smtp,
        )
        try:
            result = weekly_run(ctx, wait=wait)
        except RunLocked as exc:
            log.error("%s; this run exits without doing anything (exit code %d)", exc, EXIT_LOCKED)
            sys.exit(EXIT_LOCKED)
        sys.exit(result.exit_code)
    finally:
        signal.signal(signal.SIGTERM, previous)
        remove_logging(handlers)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
