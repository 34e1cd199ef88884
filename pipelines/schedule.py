"""Scheduling the weekly run: a crontab line or a systemd user timer.

``trendscout schedule`` prints what it would install; ``--install`` installs it and
``--remove`` takes it out again. Both are idempotent: the crontab entry sits under a
marker comment naming the database (so several projects can be scheduled side by side,
and installing twice replaces rather than duplicates), and the systemd units are named
after the database.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from pipelines.options import config_option, db_option

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbers them 0-6 from Sunday
DAY_NAMES = {name: i for i, name in enumerate(DAYS)} | {
    full: i
    for i, full in enumerate(
        ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    )
}
MARKER = "# trendscout schedule for "
CRON_LOG = "trendscout-cron.log"


class ScheduleError(Exception):
    """The schedule cannot be made or installed; the message says why and what to do."""


@dataclass(frozen=True)
class Weekly:
    """A weekly time: cron's day number (0 = Sunday), hour and minute, local time."""

    day: int
    hour: int
    minute: int

    @property
    def cron(self) -> str:
        return f"{self.minute} {self.hour} * * {self.day}"

    @property
    def on_calendar(self) -> str:
        return f"{DAYS[self.day].capitalize()} *-*-* {self.hour:02d}:{self.minute:02d}:00"

    def __str__(self) -> str:
        return f"{DAYS[self.day]} {self.hour:02d}:{self.minute:02d}"


def parse_weekly(text: str) -> Weekly:
    """``"mon 06:00"`` (day name or three letters, then HH:MM, 24-hour) → :class:`Weekly`."""
    parts = text.split()
    if len(parts) != 2:
        raise ScheduleError(f'--weekly {text!r}: expected a day and a time, e.g. "mon 06:00"')
    day_text, time_text = parts[0].lower(), parts[1]
    if day_text not in DAY_NAMES:
        raise ScheduleError(
            f"--weekly {text!r}: {parts[0]!r} is not a day of the week; "
            f"use {', '.join(DAYS[1:])} or sun"
        )
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", time_text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ScheduleError(
            f"--weekly {text!r}: {time_text!r} is not a time; "
            "write HH:MM in 24-hour form, e.g. 06:00"
        )
    return Weekly(DAY_NAMES[day_text], int(match[1]), int(match[2]))


@dataclass(frozen=True)
class Job:
    """What the schedule runs: absolute paths, so cron's bare environment does not matter."""

    config: Path
    db: Path
    send: bool = False
    env_file: Path | None = None

    @property
    def project_dir(self) -> Path:
        return self.config.parent

    @property
    def log(self) -> Path:
        return self.db.parent / CRON_LOG

    def argv(self) -> list[str]:
        args = [*trendscout_executable(), "run", "-c", str(self.config), "--db", str(self.db)]
        if self.send:
            args.append("--send")
        if self.env_file:
            args += ["--env-file", str(self.env_file)]
        return args

    @property
    def unit(self) -> str:
        """systemd unit name: ``trendscout-<db name>-<hash of its path>``."""
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", self.db.stem).strip("-") or "db"
        return f"trendscout-{stem}-{hashlib.sha1(str(self.db).encode()).hexdigest()[:8]}"


def make_job(config: Path, db: Path, send: bool = False, env_file: Path | None = None) -> Job:
    """A :class:`Job` with every path made absolute."""
    return Job(config.absolute(), db.absolute(), send, env_file.absolute() if env_file else None)


def trendscout_executable() -> list[str]:
    """This virtual environment's ``trendscout`` script (or ``python -m pipelines.cli``)."""
    python = Path(sys.executable).absolute()  # not resolved: a venv's python is a symlink
    script = python.with_name("trendscout")
    return [str(script)] if script.exists() else [str(python), "-m", "pipelines.cli"]


# -- cron ------------------------------------------------------------------------------------


def cron_entry(job: Job, when: Weekly) -> str:
    """The marker comment and the crontab line (two lines, no trailing newline)."""
    command = " ".join(shlex.quote(a) for a in job.argv())
    line = (
        f"{when.cron} cd {shlex.quote(str(job.project_dir))} && {command} "
        f">> {shlex.quote(str(job.log))} 2>&1"
    )
    return f"{MARKER}{job.db}\n{line.replace('%', chr(92) + '%')}"  # % means newline to cron


def without_entry(crontab: str, job: Job) -> tuple[str, bool]:
    """``crontab`` minus this job's marker and line; and whether there was one."""
    lines, kept, found = crontab.splitlines(), [], False
    skip_next = False
    for line in lines:
        if skip_next:
            skip_next = False
            continue
        if line.strip() == f"{MARKER}{job.db}":
            found, skip_next = True, True
            continue
        kept.append(line)
    text = "\n".join(kept).rstrip("\n")
    return (text + "\n" if text else ""), found


def read_crontab() -> str:
    """The user's crontab (empty when there is none)."""
    crontab = _crontab_program()
    result = subprocess.run([crontab, "-l"], capture_output=True, text=True)
    if result.returncode != 0:
        if "no crontab" in result.stderr.lower():
            return ""
        raise ScheduleError(f"'crontab -l' failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def write_crontab(text: str) -> None:
    crontab = _crontab_program()
    result = subprocess.run([crontab, "-"], input=text, capture_output=True, text=True)
    if result.returncode != 0:
        raise ScheduleError(f"'crontab -' refused the new crontab: {result.stderr.strip()}")


def _crontab_program() -> str:
    program = shutil.which("crontab")
    if not program:
        raise ScheduleError("crontab is not installed here; install cron, or use --systemd")
    return program


def install_cron(job: Job, when: Weekly) -> bool:
    """Add (or replace) the job's entry; returns whether an older entry was replaced."""
    current, found = without_entry(read_crontab(), job)
    write_crontab(current + cron_entry(job, when) + "\n")
    return found


def remove_cron(job: Job) -> bool:
    """Take the job's entry out; returns whether there was one."""
    current, found = without_entry(read_crontab(), job)
    if found:
        write_crontab(current)
    return found


# -- systemd ---------------------------------------------------------------------------------


def systemd_quote(arg: str) -> str:
    """Quote one ExecStart argument for systemd (``%`` is a specifier there)."""
    arg = arg.replace("%", "%%")
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_units(job: Job, when: Weekly) -> dict[str, str]:
    """``{file name: content}`` of the service and the timer."""
    exec_start = " ".join(systemd_quote(a) for a in job.argv())
    service = f"""[Unit]
Description=trendscout weekly run for {job.db}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={systemd_quote(str(job.project_dir))}
ExecStart={exec_start}
Nice=10
# Exit codes: 1 a source failed, 3 a step failed, 4 another run was busy, 5 mail waits in the outbox
"""
    timer = f"""[Unit]
Description=Weekly trendscout run ({when}) for {job.db}

[Timer]
OnCalendar={when.on_calendar}
# Run at the next start-up when the machine was off at the scheduled time
Persistent=true

[Install]
WantedBy=timers.target
"""
    return {f"{job.unit}.service": service, f"{job.unit}.timer": timer}


def systemd_dir() -> Path:
    return Path.home() / ".config" / "systemd" / "user"


def _systemctl(*args: str, check: bool = True) -> None:
    program = shutil.which("systemctl")
    if not program:
        raise ScheduleError(
            "systemctl is not available here; use the crontab line instead (no --systemd)"
        )
    result = subprocess.run([program, "--user", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise ScheduleError(f"'systemctl --user {' '.join(args)}' failed: {result.stderr.strip()}")


def install_systemd(job: Job, when: Weekly) -> list[Path]:
    """Write the units, reload systemd and enable the timer; returns the files written."""
    folder = systemd_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in systemd_units(job, when).items():
        (folder / name).write_text(content, encoding="utf-8")
        written.append(folder / name)
    _systemctl("daemon-reload")
    _systemctl("enable", "--now", f"{job.unit}.timer")
    return written


def remove_systemd(job: Job) -> list[Path]:
    """Disable the timer and delete the units; returns the files removed."""
    folder = systemd_dir()
    files = [folder / f"{job.unit}.timer", folder / f"{job.unit}.service"]
    present = [f for f in files if f.exists()]
    if present:
        _systemctl("disable", "--now", f"{job.unit}.timer", check=False)
        for file in present:
            file.unlink()
        _systemctl("daemon-reload")
    return present


# -- trendscout schedule ---------------------------------------------------------------------


@click.command()
@config_option(help="The project file.")
@db_option()
@click.option(
    "--weekly",
    "weekly",
    default="mon 06:00",
    show_default=True,
    metavar='"DAY HH:MM"',
    help="When to run, in this machine's local time.",
)
@click.option("--send", is_flag=True, help="Mail the digest (trendscout run --send).")
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File with TRENDSCOUT_SMTP_* variables for the run (cron does not see yours).",
)
@click.option("--systemd", is_flag=True, help="A systemd user timer instead of a crontab line.")
@click.option(
    "--install", is_flag=True, help="Install it (replaces an earlier one for this database)."
)
@click.option("--remove", is_flag=True, help="Remove the installed schedule for this database.")
def schedule_command(
    config_path: Path,
    db_path: Path,
    weekly: str,
    send: bool,
    env_file: Path | None,
    systemd: bool,
    install: bool,
    remove: bool,
) -> None:
    """Run 'trendscout run' every week: print a crontab line (or systemd timer) to install.

    --install puts it in your crontab (or ~/.config/systemd/user); --remove takes it out.
    Paths are made absolute, so the job works from cron's bare environment.
    """
    from pipelines.cli import UsageError, read_config

    if install and remove:
        raise UsageError("--install and --remove exclude each other; pick one")
    try:
        when = parse_weekly(weekly)
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None
    if not remove:
        config = read_config(config_path)
        if env_file and not env_file.is_file():
            raise UsageError(f"--env-file {env_file}: no such file")
        if config.extra.get("digest") and not send:
            click.echo(
                "Note: sources.yml has a digest: block; add --send to mail the digest.", err=True
            )
    job = make_job(config_path, db_path, send, env_file)
    try:
        if systemd:
            _systemd_action(job, when, install, remove)
        else:
            _cron_action(job, when, install, remove)
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None


def _cron_action(job: Job, when: Weekly, install: bool, remove: bool) -> None:
    if remove:
        found = remove_cron(job)
        click.echo(
            f"Removed the weekly run for {job.db} from your crontab."
            if found
            else f"Your crontab has no trendscout schedule for {job.db}."
        )
        return
    entry = cron_entry(job, when)
    if install:
        replaced = install_cron(job, when)
        click.echo(
            ("Replaced" if replaced else "Installed") + f" the weekly run ({when}) in your crontab:"
        )
        click.echo(entry)
        click.echo(
            f"Its output goes to {job.log}; "
            f"the run's own log is {job.db.parent / 'trendscout.log'}."
        )
        return
    click.echo(entry)


def _systemd_action(job: Job, when: Weekly, install: bool, remove: bool) -> None:
    if remove:
        removed = remove_systemd(job)
        click.echo(
            f"Removed {', '.join(str(p) for p in removed)}."
            if removed
            else f"No systemd timer for {job.db} in {systemd_dir()}."
        )
        return
    units = systemd_units(job, when)
    if install:
        written = install_systemd(job, when)
        click.echo(
            f"Installed and started {job.unit}.timer ({when}): {', '.join(map(str, written))}"
        )
        click.echo(
            f"Check it with: systemctl --user list-timers {job.unit}.timer. To run while you "
            "are logged out: loginctl enable-linger $USER"
        )
        return
    for name, content in units.items():
        click.echo(f"# {systemd_dir() / name}\n{content}")
