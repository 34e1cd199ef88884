"""Mailing the digest through a real SMTP server on 127.0.0.1 (aiosmtpd), and the outbox."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.config import ConfigError, parse_config
from pipelines.db import open_db
from pipelines.digest import DigestSettings, gather_digest, queue_digest
from pipelines.mail import (
    MailConfigError,
    SmtpSettings,
    deliver,
    load_env_file,
    outbox_entries,
    outbox_key,
    queue_message,
    send_pending,
    smtp_settings,
)
from tests.findings_fixture import build_findings_db, free_port

RECIPIENTS = ("Sales Team <sales@example.com>", "ana@example.pl")
SETTINGS = DigestSettings(to=RECIPIENTS, sender="trendscout <trends@example.org>")


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives."""

    def __init__(self, port: int | None = None, refuse: set[str] | None = None):
        self.port = port or free_port()
        self.refuse = refuse or set()
        self.envelopes: list = []
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def settings(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, security="none", timeout=5)

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]  # type: ignore[misc]


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def findings_db(tmp_path: Path) -> Path:
    path = tmp_path / "findings.db"
    build_findings_db(path)
    return path


def _queue_week(db_path: Path, settings: DigestSettings = SETTINGS) -> str:
    db = open_db(db_path)
    digest = gather_digest(db, None, settings)
    state = queue_digest(db, digest, settings)
    db.close()
    return state


def test_digest_mail_arrives_as_text_html_and_embedded_charts(
    findings_db: Path, smtp_sink: SmtpSink
) -> None:
    db = open_db(findings_db)
    digest = gather_digest(db, None, SETTINGS)
    assert queue_digest(db, digest, SETTINGS) == "queued"
    results = send_pending(db, smtp_sink.settings)
    db.close()

    assert [r.status for r in results] == ["sent"]
    assert len(smtp_sink.envelopes) == 1
    envelope = smtp_sink.envelopes[0]
    assert envelope.mail_from == "trends@example.org"
    assert sorted(envelope.rcpt_tos) == ["ana@example.pl", "sales@example.com"]

    message = smtp_sink.messages()[0]
    assert message.get_content_type() == "multipart/alternative"
    assert "Starfall Arena is rising" in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    text, page = plain.get_content(), html.get_content()
    assert "RISING THIS WEEK" in text and "Starfall Arena" in text
    assert "from 18% to 41%" in text and "likely between +7 and +38 points" in text
    assert "星落竞技场" in text and "Là mẹ hai con" in text  # posts in their own languages

    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    images = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert len(images) == len(digest.images) >= 3
    cids = {p["Content-ID"].strip("<>") for p in images}
    referenced = {ref.split('"')[0] for ref in page.split('src="cid:')[1:]}
    assert referenced == cids
    for part in images:
        assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "https://example.org/vi/starfall-vi-0-1" in page


def test_a_sent_digest_is_never_sent_twice(findings_db: Path, smtp_sink: SmtpSink) -> None:
    assert _queue_week(findings_db) == "queued"
    db = open_db(findings_db)
    assert [r.status for r in send_pending(db, smtp_sink.settings)] == ["sent"]
    assert send_pending(db, smtp_sink.settings) == []
    db.close()
    # Regenerating and queueing the same week for the same people (any order) does nothing.
    reordered = DigestSettings(to=tuple(reversed(RECIPIENTS)), sender=SETTINGS.sender)
    assert _queue_week(findings_db, reordered) == "already_sent"
    db = open_db(findings_db)
    assert send_pending(db, smtp_sink.settings) == []
    [entry] = outbox_entries(db)
    db.close()
    assert entry.status == "sent" and entry.attempts == 1 and entry.sent_at
    assert len(smtp_sink.envelopes) == 1


def test_other_recipients_get_their_own_copy(findings_db: Path, smtp_sink: SmtpSink) -> None:
    _queue_week(findings_db)
    _queue_week(findings_db, DigestSettings(to=("boss@example.com",), sender=SETTINGS.sender))
    db = open_db(findings_db)
    assert [r.status for r in send_pending(db, smtp_sink.settings)] == ["sent", "sent"]
    db.close()
    assert sorted(len(e.rcpt_tos) for e in smtp_sink.envelopes) == [1, 2]


def test_with_the_server_down_the_digest_waits_and_goes_out_once_it_is_back(
    findings_db: Path,
) -> None:
    port = free_port()  # nothing listens here yet
    settings = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=5)
    _queue_week(findings_db)
    db = open_db(findings_db)
    [failed] = send_pending(db, settings)
    assert failed.status == "failed" and "cannot connect to 127.0.0.1" in (failed.error or "")
    [entry] = outbox_entries(db, "pending")
    assert entry.attempts == 1 and "cannot connect" in (entry.last_error or "")
    db.close()

    sink = SmtpSink(port).start()
    try:
        db = open_db(findings_db)
        assert [r.status for r in send_pending(db, settings)] == ["sent"]
        assert send_pending(db, settings) == []
        [entry] = outbox_entries(db)
        db.close()
        assert entry.status == "sent" and entry.attempts == 2 and entry.last_error is None
        assert len(sink.envelopes) == 1
    finally:
        sink.stop()


def test_two_senders_at_once_send_one_copy(findings_db: Path, smtp_sink: SmtpSink) -> None:
    _queue_week(findings_db)
    calls: list[str] = []

    def slow_deliver(message: bytes, sender: str, recipients, settings) -> dict:  # type: ignore[no-untyped-def]
        calls.append(sender)
        time.sleep(0.3)  # the other sender arrives while this one is talking to the server
        return deliver(message, sender, recipients, settings)

    results: list = []

    def sender() -> None:
        db = open_db(findings_db)
        results.extend(send_pending(db, smtp_sink.settings, send=slow_deliver))
        db.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [r.status for r in results if r.status != "skipped"] == ["sent"]
    assert len(calls) == 1
    assert len(smtp_sink.envelopes) == 1


def test_a_refused_recipient_does_not_make_the_others_get_it_twice(findings_db: Path) -> None:
    sink = SmtpSink(refuse={"ana@example.pl"}).start()
    try:
        _queue_week(findings_db)
        db = open_db(findings_db)
        [result] = send_pending(db, sink.settings)
        assert result.status == "sent" and list(result.refused) == ["ana@example.pl"]
        assert send_pending(db, sink.settings) == []
        row = db.execute("select refused from outbox").fetchone()
        db.close()
        assert "550" in json.loads(row[0])["ana@example.pl"]
        assert [e.rcpt_tos for e in sink.envelopes] == [["sales@example.com"]]
    finally:
        sink.stop()


def test_a_pending_digest_is_replaced_by_a_newer_rendering(tmp_path: Path) -> None:
    db = open_db(tmp_path / "o.db")
    key = outbox_key("2026-11-22", ["a@example.com"])
    common = {
        "key": key,
        "as_of": "2026-11-22",
        "recipients": ["a@example.com"],
        "sender": "t@example.com",
        "subject": "s",
    }
    assert queue_message(db, message=b"first", **common) == "queued"
    assert queue_message(db, message=b"second", **common) == "replaced"
    assert db.execute("select message from outbox").fetchone()[0] == b"second"
    assert db["outbox"].count == 1


def test_outbox_key_depends_on_week_and_recipients_only() -> None:
    assert outbox_key("2026-11-22", ["B@x.org", "a <a@x.org>"]) == outbox_key(
        "2026-11-22", ["a@x.org", "b@x.org"]
    )
    assert outbox_key("2026-11-22", ["a@x.org"]) != outbox_key("2026-11-15", ["a@x.org"])
    assert outbox_key("2026-11-22", ["a@x.org"]) != outbox_key("2026-11-22", ["a@x.org", "c@x.org"])


# -- settings ------------------------------------------------------------------------------


def _config(extra: dict) -> object:
    return parse_config(
        {"sources": [{"name": "s", "type": "feed", "url": "https://e.org/f"}], **extra},
        Path("sources.yml"),
    )


def test_smtp_settings_come_from_the_environment_over_sources_yml() -> None:
    config = _config(
        {"smtp": {"host": "smtp.example.com", "port": 2525, "security": "ssl", "user": "bot"}}
    )
    settings = smtp_settings(config, {"TRENDSCOUT_SMTP_PASSWORD": "s3cret"})
    assert (settings.host, settings.port, settings.security, settings.user) == (
        "smtp.example.com",
        2525,
        "ssl",
        "bot",
    )
    assert "s3cret" not in repr(settings)
    env = {
        "TRENDSCOUT_SMTP_HOST": "mail.example.org",
        "TRENDSCOUT_SMTP_SECURITY": "starttls",
        "TRENDSCOUT_SMTP_USER": "other",
        "TRENDSCOUT_SMTP_PASSWORD": "pw",
    }
    settings = smtp_settings(config, env)
    assert (settings.host, settings.port, settings.security, settings.user) == (
        "mail.example.org",
        2525,
        "starttls",
        "other",
    )
    assert smtp_settings(None, {"TRENDSCOUT_SMTP_HOST": "h.example.com"}).port == 587


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no SMTP server configured"),
        (
            {"TRENDSCOUT_SMTP_HOST": "h.example.com", "TRENDSCOUT_SMTP_PORT": "smtp"},
            "'smtp' is not a port number",
        ),
        (
            {"TRENDSCOUT_SMTP_HOST": "h.example.com", "TRENDSCOUT_SMTP_SECURITY": "tls"},
            "'tls' is not one of none, starttls, ssl",
        ),
        (
            {"TRENDSCOUT_SMTP_HOST": "h.example.com", "TRENDSCOUT_SMTP_USER": "bot"},
            "TRENDSCOUT_SMTP_PASSWORD is not",
        ),
        (
            {
                "TRENDSCOUT_SMTP_HOST": "h.example.com",
                "TRENDSCOUT_SMTP_SECURITY": "none",
                "TRENDSCOUT_SMTP_USER": "bot",
                "TRENDSCOUT_SMTP_PASSWORD": "pw",
            },
            "refusing to send the SMTP password unencrypted",
        ),
    ],
)
def test_wrong_smtp_settings_are_one_clear_line(env: dict, message: str) -> None:
    with pytest.raises(MailConfigError, match=message) as caught:
        smtp_settings(None, env)
    assert "\n" not in str(caught.value)


def test_a_password_in_sources_yml_is_refused() -> None:
    config = _config({"smtp": {"host": "smtp.example.com", "password": "hunter2"}})
    with pytest.raises(ConfigError) as caught:
        smtp_settings(config, {})
    assert str(caught.value).startswith("sources.yml: smtp.password: never put a password")
    assert "TRENDSCOUT_SMTP_PASSWORD" in str(caught.value) and "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("smtp", "message"),
    [
        ({"host": "smtp.example.com", "prot": 25}, "smtp.prot: unknown key"),
        ({"host": "smtp.example.com", "port": "x"}, "smtp.port: expected a port number"),
        ({"host": "smtp.example.com", "security": "tls"}, "smtp.security: 'tls' is not one of"),
        ({"host": "smtp example com"}, "smtp.host: 'smtp example com' is not a host name"),
    ],
)
def test_smtp_block_mistakes_name_the_key(smtp: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        smtp_settings(_config({"smtp": smtp}), {"TRENDSCOUT_SMTP_HOST": "h.example.com"})


def test_env_file_supplies_the_password_and_warns_when_others_can_read_it(
    tmp_path: Path, caplog
) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "smtp.env"
    env_file.write_text(
        "# mail\nexport TRENDSCOUT_SMTP_HOST=smtp.example.com\nTRENDSCOUT_SMTP_USER=bot\n"
        'TRENDSCOUT_SMTP_PASSWORD="p w=1"\n\n',
        encoding="utf-8",
    )
    os.chmod(env_file, 0o644)
    with caplog.at_level(logging.WARNING, logger="trendscout.mail"):
        values = load_env_file(env_file)
    assert "can be read by other users" in caplog.text
    assert smtp_settings(None, values).password == "p w=1"
    os.chmod(env_file, 0o600)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="trendscout.mail"):
        load_env_file(env_file)
    assert caplog.text == ""
    env_file.write_text("just words\n", encoding="utf-8")
    with pytest.raises(MailConfigError, match="line 1: expected NAME=value"):
        load_env_file(env_file)


def test_digest_send_exits_5_when_the_server_is_down_and_outbox_sends_it_later(
    findings_db: Path, tmp_path: Path
) -> None:
    config = tmp_path / "sources.yml"
    config.write_text(
        "sources:\n  - {name: s, type: feed, url: 'https://e.org/f'}\n"
        "digest:\n  to: [sales@example.com]\n  from: trends@example.org\n",
        encoding="utf-8",
    )
    port = free_port()
    env = {
        "TRENDSCOUT_SMTP_HOST": "127.0.0.1",
        "TRENDSCOUT_SMTP_PORT": str(port),
        "TRENDSCOUT_SMTP_SECURITY": "none",
    }
    runner = CliRunner(env=env)
    out = str(tmp_path / "d.txt")
    args = ["digest", "--db", str(findings_db), "-c", str(config), "--send", "-o", out]
    down = runner.invoke(cli, args)
    assert down.exit_code == 5, down.output
    assert "waits in the outbox" in down.stderr
    sink = SmtpSink(port).start()
    try:
        listed = runner.invoke(cli, ["outbox", "--db", str(findings_db), "--send"])
        assert listed.exit_code == 0, listed.output
        assert "2026-11-22: sent" in listed.stdout
        again = runner.invoke(cli, args)
        assert again.exit_code == 0, again.output
        assert "already sent" in again.stderr
        assert len(sink.envelopes) == 1
    finally:
        sink.stop()


def test_run_refuses_to_start_without_recipients_or_smtp(tmp_path: Path) -> None:
    config = tmp_path / "sources.yml"
    config.write_text(
        "sources:\n  - {name: s, type: feed, url: 'https://e.org/f'}\n", encoding="utf-8"
    )
    runner = CliRunner(env={"TRENDSCOUT_SMTP_HOST": ""})
    args = ["run", "-c", str(config), "--db", str(tmp_path / "t.db"), "--send"]
    no_smtp = runner.invoke(cli, args)
    assert no_smtp.exit_code == 2 and "no SMTP server configured" in no_smtp.stderr
    no_rcpt = CliRunner(env={"TRENDSCOUT_SMTP_HOST": "127.0.0.1"}).invoke(cli, args)
    assert no_rcpt.exit_code == 2 and "digest.to: missing" in no_rcpt.stderr
    assert not (tmp_path / "t.db").exists()  # nothing was done
