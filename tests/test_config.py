"""sources.yml validation: every mistake is one clear line with the place and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.config import EXAMPLE_CONFIG, ConfigError, load_config, parse_config

ONE = "sources:\n  - name: A\n    type: feed\n    url: https://a.example/\n"

GOOD = """
sources:
  - name: Polish gaming blog
    type: feed
    url: https://example.pl/feed/
    language: pl
watch:
  - name: Starfall Arena
    aliases: ["星落竞技场"]
settings:
  DOWNLOAD_DELAY: 0.5
contact: https://example.org/about-our-crawler
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_issue_example_is_accepted(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert [s.name for s in config.sources] == ["Polish gaming blog"]
    assert config.sources[0].language == "pl"
    assert config.watch[0].aliases == ("星落竞技场",)
    assert config.settings == {"DOWNLOAD_DELAY": 0.5}
    assert config.contact == "https://example.org/about-our-crawler"


def test_init_example_is_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, EXAMPLE_CONFIG))
    assert len(config.sources) == 2
    assert config.sources[1].settings == {"DOWNLOAD_DELAY": 2.0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources:\n  - type: feed\n    url: https://a.example/feed\n", "sources[0].name: missing"),
        (
            "sources:\n  - name: A\n    url: https://a.example/feed\n",
            "sources[0] (A).type: missing",
        ),
        (
            "sources:\n  - name: A\n    type: fed\n    url: https://a.example/feed\n",
            "sources[0] (A).type: unknown type 'fed' (did you mean 'feed'?)",
        ),
        (
            "sources:\n  - name: A\n    type: feed\n    url: https://a.example/\n"
            "  - name: B\n    type: feed\n    url: https://b.example/\n"
            "  - name: C\n    type: feed\n    url: ftp://c.example/feed\n",
            "sources[2] (C).url: 'ftp://c.example/feed' is not an http(s) URL",
        ),
        (
            "sources:\n  - name: A\n    type: feed\n    url: https://a.example/\n"
            "  - name: A\n    type: feed\n    url: https://b.example/\n",
            "sources[1].name: duplicate name 'A' (also sources[0])",
        ),
        ("sources:\n  - name: A\n    type: feed\n   url: x\n", "YAML syntax error"),
        ("", "the file is empty"),
        ("watch: []\n", "sources: missing"),
        (
            ONE + "    langauge: pl\n",
            "sources[0] (A).langauge: unknown key (did you mean 'language'?)",
        ),
        (
            ONE + "    language: polish\n",
            "'polish' is not a two-letter ISO 639-1 code",
        ),
        (
            ONE + "settings:\n  delay: 1\n",
            "settings.delay: Scrapy setting names are UPPER_CASE",
        ),
        (
            "sources:\n  - name: A\n    type: feed\n    url: https://a.example/\ncontact: me\n",
            "contact: 'me' is neither an http(s) URL nor an e-mail address",
        ),
        (
            "sources:\n  - name: A\n    type: feed\n    url: https://a.example/\n"
            "watch:\n  - name: X\n  - name: x\n",
            "watch[1].name: 'x' is listed twice",
        ),
    ],
)
def test_bad_config_names_place_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert expected in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_yaml_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    type: feed\n   url: x\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: YAML syntax error"):
        load_config(path)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="trendscout init"):
        load_config(tmp_path / "nope.yml")


def test_watch_accepts_plain_names() -> None:
    data = yaml.safe_load(
        "sources:\n  - {name: A, type: feed, url: 'https://a.example/'}\nwatch: [Iron Legion]\n"
    )
    config = parse_config(data, Path("sources.yml"))
    assert config.watch[0].name == "Iron Legion"


def test_cli_reports_bad_config_in_one_line_with_exit_2(tmp_path: Path, trendscout) -> None:
    path = write(tmp_path, "sources:\n  - name: A\n    type: feed\n    url: notaurl\n")
    result = trendscout("crawl", "-c", str(path), "--db", str(tmp_path / "t.db"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "sources[0] (A).url: 'notaurl' is not an http(s) URL" in lines[0]


def test_init_writes_a_valid_example_and_refuses_to_overwrite(tmp_path: Path, trendscout) -> None:
    first = trendscout("init", str(tmp_path / "proj"))
    assert first.returncode == 0, first.stderr
    load_config(tmp_path / "proj" / "sources.yml")
    again = trendscout("init", str(tmp_path / "proj"))
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
