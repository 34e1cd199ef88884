"""``trendscout demo``: the bundled multilingual demo, end to end, on this machine.

Serves the demo feeds in ``pipelines/demo_data/`` (Polish, Vietnamese, Chinese and English
blogs and forums; see its README.md for what is planted where) from a local HTTP server on
127.0.0.1, writes a sources.yml for them into the work folder, crawls them with the real
crawler, analyses them, writes the week's digest, and serves the database in
Datasette. Running it again re-uses the work folder: nothing is stored twice.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml

from pipelines.config import load_config
from pipelines.db import open_db
from pipelines.localserver import LocalServer

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"
DEFAULT_WORKDIR = Path("demo")
DB_NAME = "trendscout.db"
CONFIG_NAME = "sources.yml"
HOST = "127.0.0.1"
# The demo feed server prefers a fixed port, so post URLs stay the same between runs and a
# re-run shows conditional GET at work (the unchanged feeds answer 304).
FEED_PORT = 8010
CONTACT = "https://github.com/trendscout/trendscout/blob/main/pipelines/demo_data/README.md"
# The demo server is on this machine: no need to wait between requests.
DEMO_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}
DIGEST = {
    "to": ["research-team@example.org"],
    "from": "trendscout-demo@example.org",
    "subject": "Gaming trends {start} – {end}: {top} (trendscout demo)",
}

Echo = Callable[[str], None]


class DemoError(click.ClickException):
    """The demo could not run; the message says which step failed and why."""


@dataclass(frozen=True)
class Step:
    """A later stage of the demo, run as ``trendscout ARGS`` in a child process."""

    title: str
    args: tuple[str, ...]


def later_steps(workdir: Path, db_path: Path, config_path: Path, as_of: str) -> list[Step]:
    """The analysis (trends, topics, audience shifts) and the digest, as of the demo's Sunday."""
    common = ("--db", str(db_path), "-c", str(config_path), "--as-of", as_of)
    return [
        Step(f"Analysing as of {as_of} (trends, topics, audience shifts)", ("analyze", *common)),
        Step(
            f"Writing the digest for the week ending {as_of}",
            ("digest", *common, "--format", "html", "-o", str(workdir / f"digest-{as_of}.html")),
        ),
    ]


def load_manifest(data_dir: Path = DEMO_DATA) -> dict[str, Any]:
    """The demo's ``feeds.json``: sources, watch list and analysis date."""
    path = data_dir / "feeds.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoError(
            f"the demo data is missing ({path}); regenerate it with "
            "'python scripts/make_demo_feeds.py'"
        ) from None
    missing = [s["path"] for s in manifest["sources"] if not (data_dir / s["path"]).is_file()]
    if missing:
        raise DemoError(f"demo feeds missing in {data_dir}: {', '.join(missing)}")
    return manifest


def demo_config(manifest: dict[str, Any], base_url: str) -> str:
    """sources.yml text for the demo feeds served at ``base_url``."""
    data = {
        "sources": [
            {
                "name": source["name"],
                "type": "feed",
                "url": f"{base_url}/{source['path']}",
                "language": source["language"],
            }
            for source in manifest["sources"]
        ],
        "watch": manifest["watch"],
        "settings": DEMO_SETTINGS,
        "contact": CONTACT,
        "digest": DIGEST,
    }
    header = (
        "# The trendscout demo project, written by `trendscout demo` (rewritten on every run:\n"
        "# the demo server gets a new port each time). The sources are the bundled feeds in\n"
        "# pipelines/demo_data/; its README.md tells what is planted in them. Copy this file\n"
        "# as a starting point for your own project: `trendscout init` explains every key.\n"
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def child_env() -> dict[str, str]:
    """The environment for child ``trendscout`` processes: this checkout first on the path."""
    root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def run_child(args: Sequence[str]) -> int:
    """Run ``trendscout ARGS`` in a child process, its output going to this console."""
    command = [sys.executable, "-m", "pipelines.cli", *args]
    return subprocess.run(command, env=child_env(), stdin=subprocess.DEVNULL).returncode


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str, preferred: int) -> int:
    """``preferred`` if nothing listens there, else a port the system picks."""
    if port_is_free(host, preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def database_summary(db_path: Path) -> list[str]:
    """A few lines on what the database holds after the crawl."""
    db = open_db(db_path)
    try:
        total = next(db.query("select count(*) as n from posts"))["n"]
        langs = list(
            db.query(
                "select coalesce(s.language, '?') as lang, count(*) as n from posts p "
                "join sources s on s.id = p.source_id group by 1 order by 1"
            )
        )
        span = next(
            db.query(
                "select min(published_at) as first, max(published_at) as last, "
                "count(distinct source_id || char(0) || author) as authors from posts "
                "where coalesce(date_estimated, 0) = 0"
            )
        )
        undated = next(db.query("select count(*) as n from posts where date_estimated = 1"))["n"]
        sources = next(db.query("select count(*) as n from sources"))["n"]
    finally:
        db.close()
    by_lang = ", ".join(f"{row['lang']} {row['n']}" for row in langs)
    first, last = (span["first"] or "")[:10], (span["last"] or "")[:10]
    return [
        f"The database holds {total} posts from {sources} sources ({by_lang}),",
        f"published {first} to {last} by {span['authors']} authors"
        + (f"; {undated} without a date in the feed." if undated else "."),
    ]


def run_demo(
    workdir: Path,
    port: int,
    serve: bool,
    echo: Echo = click.echo,
) -> int:
    """Serve, crawl, analyse and publish the demo; returns the exit code."""
    if workdir.exists() and not workdir.is_dir():
        raise DemoError(f"{workdir} is a file; pass --workdir with a folder name")
    manifest = load_manifest()
    as_of = manifest["as_of"]
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / DB_NAME
    config_path = workdir / CONFIG_NAME
    steps = later_steps(workdir, db_path, config_path, as_of)
    total = 2 + len(steps) + int(serve)
    number = iter(range(1, total + 1))

    robots = (DEMO_DATA / "robots.txt").read_text(encoding="utf-8")
    with LocalServer(DEMO_DATA, port=free_port(HOST, FEED_PORT), robots_txt=robots) as server:
        echo(f"[{next(number)}/{total}] Demo sources: {len(manifest['sources'])} feeds in "
             f"Polish, Vietnamese, Chinese and English at {server.base_url}/")  # fmt: skip
        config_path.write_text(demo_config(manifest, server.base_url), encoding="utf-8")
        load_config(config_path)  # the demo's own file must be valid; fail here if not
        echo(f"      wrote {config_path}")

        echo(f"[{next(number)}/{total}] Crawling them into {db_path} ...")
        started = time.monotonic()
        code = run_child(["crawl", "-c", str(config_path), "--db", str(db_path)])
        if code != 0:
            raise DemoError(
                f"the crawl failed (exit code {code}); see the messages above and the "
                f"crawl_errors table in {db_path}"
            )
        for line in database_summary(db_path):
            echo(f"      {line}")
        echo(f"      crawl took {time.monotonic() - started:.1f} s")

    failed = False
    for step in steps:
        echo(f"[{next(number)}/{total}] {step.title} ...")
        if failed:
            echo("      skipped: the step before it failed")
            continue
        started = time.monotonic()
        code = run_child(step.args)
        if code != 0:
            failed = True
            echo(f"      trendscout {step.args[0]} failed (exit code {code}); going on without it")
        else:
            echo(f"      {step.args[0]} took {time.monotonic() - started:.1f} s")

    if not serve:
        echo(f"Done. Browse it later with: trendscout serve --db {db_path}")
        return 1 if failed else 0
    return serve_database(db_path, port, f"[{next(number)}/{total}]", echo)


def serve_database(db_path: Path, port: int, step: str, echo: Echo) -> int:
    """Datasette on the demo database until Ctrl-C."""
    chosen = free_port(HOST, port)
    if chosen != port:
        echo(f"      port {port} is taken; using {chosen} instead")
    echo(f"{step} Serving the database in Datasette at http://{HOST}:{chosen}/  (Ctrl-C stops)")
    from pipelines.serve import ServeError, run_datasette

    try:
        return run_datasette(db_path, HOST, chosen)
    except ServeError as exc:
        raise DemoError(str(exc)) from None


@click.command()
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port for Datasette (another free one is used if it is taken).",
)
@click.option(
    "--workdir",
    default=str(DEFAULT_WORKDIR),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the demo's sources.yml, database and digest (re-used on the next run).",
)
@click.option("--no-serve", is_flag=True, help="Stop after crawling and analysing; no Datasette.")
def demo_command(port: int, workdir: Path, no_serve: bool) -> None:
    """Run the bundled demo: multilingual gaming feeds, crawled, analysed, served.

    Starts a local server with the demo feeds (Polish, Vietnamese, Chinese and English
    blogs and forums, ten weeks ending Sunday 2026-11-22), crawls them into
    WORKDIR/trendscout.db, analyses them, writes the digest, and opens
    Datasette on the result. Running it again adds no duplicate posts.
    """
    code = run_demo(workdir, port, not no_serve)
    if code:
        sys.exit(code)
