"""The database is the only contract: crawler/ and nlp/ never import each other."""

from __future__ import annotations

import ast

from tests.conftest import REPO

ORCHESTRATION = {
    "pipelines.cli",
    "pipelines.crawl",
    "pipelines.analyze",
    "pipelines.digest",
    "pipelines.run",
    "pipelines.demo",
    "pipelines.serve",
    "pipelines.schedule",
}


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (REPO / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(REPO))] = names
    return found


def offenders(package: str, forbidden: set[str]) -> list[str]:
    return [
        f"{file} imports {name}"
        for file, names in imports_of(package).items()
        for name in sorted(names)
        if name in forbidden or name.split(".")[0] in forbidden
    ]


def test_crawler_does_not_import_nlp_or_orchestration() -> None:
    assert offenders("crawler", {"nlp"} | ORCHESTRATION) == []


def test_nlp_does_not_import_crawler_pipelines_or_scrapy() -> None:
    assert offenders("nlp", {"crawler", "pipelines", "scrapy"}) == []


def test_the_check_itself_sees_imports() -> None:
    assert "pipelines.config" in imports_of("crawler")["crawler/base.py"]
    assert offenders("pipelines", {"crawler"})  # the orchestration does import the crawler


def test_no_spacy_pipeline_is_called_nlp() -> None:
    bad = []
    for package in ("crawler", "nlp", "pipelines", "tests", "benchmarks", "scripts"):
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import) and any(a.name == "nlp" for a in node.names):
                    bad.append(f"{path}: import nlp")
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "nlp" for t in node.targets
                ):
                    bad.append(f"{path}:{node.lineno}: a variable named nlp")
    assert bad == []
