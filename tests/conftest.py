"""Shared fixtures: local HTTP servers, running the CLI, the shared corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines.localserver import LocalServer

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The shared, third-party corpus sits beside the clone (../shared/corpus); never copied in.
SHARED_CORPUS = Path(os.environ.get("TRENDSCOUT_SHARED_CORPUS", REPO.parent / "shared" / "corpus"))
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(
            f"shared corpus not found at {SHARED_CORPUS} (../shared/corpus beside the clone)"
        )
    return SHARED_CORPUS


@pytest.fixture
def serve_dir() -> Iterator[Callable[..., LocalServer]]:
    """Start a :class:`LocalServer` on 127.0.0.1 for a folder; stopped after the test."""
    servers: list[LocalServer] = []

    def start(root: str | Path, **kwargs: object) -> LocalServer:
        server = LocalServer(root, **kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run_trendscout(
    *args: str, cwd: str | Path | None = None, timeout: float = 300, env: dict | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``trendscout`` program in a child process (Scrapy's reactor runs once)."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


@pytest.fixture
def trendscout() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_trendscout


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
