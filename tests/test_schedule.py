"""Scheduling: a valid crontab line, installed and removed idempotently; systemd timers."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.schedule import (
    MARKER,
    ScheduleError,
    Weekly,
    cron_entry,
    make_job,
    parse_weekly,
    systemd_units,
)

CONFIG = "sources:\n  - {name: s, type: feed, url: 'https://e.org/f'}\n"
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _check_cron_field(field: str, low: int, high: int) -> None:
    """A numeric crontab field: *, N, N-M, lists and */step, within range."""
    for item in field.split(","):
        base, _, step = item.partition("/")
        assert not step or step.isdigit()
        if base == "*":
            continue
        first, _, last = base.partition("-")
        for number in (first, last) if last else (first,):
            assert number.isdigit(), f"{field!r} is not numeric"
            assert low <= int(number) <= high, f"{field!r} is outside {low}-{high}"


def parse_crontab_line(line: str) -> tuple[list[str], str]:
    """Split a crontab line into its five time fields and its command, checking both."""
    parts = line.split(None, 5)
    assert len(parts) == 6, f"expected 5 time fields and a command: {line!r}"
    fields, command = parts[:5], parts[5]
    for field, (low, high) in zip(fields, CRON_RANGES, strict=True):
        _check_cron_field(field, low, high)
    # cron turns an unescaped % into a newline: every % must be escaped.
    assert "%" not in command.replace("\\%", "")
    shell_command = command.replace("\\%", "%")
    syntax = subprocess.run(["sh", "-n", "-c", shell_command], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    return fields, shell_command


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "market research 100%"  # a space and a % must survive cron
    folder.mkdir()
    (folder / "sources.yml").write_text(CONFIG, encoding="utf-8")
    return folder


def test_weekly_times_are_parsed() -> None:
    assert parse_weekly("mon 06:00") == Weekly(1, 6, 0)
    assert parse_weekly("Sunday 23:59") == Weekly(0, 23, 59)
    assert parse_weekly("  fri   7:05 ") == Weekly(5, 7, 5)
    assert parse_weekly("mon 06:00").on_calendar == "Mon *-*-* 06:00:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon", 'expected a day and a time, e.g. "mon 06:00"'),
        ("mnday 06:00", "'mnday' is not a day of the week; use mon, tue"),
        ("mon 6am", "'6am' is not a time; write HH:MM in 24-hour form"),
        ("mon 24:00", "'24:00' is not a time"),
        ("mon 06:60", "'06:60' is not a time"),
    ],
)
def test_bad_weekly_times_are_explained(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_weekly(text)


def test_schedule_prints_a_valid_crontab_line(project: Path) -> None:
    db = project / "data" / "trendscout.db"
    result = CliRunner().invoke(
        cli,
        [
            "schedule",
            "-c",
            str(project / "sources.yml"),
            "--db",
            str(db),
            "--weekly",
            "mon 06:00",
            "--send",
        ],
    )
    assert result.exit_code == 0, result.output
    marker, line = result.stdout.strip().splitlines()
    assert marker == f"{MARKER}{db}"
    fields, command = parse_crontab_line(line)
    assert fields == ["0", "6", "*", "*", "1"]
    words = shlex.split(command)
    assert words[:3] == ["cd", str(project), "&&"]
    program = words[3]
    assert Path(program).is_absolute() and os.access(program, os.X_OK)
    run_args = words[words.index("run") :]
    assert run_args[:6] == ["run", "-c", str(project / "sources.yml"), "--db", str(db), "--send"]
    assert words[-3:] == [">>", str(db.parent / "trendscout-cron.log"), "2>&1"]


def test_schedule_rejects_bad_input_in_one_line(project: Path) -> None:
    runner = CliRunner()
    bad_time = runner.invoke(
        cli, ["schedule", "-c", str(project / "sources.yml"), "--weekly", "mon 25:00"]
    )
    assert bad_time.exit_code == 2
    assert bad_time.stderr.strip().startswith("Error: --weekly 'mon 25:00': '25:00' is not a time")
    no_config = runner.invoke(cli, ["schedule", "-c", str(project / "missing.yml")])
    assert no_config.exit_code == 2 and "no such file" in no_config.stderr
    both = runner.invoke(
        cli, ["schedule", "-c", str(project / "sources.yml"), "--install", "--remove"]
    )
    assert both.exit_code == 2


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fake ``crontab`` and ``systemctl`` first on PATH: the real ones are never touched."""
    folder = tmp_path / "bin"
    folder.mkdir()
    store = tmp_path / "crontab.txt"
    calls = tmp_path / "systemctl.calls"
    (folder / "crontab").write_text(
        "#!/bin/sh\n"
        f'STORE="{store}"\n'
        'if [ "$1" = "-l" ]; then\n'
        '  if [ -f "$STORE" ]; then cat "$STORE"; exit 0; fi\n'
        '  echo "no crontab for $(id -un)" >&2; exit 1\n'
        'elif [ "$1" = "-" ]; then cat > "$STORE"; exit 0; fi\n'
        "exit 2\n",
        encoding="utf-8",
    )
    (folder / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n', encoding="utf-8")
    for name in ("crontab", "systemctl"):
        (folder / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_install_and_remove_are_idempotent_and_keep_other_jobs(
    project: Path, fake_bin: Path
) -> None:
    store = fake_bin / "crontab.txt"
    runner = CliRunner()
    base = ["schedule", "-c", str(project / "sources.yml"), "--db", str(project / "t.db")]

    first = runner.invoke(cli, [*base, "--weekly", "mon 06:00", "--install"])
    assert first.exit_code == 0, first.output
    assert "Installed the weekly run (mon 06:00)" in first.stdout
    assert store.read_text().count(MARKER) == 1

    other_job = "30 2 * * * /usr/bin/backup --all\n"
    store.write_text(other_job + store.read_text())
    again = runner.invoke(cli, [*base, "--weekly", "thu 07:30", "--install"])
    assert again.exit_code == 0 and "Replaced" in again.stdout
    text = store.read_text()
    assert text.count(MARKER) == 1 and text.startswith(other_job)
    _, line = text.strip().splitlines()[-2:]
    fields, _ = parse_crontab_line(line)
    assert fields == ["30", "7", "*", "*", "4"]

    # A second project's schedule sits beside the first.
    other_db = ["schedule", "-c", str(project / "sources.yml"), "--db", str(project / "other.db")]
    assert runner.invoke(cli, [*other_db, "--install"]).exit_code == 0
    assert store.read_text().count(MARKER) == 2

    removed = runner.invoke(cli, [*base, "--remove"])
    assert removed.exit_code == 0 and "Removed" in removed.stdout
    text = store.read_text()
    assert text.count(MARKER) == 1 and str(project / "other.db") in text and "t.db" not in text
    assert text.startswith(other_job)
    nothing = runner.invoke(cli, [*base, "--remove"])
    assert nothing.exit_code == 0 and "has no trendscout schedule" in nothing.stdout


def test_systemd_units_are_written_enabled_and_removed(project: Path, fake_bin: Path) -> None:
    job = make_job(project / "sources.yml", project / "t.db", send=True)
    units = systemd_units(job, parse_weekly("mon 06:00"))
    service, timer = units[f"{job.unit}.service"], units[f"{job.unit}.timer"]
    assert "OnCalendar=Mon *-*-* 06:00:00" in timer and "Persistent=true" in timer
    exec_line = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert "%%" in exec_line  # systemd specifiers escaped
    assert shlex.split(exec_line.removeprefix("ExecStart=").replace("%%", "%"))[1:] == [
        "run",
        "-c",
        str(project / "sources.yml"),
        "--db",
        str(project / "t.db"),
        "--send",
    ]

    runner = CliRunner()
    base = [
        "schedule",
        "--systemd",
        "-c",
        str(project / "sources.yml"),
        "--db",
        str(project / "t.db"),
    ]
    installed = runner.invoke(cli, [*base, "--send", "--install"])
    assert installed.exit_code == 0, installed.output
    folder = fake_bin / "home" / ".config" / "systemd" / "user"
    assert sorted(p.name for p in folder.iterdir()) == sorted(units)
    assert (folder / f"{job.unit}.timer").read_text() == timer
    calls = (fake_bin / "systemctl.calls").read_text().splitlines()
    assert calls == ["--user daemon-reload", f"--user enable --now {job.unit}.timer"]

    removed = runner.invoke(cli, [*base, "--remove"])
    assert removed.exit_code == 0, removed.output
    assert list(folder.iterdir()) == []
    calls = (fake_bin / "systemctl.calls").read_text().splitlines()
    assert calls[-2:] == [f"--user disable --now {job.unit}.timer", "--user daemon-reload"]


def test_cron_entry_escapes_percent_signs(project: Path) -> None:
    entry = cron_entry(
        make_job(project / "sources.yml", project / "t.db"), parse_weekly("sat 23:15")
    )
    line = entry.splitlines()[1]
    assert "100\\%" in line and "100%" not in line.replace("100\\%", "")
    fields, command = parse_crontab_line(line)
    assert fields == ["15", "23", "*", "*", "6"]
    assert str(project / "sources.yml") in shlex.split(command)
