"""Distributed crawling on Redis (scrapy-redis): workers share one queue and one seen-set."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlite_utils

from pipelines.localserver import Route
from tests.conftest import REPO, run_trendscout
from tests.test_crawl_faults import make_feeds, write_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port, stopped after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/install-test-deps.sh installs it)")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_two_workers_fetch_every_page_exactly_once(
    tmp_path: Path, serve_dir, redis_url: str
) -> None:
    names = make_feeds(tmp_path / "site", 40, 5)
    server = serve_dir(tmp_path / "site")
    for name in names:
        server.routes[f"/{name}.xml"] = Route(delay=0.3)
    config = write_config(
        tmp_path / "sources.yml",
        server,
        [(n, f"{n}.xml", "") for n in names],
        ", CONCURRENT_REQUESTS_PER_DOMAIN: 2",
    )
    db_path = tmp_path / "t.db"
    args = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "crawl",
        "-c",
        str(config),
        "--db",
        str(db_path),
        "--workers",
        redis_url,
        "--crawl-id",
        "test-week",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [
        subprocess.Popen(
            args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=180) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err

    fetched = Counter(r.path for r in server.requests if r.path != "/robots.txt")
    assert set(fetched) == {f"/{n}.xml" for n in names}
    assert set(fetched.values()) == {1}  # every page fetched once, by one worker or the other

    db = sqlite_utils.Database(db_path)
    assert db["posts"].count == 40 * 5  # and stored once
    runs = list(db["crawl_runs"].rows)
    assert [r["status"] for r in runs] == ["ok", "ok"]
    per_run = {r["id"]: r["requests"] for r in runs}
    assert sum(per_run.values()) == 40
    assert all(count > 0 for count in per_run.values()), per_run  # both did work

    # The shared keys outlive the workers (a finishing worker must not clear them) but expire.
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match="trendscout:test-week:*"))
    assert keys and all(0 < client.ttl(k) <= 7 * 24 * 3600 for k in keys)


def test_unreachable_redis_is_one_clear_line(tmp_path: Path, serve_dir) -> None:
    make_feeds(tmp_path / "site", 1, 1)
    server = serve_dir(tmp_path / "site")
    config = write_config(tmp_path / "sources.yml", server, [("a", "site0.xml", "")])
    result = run_trendscout(
        "crawl",
        "-c",
        str(config),
        "--db",
        str(tmp_path / "t.db"),
        "--workers",
        f"redis://127.0.0.1:{free_port()}/0",
    )
    assert result.returncode == 2
    assert "cannot reach Redis at redis://127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr
