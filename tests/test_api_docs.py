"""The Python API's doctests pass, and the documentation site (API reference included) builds
with ``mkdocs build --strict`` offline."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import pytest

import drillsim.api

ROOT = Path(__file__).resolve().parents[1]


def test_api_doctests(monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples use the bundled scenarios by relative path
    res = doctest.testmod(drillsim.api, optionflags=doctest.ELLIPSIS, report=True)
    assert res.attempted >= 30
    assert res.failed == 0


def test_every_public_api_function_has_a_runnable_example():
    finder = doctest.DocTestFinder()
    with_examples = {t.name.rsplit(".", 1)[-1] for t in finder.find(drillsim.api) if t.examples}
    functions = {n for n in drillsim.api.__all__ if callable(getattr(drillsim.api, n))
                 and getattr(drillsim.api, n).__module__ == "drillsim.api"}
    assert functions - with_examples == set()


@pytest.mark.slow
def test_docs_build_strict(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    res = subprocess.run([str(mkdocs), "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    page = (tmp_path / "site/api/index.html").read_text(encoding="utf-8")
    for name in ("load", "run_batch", "compare", "sweep", "sensitivity", "brief"):
        assert f'id="drillsim.api.{name}"' in page
    assert "Examples" in page and "Raises" in page
    # offline: no scripts, styles or fonts fetched from elsewhere
    assert "<script src=\"http" not in page and "<link href=\"http" not in page
