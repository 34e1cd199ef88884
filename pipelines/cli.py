"""The ``trendscout`` command line: one subcommand per stage."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from pipelines.config import EXAMPLE_CONFIG, Config, ConfigError, load_config
from pipelines.db import open_db
from pipelines.options import config_option, db_option


class UsageError(click.ClickException):
    """A mistake the user can fix; printed as one line, exit code 2."""

    exit_code = 2


def read_config(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


class LazyGroup(click.Group):
    """A click group whose LAZY_COMMANDS are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_COMMANDS and name not in self.commands:
            module, attr = LAZY_COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trendscout")
def cli() -> None:
    """trendscout: find what your audience starts talking about, before it shows in sales.

    Crawl feeds, blogs and forums listed in sources.yml, analyze them for emerging
    trends and audience shifts, and browse the findings in Datasette.
    """


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing sources.yml.")
def init(directory: Path, force: bool) -> None:
    """Write a commented example sources.yml into DIRECTORY (default: here)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "sources.yml"
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; edit it, or pass --force to overwrite it")
    target.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    click.echo(f"Wrote {target}. Edit the sources, then run: trendscout crawl -c {target}")


@cli.command()
@config_option()
@db_option()
def sources(config_path: Path, db_path: Path) -> None:
    """List the configured sources and when each was last crawled."""
    config = read_config(config_path)
    last: dict[str, dict] = {}
    if db_path.exists():
        db = open_db(db_path)
        last = {
            row["name"]: row
            for row in db.query(
                "select s.name, s.last_crawled_at, count(p.id) as posts from sources s "
                "left join posts p on p.source_id = s.id group by s.id"
            )
        }
        db.close()
    rows = [
        (
            s.name,
            s.type,
            s.language or "-",
            (last.get(s.name) or {}).get("last_crawled_at") or "never",
            str((last.get(s.name) or {}).get("posts") or 0),
            s.url,
        )
        for s in config.sources
    ]
    header = ("name", "type", "lang", "last crawled", "posts", "url")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        click.echo("  ".join([*cells, row[-1]]))
    if config.watch:
        click.echo("\nwatching: " + ", ".join(w.name for w in config.watch))


@cli.command()
@config_option()
@db_option()
@click.option("--source", "only", multiple=True, help="Crawl only this source (repeatable).")
@click.option(
    "--since",
    metavar="DATE",
    help="Backfill: fetch everything published since DATE (YYYY-MM-DD) again, ignoring what "
    "earlier runs remembered; older posts are not stored.",
)
@click.option(
    "--workers",
    "redis_url",
    metavar="REDIS_URL",
    help="Distributed crawl: share one request queue and seen-set with the other workers "
    "started with the same Redis URL (e.g. redis://127.0.0.1:6379/0).",
)
@click.option(
    "--crawl-id",
    metavar="ID",
    help="With --workers: the shared crawl to join (default: the sources and today's date).",
)
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's log (INFO level).")
def crawl(
    config_path: Path,
    db_path: Path,
    only: tuple[str, ...],
    since: str | None,
    redis_url: str | None,
    crawl_id: str | None,
    verbose: bool,
) -> None:
    """Crawl every configured source (or --source NAME) into the database.

    Weekly runs fetch only what is new or changed. Ends with a summary per source;
    exits with code 1 when a source failed entirely.
    """
    from crawler.base import normalise_since
    from pipelines.crawl import RedisUnavailable, run_crawl

    try:
        since = normalise_since(since)
    except ValueError:
        raise UsageError(f"--since {since!r} is not a date; write it as YYYY-MM-DD") from None
    config = read_config(config_path)
    for name in only:
        try:
            config.source(name)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    click.echo(f"Crawling {len(only) or len(config.sources)} source(s) into {db_path} ...")
    try:
        summary = run_crawl(
            config,
            db_path,
            list(only) or None,
            "INFO" if verbose else "WARNING",
            since=since,
            progress_interval=10.0,
            redis_url=redis_url,
            crawl_id=crawl_id,
        )
    except RedisUnavailable as exc:
        raise UsageError(str(exc)) from None
    print_crawl_summary(summary)
    if summary.status == "interrupted":
        raise click.ClickException("crawl interrupted; run it again to pick up where it stopped")
    if summary.failed_sources:
        click.echo(
            f"{len(summary.failed_sources)} source(s) failed: "
            + ", ".join(summary.failed_sources)
            + f". See the crawl_errors table (crawl run {summary.run_id}).",
            err=True,
        )
        sys.exit(1)


def print_crawl_summary(summary) -> None:  # type: ignore[no-untyped-def]
    header = ("source", "status", "requests", "new", "updated", "unchanged", "errors")
    rows = [
        (
            s.name,
            s.status,
            str(s.requests),
            str(s.posts_new),
            str(s.posts_updated),
            str(s.posts_unchanged),
            str(s.errors),
        )
        for s in summary.sources
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
    totals = [sum(int(r[i]) for r in rows) for i in range(2, 7)]
    click.echo(
        f"crawl run {summary.run_id}: {summary.status}; {totals[0]} requests, "
        f"{totals[1]} new, {totals[2]} updated, {totals[3]} unchanged, {totals[4]} errors"
    )


# Commands that live in their own modules, imported only when used: `trendscout crawl`
# must not pay for loading scikit-learn and spaCy. name -> "module:click command".
LAZY_COMMANDS = {
    "analyze": "pipelines.analyze:analyze_command",
    "demo": "pipelines.demo:demo_command",
    "digest": "pipelines.digest:digest_command",
    "outbox": "pipelines.mail:outbox_command",
    "run": "pipelines.run:run_command",
    "schedule": "pipelines.schedule:schedule_command",
    "serve": "pipelines.serve:serve_command",
}


def main() -> None:
    cli(prog_name="trendscout")


if __name__ == "__main__":
    main()
