"""Command-line options every trendscout subcommand spells the same way."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pipelines.db import DEFAULT_DB

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def db_option(help: str = "The SQLite database to use.") -> Decorator:  # noqa: A002
    """``--db PATH`` (default trendscout.db in the current folder)."""
    return click.option(
        "--db",
        "db_path",
        default=DEFAULT_DB,
        show_default=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )


def config_option(
    default: str | None = "sources.yml",
    help: str = "The project file (sources, watch list, settings).",  # noqa: A002
) -> Decorator:
    """``-c/--config PATH``: the project's sources.yml (optional when ``default`` is None)."""
    return click.option(
        "-c",
        "--config",
        "config_path",
        default=default,
        show_default=default is not None,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )


def env_file_option() -> Decorator:
    """``--env-file PATH`` with TRENDSCOUT_SMTP_* variables, for cron and systemd."""
    return click.option(
        "--env-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read TRENDSCOUT_SMTP_* variables (and the password) from this file.",
    )
