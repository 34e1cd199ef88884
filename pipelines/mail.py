"""Mailing the digest: SMTP settings, sending, and the outbox that never loses a digest.

Settings come from environment variables first, then the ``smtp:`` block of sources.yml
(host, port, security, user). The password only ever comes from the environment
(``TRENDSCOUT_SMTP_PASSWORD``, or an env file given with ``--env-file``), never from YAML.

The outbox
----------
Every digest to be mailed is first stored, as the exact bytes of the message, in the
``outbox`` table under an idempotency key made from its week (``as_of``) and its sorted
recipients. Sending takes SQLite's write lock (``BEGIN IMMEDIATE``), checks the entry is
still pending, hands the message to the SMTP server and, once the server has accepted it,
marks it sent in that same transaction. So a digest that could not be sent waits for the
next run, and one that was sent is never sent again, even by two senders at once. The
one gap no mail client can close: if the process dies after the server accepted the
message but before the commit, the next run sends it again (with the same Message-ID, so
mail systems can tell it is the same message).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import re
import smtplib
import ssl
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any

import click
import sqlite_utils

from pipelines.config import Config, ConfigError
from pipelines.db import utcnow
from pipelines.options import config_option, db_option, env_file_option

log = logging.getLogger("trendscout.mail")

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
SMTP_KEYS = {"host", "port", "security", "user"}
ENV_PREFIX = "TRENDSCOUT_SMTP_"
PASSWORD_ENV = "TRENDSCOUT_SMTP_PASSWORD"
SMTP_TIMEOUT = 30.0
ADDRESS = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


class MailError(Exception):
    """Mail cannot be configured or sent; the message says what to do."""


class MailConfigError(MailError):
    """The SMTP settings (environment or sources.yml) are missing or wrong."""


class SendError(MailError):
    """The SMTP server could not be reached or did not accept the message."""


# -- addresses and settings ----------------------------------------------------------------


def address_problem(value: Any) -> str | None:
    """Why ``value`` is not one e-mail address (``a@b.org`` or ``Name <a@b.org>``), or None."""
    if not isinstance(value, str) or not value.strip():
        return f"expected an e-mail address, found {value!r}"
    pairs = getaddresses([value])
    if len(pairs) != 1 or not ADDRESS.match(pairs[0][1]):
        return f"{value!r} is not an e-mail address; write e.g. team@example.com"
    return None


def bare_address(value: str) -> str:
    """``Name <a@b.org>`` → ``a@b.org``."""
    return parseaddr(value)[1]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail. The password is never printed."""

    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_TIMEOUT

    def describe(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"smtp://{who}{self.host}:{self.port} ({self.security})"


def check_smtp_block(config: Config) -> dict[str, Any]:
    """Validate the ``smtp:`` block of sources.yml; raises :class:`ConfigError` (one line)."""
    block = config.extra.get("smtp")
    if block is None:
        return {}
    path = config.path
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: smtp: expected host, port, security and user (key: value)")
    if "password" in block or "pass" in block:
        raise ConfigError(
            f"{path}: smtp.password: never put a password in sources.yml; set the environment "
            f"variable {PASSWORD_ENV} (or put it in an env file passed with --env-file)"
        )
    for key in block:
        if key not in SMTP_KEYS:
            raise ConfigError(
                f"{path}: smtp.{key}: unknown key; allowed keys here: "
                + ", ".join(sorted(SMTP_KEYS))
            )
    host = block.get("host")
    if host is not None and (not isinstance(host, str) or not _host_ok(host)):
        raise ConfigError(f"{path}: smtp.host: {host!r} is not a host name, e.g. smtp.example.com")
    port = block.get("port")
    if port is not None and (
        isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536
    ):
        raise ConfigError(f"{path}: smtp.port: expected a port number such as 587, found {port!r}")
    security = block.get("security")
    if security is not None and security not in SECURITY_MODES:
        raise ConfigError(
            f"{path}: smtp.security: {security!r} is not one of {', '.join(SECURITY_MODES)}"
        )
    user = block.get("user")
    if user is not None and not (isinstance(user, str | int) and str(user).strip()):
        raise ConfigError(f"{path}: smtp.user: expected a user name, found {user!r}")
    return dict(block)


def _host_ok(host: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?", host.strip()))


def smtp_settings(config: Config | None, env: Mapping[str, str] | None = None) -> SmtpSettings:
    """SMTP settings from ``env`` (default ``os.environ``) over the ``smtp:`` block.

    Raises :class:`MailConfigError` when no host is set or a value is wrong.
    """
    env = os.environ if env is None else env
    block = check_smtp_block(config) if config is not None else {}

    def pick(name: str) -> Any:
        value = env.get(ENV_PREFIX + name.upper())
        return value if value not in (None, "") else block.get(name)

    host = pick("host")
    if not host:
        raise MailConfigError(
            "no SMTP server configured: set TRENDSCOUT_SMTP_HOST (or 'smtp: {host: ...}' in "
            "sources.yml)"
        )
    host = str(host).strip()
    if not _host_ok(host):
        raise MailConfigError(f"TRENDSCOUT_SMTP_HOST: {host!r} is not a host name")
    security = str(pick("security") or "starttls").strip().lower()
    if security not in SECURITY_MODES:
        raise MailConfigError(
            f"TRENDSCOUT_SMTP_SECURITY: {security!r} is not one of {', '.join(SECURITY_MODES)}"
        )
    raw_port = pick("port")
    try:
        port = int(raw_port) if raw_port not in (None, "") else DEFAULT_PORTS[security]
    except (TypeError, ValueError):
        raise MailConfigError(f"TRENDSCOUT_SMTP_PORT: {raw_port!r} is not a port number") from None
    if not 0 < port < 65536:
        raise MailConfigError(f"TRENDSCOUT_SMTP_PORT: {port} is not a port number (1-65535)")
    user = pick("user")
    user = str(user).strip() if user not in (None, "") else None
    password = env.get(PASSWORD_ENV) or None
    if user and not password:
        raise MailConfigError(
            f"an SMTP user is set ({user}) but {PASSWORD_ENV} is not; set it in the environment "
            "or in the file given with --env-file"
        )
    if password and security == "none" and not _is_loopback(host):
        raise MailConfigError(
            f"refusing to send the SMTP password unencrypted to {host}; set "
            "TRENDSCOUT_SMTP_SECURITY to starttls or ssl"
        )
    return SmtpSettings(host=host, port=port, security=security, user=user, password=password)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_env_file(path: str | Path) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines (``#`` comments, optional quotes, optional ``export``).

    For cron and systemd, which do not see your shell's variables. Warns when the file
    can be read by other users, since it usually holds the SMTP password.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MailConfigError(f"{path}: cannot read the env file ({exc.strerror})") from None
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s can be read by other users; run: chmod 600 %s", path, path)
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise MailConfigError(f"{path}: line {number}: expected NAME=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value
    return values


# -- sending -------------------------------------------------------------------------------


Deliver = Callable[[bytes, str, Sequence[str], SmtpSettings], dict[str, Any]]


def deliver(
    message: bytes, sender: str, recipients: Sequence[str], settings: SmtpSettings
) -> dict[str, Any]:
    """Hand ``message`` to the SMTP server; returns the recipients it refused (others got it).

    Raises :class:`SendError` with one line when nothing was accepted.
    """
    where = f"{settings.host}:{settings.port}"
    try:
        if settings.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password or "")
            refused = client.sendmail(sender, list(recipients), message)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            f"{where} refused the login for {settings.user}: {_smtp_reason(exc)}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"{where} refused every recipient: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"{where} did not accept the message: {_smtp_reason(exc)}") from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise SendError(f"sending through {where} failed: {exc}") from None
    except TimeoutError:
        raise SendError(f"{where} did not answer within {settings.timeout:.0f} s") from None
    except OSError as exc:
        raise SendError(f"cannot connect to {where} ({exc.strerror or exc})") from None
    return {addr: _smtp_reason_pair(reply) for addr, reply in refused.items()}


def _smtp_reason(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {' '.join(text.split())}"


def _smtp_reason_pair(reply: tuple[int, bytes]) -> str:
    code, text = reply
    return f"{code} {text.decode('utf-8', 'replace')}"


# -- the outbox ----------------------------------------------------------------------------


def outbox_key(as_of: str, recipients: Sequence[str]) -> str:
    """The idempotency key of a digest: its week and its sorted, lower-cased recipients."""
    addresses = sorted({bare_address(r).lower() for r in recipients})
    return hashlib.sha256("\n".join([as_of, *addresses]).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class OutboxEntry:
    key: str
    as_of: str
    recipients: list[str]
    sender: str
    subject: str
    status: str
    attempts: int
    created_at: str
    last_error: str | None
    sent_at: str | None


@dataclass(frozen=True)
class Delivery:
    """What one send attempt did: ``sent``, ``failed`` (still pending) or ``skipped``."""

    key: str
    as_of: str
    status: str
    recipients: list[str]
    error: str | None = None
    refused: dict[str, Any] = field(default_factory=dict)


def queue_message(
    db: sqlite_utils.Database,
    *,
    key: str,
    as_of: str,
    recipients: Sequence[str],
    sender: str,
    subject: str,
    message: bytes,
    run_id: int | None = None,
) -> str:
    """Put a message in the outbox. Returns ``queued``, ``replaced`` or ``already_sent``.

    A pending entry with the same key gets the newer message (the digest was regenerated);
    an entry that was already sent is left alone, so the same week never goes out twice.
    """
    now = utcnow()
    conn = db.conn
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("select status from outbox where key = ?", [key]).fetchone()
        if row is not None and row[0] == "sent":
            conn.rollback()
            return "already_sent"
        if row is None:
            conn.execute(
                "insert into outbox (key, as_of, recipients, sender, subject, message, status, "
                "created_at, updated_at, attempts, run_id) values (?, ?, ?, ?, ?, ?, 'pending', "
                "?, ?, 0, ?)",
                [
                    key,
                    as_of,
                    json.dumps(list(recipients)),
                    sender,
                    subject,
                    message,
                    now,
                    now,
                    run_id,
                ],
            )
        else:
            conn.execute(
                "update outbox set message = ?, subject = ?, sender = ?, recipients = ?, "
                "updated_at = ?, run_id = ? where key = ?",
                [message, subject, sender, json.dumps(list(recipients)), now, run_id, key],
            )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return "queued" if row is None else "replaced"


def outbox_entries(db: sqlite_utils.Database, status: str | None = None) -> list[OutboxEntry]:
    """Outbox entries, oldest first (only those with ``status`` when given)."""
    where, params = ("where status = ?", [status]) if status else ("", [])
    rows = db.query(
        "select key, as_of, recipients, sender, subject, status, attempts, created_at, "
        f"last_error, sent_at from outbox {where} order by created_at, key",
        params,
    )
    return [OutboxEntry(**{**r, "recipients": json.loads(r["recipients"])}) for r in rows]


def send_pending(
    db: sqlite_utils.Database,
    settings: SmtpSettings,
    *,
    keys: Sequence[str] | None = None,
    send: Deliver = deliver,
) -> list[Delivery]:
    """Send every pending outbox entry (or those in ``keys``), oldest first.

    Each is marked sent in the same transaction that checked it was pending, right after
    the server accepted it; failures stay pending with the error and attempt count.
    """
    wanted = [e.key for e in outbox_entries(db, "pending") if keys is None or e.key in keys]
    return [_send_one(db, key, settings, send) for key in wanted]


def _send_one(
    db: sqlite_utils.Database, key: str, settings: SmtpSettings, send: Deliver
) -> Delivery:
    conn = db.conn
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")  # one sender at a time; the others wait, then see "sent"
    try:
        row = conn.execute(
            "select as_of, recipients, sender, message from outbox "
            "where key = ? and status = 'pending'",
            [key],
        ).fetchone()
        if row is None:
            conn.rollback()
            return Delivery(key, "", "skipped", [])
        as_of, recipients_json, sender, message = row
        recipients = json.loads(recipients_json)
        try:
            refused = send(
                bytes(message),
                bare_address(sender),
                [bare_address(r) for r in recipients],
                settings,
            )
        except SendError as exc:
            conn.rollback()
            _record_failure(db, key, str(exc))
            log.warning("digest %s not sent, kept in the outbox: %s", as_of, exc)
            return Delivery(key, as_of, "failed", recipients, error=str(exc))
        now = utcnow()
        conn.execute(
            "update outbox set status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "last_attempt_at = ?, last_error = null, refused = ?, updated_at = ? where key = ?",
            [now, now, json.dumps(refused) if refused else None, now, key],
        )
        conn.commit()
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    if refused:
        log.warning("digest %s: the server refused %s", as_of, ", ".join(refused))
    log.info("digest %s sent to %s", as_of, ", ".join(recipients))
    return Delivery(key, as_of, "sent", recipients, refused=refused)


def _record_failure(db: sqlite_utils.Database, key: str, error: str) -> None:
    now = utcnow()
    with db.conn:
        db.conn.execute(
            "update outbox set attempts = attempts + 1, last_attempt_at = ?, last_error = ?, "
            "updated_at = ? where key = ?",
            [now, error, now, key],
        )


# -- trendscout outbox ---------------------------------------------------------------------


@click.command()
@db_option()
@config_option(default=None, help="sources.yml, for its smtp: block (optional).")
@click.option("--send", is_flag=True, help="Try to send every pending digest now.")
@env_file_option()
def outbox_command(
    db_path: Path, config_path: Path | None, send: bool, env_file: Path | None
) -> None:
    """List the digests waiting to be mailed (and those sent); --send retries the waiting ones.

    Exits with code 5 when a digest still could not be sent.
    """
    from pipelines.cli import UsageError, read_config
    from pipelines.db import open_db

    if not db_path.exists():
        raise UsageError(f"{db_path}: no such database; pass --db PATH")
    db = open_db(db_path)
    if send:
        config = read_config(config_path) if config_path else None
        try:
            env = {**os.environ, **(load_env_file(env_file) if env_file else {})}
            settings = smtp_settings(config, env)
        except (MailError, ConfigError) as exc:
            raise UsageError(str(exc)) from None
        results = send_pending(db, settings)
        for result in results:
            click.echo(
                f"{result.as_of}: {result.status}" + (f" ({result.error})" if result.error else "")
            )
        if not results:
            click.echo("Nothing waiting in the outbox.")
    entries = outbox_entries(db)
    db.close()
    if not entries:
        click.echo("The outbox is empty: no digest was queued for mailing yet.")
    for entry in entries:
        state = (
            f"sent {entry.sent_at}"
            if entry.status == "sent"
            else (
                f"waiting, {entry.attempts} attempt(s)"
                + (f", last error: {entry.last_error}" if entry.last_error else "")
            )
        )
        click.echo(f"{entry.as_of}  {entry.key[:8]}  to {', '.join(entry.recipients)}  {state}")
    if send and any(e.status == "pending" for e in entries):
        raise SystemExit(5)
