"""Publishing: run Datasette on the trendscout database, read-only, with our metadata.

Everything Datasette needs lives in ``datasette_config/``: ``metadata.yml`` (titles,
descriptions, facets, canned queries, plugin settings), ``templates/`` (the home page),
``static/`` (our CSS and JavaScript) and ``plugins/`` (week/month facets, evidence links,
the home page's data, the optional password gate).

Read-only, and why not immutable by default: Datasette opens a database that is not
marked immutable with SQLite's ``mode=ro``, so no request can write to it, and every
query sees what the crawler has committed so far (WAL mode lets a crawl write while
Datasette reads). Immutable mode (``-i``) is faster and lets people download the file,
but SQLite then assumes the file never changes: rows a crawl commits while Datasette
serves would stay invisible or, after a WAL checkpoint rewrites pages, give wrong
answers. So ``trendscout serve`` uses plain read-only mode, and ``--immutable`` is there
for a frozen snapshot that nothing writes to (the WAL is checkpointed into the file first).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from pipelines.db import open_db
from pipelines.options import db_option

CONFIG_DIR = Path(__file__).resolve().parent.parent / "datasette_config"
METADATA = CONFIG_DIR / "metadata.yml"
TEMPLATES = CONFIG_DIR / "templates"
PLUGINS = CONFIG_DIR / "plugins"
STATIC = CONFIG_DIR / "static"

# The name every page, canned query and dashboard uses for the database; the plugin in
# datasette_config/plugins serves the file under this name whatever it is called.
DATABASE_NAME = "trendscout"

# Environment variables for the optional password (see README: sharing beyond localhost).
PASSWORD_ENV = "TRENDSCOUT_PASSWORD"
PASSWORD_HASH_ENV = "TRENDSCOUT_PASSWORD_HASH"

SETTINGS: dict[str, str] = {
    "sql_time_limit_ms": "5000",  # long enough for a canned query over a year of posts
    "facet_time_limit_ms": "1000",
    "default_page_size": "50",
    "max_returned_rows": "5000",  # charts and CSV exports of a finding fit in one page
    "truncate_cells_html": "300",  # long post texts stay readable in tables
    "suggest_facets": "off",  # the useful facets are configured in metadata.yml
    "allow_download": "off",  # share findings, not the whole database file
}


class ServeError(Exception):
    """The database or the address cannot be served; the message says what to do."""


def datasette_executable() -> list[str]:
    """This virtual environment's ``datasette`` (falls back to ``python -m datasette``)."""
    script = Path(sys.executable).with_name("datasette")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "datasette"]


def datasette_args(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    immutable: bool = False,
) -> list[str]:
    """The full ``datasette serve`` command line for ``db_path`` with trendscout's config."""
    args = [
        *datasette_executable(),
        "serve",
        *(["-i", str(db_path)] if immutable else [str(db_path)]),
        "--host",
        host,
        "--port",
        str(port),
        "--metadata",
        str(METADATA),
        "--template-dir",
        str(TEMPLATES),
        "--plugins-dir",
        str(PLUGINS),
        "--static",
        f"trendscout-static:{STATIC}",
    ]
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args


def check_database(db_path: str | Path) -> None:
    """Raise :class:`ServeError` unless ``db_path`` is a trendscout database.

    Brings an older database's schema up to date (the migrations are the program's own).
    """
    path = Path(db_path)
    if not path.is_file():
        raise ServeError(
            f"database {path} not found; run `trendscout crawl --db {path}` to create it, "
            "or `trendscout demo` to try the bundled demo"
        )
    try:
        db = open_db(path, create=False)
        db.close()
    except sqlite3.DatabaseError as exc:
        raise ServeError(f"{path} is not a usable SQLite database ({exc})") from None


def checkpoint(db_path: str | Path) -> None:
    """Fold the write-ahead log into the database file, so a reader without it sees all rows."""
    conn = sqlite3.connect(str(db_path), timeout=30)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    if busy:
        raise ServeError(
            f"{db_path} is being written (a crawl or analysis is running); "
            "serve it without --immutable, or wait until the writer is done"
        )


def check_port(host: str, port: int) -> None:
    """Raise :class:`ServeError` when ``host:port`` cannot be listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use (another `trendscout serve`?); "
                    "stop it or choose another port with --port"
                ) from None
            raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror})") from None


def is_loopback(host: str) -> bool:
    """True when ``host`` is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def datasette_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``TRENDSCOUT_PASSWORD`` becomes the hash the plugin reads."""
    env = dict(os.environ if environ is None else environ)
    password = env.pop(PASSWORD_ENV, None)
    if password and not env.get(PASSWORD_HASH_ENV):
        from datasette_auth_passwords.utils import hash_password

        env[PASSWORD_HASH_ENV] = hash_password(password)
    return env


def run_datasette(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    immutable: bool = False,
) -> int:
    """Serve ``db_path`` until interrupted; returns Datasette's exit code (0 after Ctrl-C).

    Raises :class:`ServeError` when the database is missing or the port is taken.
    """
    check_database(db_path)
    if immutable:
        checkpoint(db_path)
    check_port(host, port)
    process = subprocess.Popen(
        datasette_args(db_path, host, port, immutable=immutable), env=datasette_env()
    )
    stopping: list[int] = []
    previous = _forward_sigterm(process, stopping)
    try:
        code = process.wait()
        return 0 if stopping else code
    except KeyboardInterrupt:
        # Ctrl-C reached Datasette too (same process group); let it finish cleanly.
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait()
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _forward_sigterm(process: subprocess.Popen, stopping: list[int]) -> Any:
    """Stop Datasette too when this process is asked to stop; returns the old handler."""

    def stop(signum: int, frame: Any) -> None:
        stopping.append(signum)
        process.terminate()

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not in the main thread: leave signals alone
        return None


@click.command()
@db_option(help="The SQLite database to publish.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--immutable",
    is_flag=True,
    help="Serve a frozen snapshot (faster); only when no crawl or analysis writes to it.",
)
def serve_command(db_path: Path, host: str, port: int, immutable: bool) -> None:
    """Browse the findings in Datasette (read-only) at http://HOST:PORT/.

    Opens on this week's emerging trends and audience shifts, with the posts behind
    them. To share it beyond this machine, set TRENDSCOUT_PASSWORD first.
    """
    protected = bool(os.environ.get(PASSWORD_ENV) or os.environ.get(PASSWORD_HASH_ENV))
    if not is_loopback(host) and not protected:
        click.echo(
            f"warning: serving on {host} without a password; anyone who can reach it can "
            f"read the data (set {PASSWORD_ENV} to require a login)",
            err=True,
        )
    display_host = f"[{host}]" if ":" in host else host
    try:
        check_database(db_path)
        check_port(host, port)
        click.echo(f"Serving {db_path} at http://{display_host}:{port}/  (Ctrl-C to stop)")
        code = run_datasette(db_path, host, port, immutable=immutable)
    except ServeError as exc:
        from pipelines.cli import UsageError

        raise UsageError(str(exc)) from None
    if code:
        raise click.ClickException(f"Datasette stopped with exit code {code}")


if __name__ == "__main__":  # python -m pipelines.serve: the same command, without the group
    serve_command(prog_name="trendscout serve")
