"""Cheap checks of the documentation site's sources; `make docs` builds it (mkdocs --strict).

The Markdown pages' doctests run with the rest of the suite (``--doctest-glob=*.md`` in
pyproject.toml); here: the navigation names every page and tutorial, every API page names a
module that imports, the tutorials run when the site builds, and the README stays short.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

mkdocs_config = pytest.importorskip("mkdocs.config", reason="the docs extra is not installed: pip install -e '.[docs]'")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIALS = [
    "01_frozenlake_ps_vs_q.py",
    "02_reading_an_ecm.py",
    "03_hidden_clips.py",
    "04_dqn.py",
    "05_reset_and_foraging.py",
    "06_collectives.py",
    "07_many_agents.py",
]


@pytest.fixture(scope="module")
def config():
    return mkdocs_config.load_config(str(ROOT / "mkdocs.yml"))


def nav_files(nav) -> list[str]:
    """Every file the navigation names, in order."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [f for value in nav.values() for f in nav_files(value)]
    return [f for item in nav for f in nav_files(item)]


def test_the_tutorials_are_in_the_nav_in_order_and_exist(config):
    tutorials = [f for f in nav_files(config["nav"]) if f.startswith("tutorials/")]
    assert tutorials == [f"tutorials/{name}" for name in TUTORIALS]
    missing = [name for name in TUTORIALS if not (DOCS / "tutorials" / name).is_file()]
    assert missing == [], f"tutorials named in mkdocs.yml's nav but missing from docs/tutorials/: {missing}"


def test_every_page_is_in_the_nav_and_every_nav_entry_exists(config):
    named = nav_files(config["nav"])
    assert [f for f in named if not (DOCS / f).is_file()] == []
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_ext" not in p.parts}
    assert sorted(pages - set(named)) == [], "pages under docs/ that the nav leaves out"


def test_every_api_page_documents_modules_that_import():
    modules = [
        m for page in sorted((DOCS / "api").glob("*.md")) for m in re.findall(r"^::: ([\w.]+)", page.read_text(), re.M)
    ]
    assert "ps_graph" in modules and "qbaselines" in modules
    for module in modules:
        importlib.import_module(module)


def test_the_tutorials_are_executed_when_the_site_builds(config, monkeypatch):
    options = config["plugins"]["mkdocs-jupyter"].config
    assert options["execute"] is True and options["allow_errors"] is False and options["cache"] is False
    assert options["include"] == ["tutorials/*.py"]
    monkeypatch.setenv("PS_GRAPH_DOCS_EXECUTE", "false")  # `make docs-fast`
    fast = mkdocs_config.load_config(str(ROOT / "mkdocs.yml"))
    assert fast["plugins"]["mkdocs-jupyter"].config["execute"] is False
    assert '"timeout"' in (DOCS / "_ext" / "jupyter" / "jupyter_nbconvert_config.json").read_text()


def test_the_site_builds_offline(config):
    assert config["theme"]["font"] is False  # no Google fonts
    assert config["strict"] is True


def test_the_readme_stays_short_and_keeps_the_test_command():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 80
    assert re.search(r"^make test$", readme, re.M), "CI reads `make test` from the README's Quick start"
    assert "make docs" in readme
